"""`EdgeBeat`: the edge publisher's "I am here" to the aggregator, so a dead box's cameras stop counting as covered.

Without it the aggregator hears from an edge box only when it has events to send, and a camera's last
``camera_status`` holds until the next one: after a power cut the last ``online`` held for ever and the dead
time counted as covered. The publisher sends one beat every ``interval_s`` on its DEALER (no ack; a beat that
cannot be sent is simply dropped), naming the store and the cameras it serves. The aggregator records when it
last heard each camera's box, and once no beat came for `STALE_AFTER_BEATS` intervals it stops extending that
camera's open status interval: the time after the last beat is *unknown*, not online (`docs/dashboard.md`,
"Coverage").

Kept in a module of its own, beside the other wire messages, so that it merges cleanly with changes to them.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from pipeline.transport.envelope import Envelope, MessageError
from pipeline.transport.topics import Stream, topic

BEAT_KIND = "edge_beat"
STALE_AFTER_BEATS = 3
"""Beats an edge may miss (a slow ack wait, a lost message) before its cameras' status is treated as unknown."""
MIN_INTERVAL_S = 0.1
MAX_INTERVAL_S = 3600.0
MAX_CAMERAS = 256
"""More cameras than any edge box serves: a beat naming more is refused (each becomes a row on the aggregator)."""
MAX_ID_LENGTH = 128


@dataclass(frozen=True)
class EdgeBeat:
    """One beat of an edge box.

    Attributes:
        store_id: The box's store.
        cameras: Camera ids the box serves.
        interval_s: Seconds between the box's beats; the aggregator treats the cameras as unheard of after
            ``STALE_AFTER_BEATS * interval_s`` without one.
        seq: The sender's sequence number.
    """

    store_id: str
    cameras: tuple[str, ...]
    interval_s: float
    seq: int = 0

    @property
    def stale_after_s(self) -> float:
        """Seconds without a beat after which the box's cameras count as unknown."""
        return STALE_AFTER_BEATS * self.interval_s

    def to_envelope(self) -> Envelope:
        return Envelope(
            topic=topic(self.store_id, "*", Stream.HEARTBEAT),
            kind=BEAT_KIND,
            camera_id="*",
            seq=self.seq,
            sent_at=time.time(),
            body={"store_id": self.store_id, "cameras": list(self.cameras), "interval_s": self.interval_s},
        )

    @classmethod
    def from_envelope(cls, envelope: Envelope) -> EdgeBeat:
        """The beat an envelope holds; `MessageError` for anything else (never another exception type)."""
        if envelope.kind != BEAT_KIND:
            raise MessageError(f"expected kind {BEAT_KIND!r}, got {envelope.kind!r}")
        body = envelope.body
        store_id, cameras, interval = body.get("store_id"), body.get("cameras"), body.get("interval_s")
        if not _is_id(store_id):
            raise MessageError(f"store_id: expected a non-empty id of at most {MAX_ID_LENGTH} characters")
        if not isinstance(cameras, list) or len(cameras) > MAX_CAMERAS or not all(_is_id(c) for c in cameras):
            raise MessageError(f"cameras: expected a list of at most {MAX_CAMERAS} camera ids")
        if isinstance(interval, bool) or not isinstance(interval, int | float) or not _in_range(float(interval)):
            raise MessageError(
                f"interval_s: expected seconds in [{MIN_INTERVAL_S}, {MAX_INTERVAL_S}], got {interval!r}"
            )
        return cls(str(store_id), tuple(dict.fromkeys(cameras)), float(interval), envelope.seq)


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH and "/" not in value


def _in_range(seconds: float) -> bool:
    return math.isfinite(seconds) and MIN_INTERVAL_S <= seconds <= MAX_INTERVAL_S
