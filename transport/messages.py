"""Wire messages between edge stages and from the edge to the aggregator, carried in the envelope.

The edge publisher sends ``EventBatch`` messages (DEALER) to the aggregator's ingest (ROUTER); the
aggregator answers each with an ``Ack`` naming the batch. Delivery is at-least-once: the publisher keeps a
batch in its disk spool until it is acknowledged and resends it otherwise; the aggregator dedupes by
event_id. Each event travels as its own msgpack document (``shelfsight.vision.events.codec``), so one bad event is
dead-lettered without losing the rest of its batch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from shelfsight.transport.envelope import (
    Envelope,
    MessageError,
    decoder,
    expect_kind,
    finite_number,
    shown,
    whole_number,
)
from shelfsight.transport.topics import Stream, topic

EVENTS_KIND = "events"
ACK_KIND = "ack"
HEARTBEAT_KIND = "heartbeat"
MAX_BATCH_EVENTS = 1000
MAX_COUNTERS = 256
"""Most counters one heartbeat may carry: a forged beat cannot grow the supervisor's metrics without bound."""


@dataclass(frozen=True)
class EventBatch:
    """Events of one camera (or ``*``) sent together.

    Attributes:
        store_id: Sending store.
        camera_id: Camera the events came from, ``*`` when mixed.
        batch_id: Unique per batch (the spool's id); the ack names it.
        events: Each event encoded with ``shelfsight.vision.events.codec.to_msgpack``.
        seq: Sender's sequence number.
    """

    store_id: str
    camera_id: str
    batch_id: str
    events: tuple[bytes, ...]
    seq: int = 0

    def to_envelope(self) -> Envelope:
        return Envelope(
            topic=topic(self.store_id, self.camera_id, Stream.EVENTS),
            kind=EVENTS_KIND,
            camera_id=self.camera_id,
            seq=self.seq,
            sent_at=time.time(),
            body={"store_id": self.store_id, "batch_id": self.batch_id, "events": list(self.events)},
        )

    @classmethod
    @decoder
    def from_envelope(cls, envelope: Envelope) -> EventBatch:
        body = expect_kind(envelope, EVENTS_KIND)
        events, batch_id, store_id = body.get("events"), body.get("batch_id"), body.get("store_id")
        if not isinstance(events, list) or not all(isinstance(e, bytes) for e in events):
            raise MessageError("events must be a list of msgpack byte strings")
        if len(events) > MAX_BATCH_EVENTS:
            raise MessageError(f"batch holds {len(events)} events, more than {MAX_BATCH_EVENTS}")
        if not isinstance(batch_id, str) or not batch_id or not isinstance(store_id, str) or not store_id:
            raise MessageError("batch_id and store_id must be non-empty strings")
        return cls(store_id, envelope.camera_id, batch_id, tuple(events), envelope.seq)


@dataclass(frozen=True)
class Ack:
    """The aggregator's answer to one batch: how many events it stored, already had, or dead-lettered."""

    store_id: str
    batch_id: str
    accepted: int
    duplicates: int
    rejected: int

    def to_envelope(self) -> Envelope:
        return Envelope(
            topic=topic(self.store_id, "*", Stream.ACKS),
            kind=ACK_KIND,
            camera_id="*",
            seq=0,
            sent_at=time.time(),
            body={
                "batch_id": self.batch_id,
                "accepted": self.accepted,
                "duplicates": self.duplicates,
                "rejected": self.rejected,
                "store_id": self.store_id,
            },
        )

    @classmethod
    @decoder
    def from_envelope(cls, envelope: Envelope) -> Ack:
        body = expect_kind(envelope, ACK_KIND)
        store_id, batch_id = body.get("store_id"), body.get("batch_id")
        if not isinstance(store_id, str) or not isinstance(batch_id, str) or not batch_id:
            raise MessageError(f"ack needs store_id and batch_id as text, got {shown(store_id)}, {shown(batch_id)}")
        counts = (whole_number(body.get(name), f"ack {name}") for name in ("accepted", "duplicates", "rejected"))
        return cls(store_id, batch_id, *counts)


@dataclass(frozen=True)
class Heartbeat:
    """A stage's liveness and counters (frames in/out, drops, bad messages, latency), for health and metrics."""

    store_id: str
    stage: str
    camera_id: str = "*"
    counters: dict[str, float] = field(default_factory=dict)

    def to_envelope(self) -> Envelope:
        return Envelope(
            topic=topic(self.store_id, self.camera_id, Stream.HEARTBEAT),
            kind=HEARTBEAT_KIND,
            camera_id=self.camera_id,
            seq=0,
            sent_at=time.time(),
            body={"store_id": self.store_id, "stage": self.stage, "counters": dict(self.counters)},
        )

    @classmethod
    @decoder
    def from_envelope(cls, envelope: Envelope) -> Heartbeat:
        """The beat, with every counter a finite number under a text name (anything else is a bad beat)."""
        body = expect_kind(envelope, HEARTBEAT_KIND)
        store_id, stage, counters = body.get("store_id"), body.get("stage"), body.get("counters")
        if not isinstance(store_id, str) or not isinstance(stage, str) or not isinstance(counters, dict):
            raise MessageError(f"heartbeat needs store_id, stage and a counters map, got {shown(body)}")
        if len(counters) > MAX_COUNTERS or not all(isinstance(name, str) for name in counters):
            raise MessageError(f"heartbeat counters must be at most {MAX_COUNTERS} named numbers")
        values = {name: finite_number(value, f"counter {shown(name)}") for name, value in counters.items()}
        return cls(store_id, stage, envelope.camera_id, values)
