"""`EdgeBeat`: the edge publisher's "I am here" to the aggregator, so a dead box's cameras stop counting as covered.

Without it the aggregator hears from an edge box only when it has events to send, and a camera's last
``camera_status`` holds until the next one: after a power cut the last ``online`` held for ever and the dead
time counted as covered. The publisher sends one beat every ``interval_s`` on its DEALER (no ack; a beat that
cannot be sent is simply dropped), naming the store and the cameras it serves. The aggregator records when it
last heard each camera's box, and once no beat came for `STALE_AFTER_BEATS` intervals it stops extending that
camera's open status interval: the time after the last beat is *unknown*, not online (`docs/dashboard.md`,
"Coverage").

A beat may also carry the store's labels (optional keys, so older boxes and older aggregators still understand
each other): the store's time zone and the display names of its zones, from the box's config (``timezone:``,
a zone's ``name:``). The aggregator keeps the latest and shows names instead of ids on its pages.

Kept in a module of its own, beside the other wire messages, so that it merges cleanly with changes to them.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shelfsight.transport.envelope import Envelope, MessageError
from shelfsight.transport.topics import Stream, topic

BEAT_KIND = "edge_beat"
STALE_AFTER_BEATS = 3
"""Beats an edge may miss (a slow ack wait, a lost message) before its cameras' status is treated as unknown."""
MIN_INTERVAL_S = 0.1
MAX_INTERVAL_S = 3600.0
MAX_CAMERAS = 256
"""More cameras than any edge box serves: a beat naming more is refused (each becomes a row on the aggregator)."""
MAX_ID_LENGTH = 128
MAX_ZONE_NAMES = 4096
"""More named zones than any store has: a beat naming more is refused."""
MAX_NAME_LENGTH = 200
"""Longest zone name accepted (the config allows 80; some slack for other senders, still bounded)."""
MAX_TIME_ZONE_LENGTH = 64


@dataclass(frozen=True)
class EdgeBeat:
    """One beat of an edge box.

    Attributes:
        store_id: The box's store.
        cameras: Camera ids the box serves.
        interval_s: Seconds between the box's beats; the aggregator treats the cameras as unheard of after
            ``STALE_AFTER_BEATS * interval_s`` without one.
        seq: The sender's sequence number.
        timezone: The store's IANA time zone (``Europe/Paris``), or None when the sender does not say.
        zone_names: ``(zone id, display name)`` of the zones that have a name; empty when none do.
    """

    store_id: str
    cameras: tuple[str, ...]
    interval_s: float
    seq: int = 0
    timezone: str | None = None
    zone_names: tuple[tuple[str, str], ...] = ()

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
            body=self._body(),
        )

    def _body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"store_id": self.store_id, "cameras": list(self.cameras), "interval_s": self.interval_s}
        if self.timezone is not None:
            body["timezone"] = self.timezone
        if self.zone_names:
            body["zone_names"] = dict(self.zone_names)
        return body

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
        timezone, names = body.get("timezone"), body.get("zone_names", {})
        if timezone is not None and not (
            isinstance(timezone, str) and len(timezone) <= MAX_TIME_ZONE_LENGTH and is_time_zone(timezone)
        ):
            raise MessageError(f"timezone: expected an IANA time zone name such as Europe/Paris, got {timezone!r}")
        if (
            not isinstance(names, dict)
            or len(names) > MAX_ZONE_NAMES
            or not all(_is_id(k) and _is_name(v) for k, v in names.items())
        ):
            raise MessageError(
                f"zone_names: expected at most {MAX_ZONE_NAMES} zone ids, each to a name of 1-{MAX_NAME_LENGTH} "
                "characters without control characters"
            )
        return cls(
            str(store_id),
            tuple(dict.fromkeys(cameras)),
            float(interval),
            envelope.seq,
            timezone,
            tuple(sorted(names.items())),
        )


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH and "/" not in value


def is_time_zone(name: str) -> bool:
    """True for an IANA time zone name the system knows (``shelfsight.edge_config.base.is_time_zone`` without its
    imports)."""
    if not name or name != name.strip() or ".." in name or name.startswith("/"):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _is_name(value: Any) -> bool:
    return (
        isinstance(value, str)
        and 0 < len(value) <= MAX_NAME_LENGTH
        and bool(value.strip())
        and not any(ord(ch) < 32 or ord(ch) == 127 for ch in value)
    )


def _in_range(seconds: float) -> bool:
    return math.isfinite(seconds) and MIN_INTERVAL_S <= seconds <= MAX_INTERVAL_S
