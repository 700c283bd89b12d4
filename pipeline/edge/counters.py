"""Each stage's heartbeat counters as a dataclass, so a stage counts ``counters.frames_total += 1`` (a typo is a
type error, not a new metric) and the supervisor reads a counter back by attribute, not by string.

On the wire a heartbeat carries plain ``name -> number`` (`shelfsight.transport.messages.Heartbeat`), so that the
supervisor's metrics stay generic: `StageCounters.to_wire` gives that map (a counter that is None is left out,
as one not measured yet), `StageCounters.from_wire` reads it back. Names ending in ``_total`` only grow and
become Prometheus counters; the rest are gauges (`shelfsight.pipeline.edge.health`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self

from shelfsight.transport.envelope import MessageError


@dataclass
class StageCounters:
    """What every stage's counters share: the wire conversions."""

    def to_wire(self) -> dict[str, float]:
        """``name -> value`` for the heartbeat, counters still None left out."""
        return {f.name: float(v) for f in dataclasses.fields(self) if (v := getattr(self, f.name)) is not None}

    @classmethod
    def from_wire(cls, counters: Mapping[str, float]) -> Self:
        """The counters of a heartbeat; names this stage does not know (latencies) are ignored.

        Raises:
            MessageError: A counter that the stage always sends is missing.
        """
        values: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            if f.name in counters:
                value = counters[f.name]
                values[f.name] = int(value) if f.type in ("int", "int | None") else float(value)
            elif f.default is not None:
                raise MessageError(f"{cls.__name__}: heartbeat lacks the {f.name!r} counter")
        return cls(**values)


@dataclass
class CaptureCounters(StageCounters):
    """A camera's capture: frames read from the source, sent to the detector or dropped because it is behind."""

    frames_read_total: int = 0
    frames_sent_total: int = 0
    frames_dropped_total: int = 0
    reconnects_total: int = 0
    open_failures_total: int = 0
    online: int = 0
    """1 while the camera's status is ``online``."""
    fps_in: float | None = None
    """Frames per second read, over the last 50 (None until two were read)."""


@dataclass
class DetectorCounters(StageCounters):
    """The box's detector: frames and batches through the model, messages it could not use or pass on."""

    frames_total: int = 0
    batches_total: int = 0
    bad_messages_total: int = 0
    undeliverable_total: int = 0
    queue_depth: int = 0
    """Messages taken in the last drain of the frame socket."""
    errors_total: int = 0


@dataclass
class EventCounters(StageCounters):
    """A camera's track+events stage: frames tracked, events spooled or lost, the spool and the disk."""

    frames_total: int = 0
    events_total: int = 0
    bad_messages_total: int = 0
    tracks_active: int = 0
    frames_dropped_total: int = 0
    events_lost_total: int = 0
    errors_total: int = 0
    disk_full: int = 0
    """1 while the spool cannot store events."""
    spool_events: int = 0
    events_pending: int = 0
    """Events waiting in memory for the spool (only while it cannot store)."""
    zone_pictures_total: int = 0
    zone_pictures_failed_total: int = 0
    pose_people_total: int | None = None
    """People the pose model looked at (None: the camera has no pose model)."""
    pose_people: int | None = None
    audit_frames_total: int | None = None
    """Audit frames written (None: ``privacy.store_frames`` is off)."""
    audit_frames_failed_total: int | None = None


@dataclass
class PublisherCounters(StageCounters):
    """The publisher: the spool it drains and the batches the aggregator acknowledged."""

    spool_events: int = 0
    spool_dropped_oldest_total: int = 0
    events_acked_total: int = 0
    batches_sent_total: int = 0
    resends_total: int = 0
    bad_messages_total: int = 0
    last_ack_age_s: float = -1.0
    """Seconds since the last acknowledgement; -1 before the first."""
    errors_total: int = 0
    acked_undeleted: int = 0
    disk_full: int = 0
    """1 while the spool cannot store or its disk reserve is not held."""
