"""`PreparedIngest`: the CPU half of an ingest, done before and outside the transaction (no database access).

Turning events into rows is most of the Python time of `Store.ingest`: the canonical JSON of every event,
rollup deltas, target spans, visit keys. `shelfsight.dashboard.ingest.receiver` adds each message as it drains it, so
the transaction (which holds SQLite's one write lock) only looks up what depends on stored data and writes. Ids stay
`uuid.UUID` objects (the backend binds them, see `shelfsight.dashboard.storage.ids`) and are deduped by ``UUID.int``:
formatting a UUID as text costs about a microsecond. `Store.ingest` prepares and writes in one call.

Everything derived here assumes that every event is new. The write step (`writes.write_prepared`) asks the
database which ids it holds already and, when any, derives again from the events that really are new, so
exactly-once counting does not depend on the preparation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from shelfsight.dashboard.storage.records import DeadLetter
from shelfsight.dashboard.storage.rollup import RollupDeltas
from shelfsight.dashboard.storage.rows import event_row
from shelfsight.vision.events.contract import (
    AnyEvent,
    CameraStatusEvent,
    DwellEvent,
    DwellStartedEvent,
    PassByEvent,
    PickupEvent,
    PutbackEvent,
)
from shelfsight.vision.events.ids import canonical_timestamp

TargetKey = tuple[str, str, str, str]
"""``(store_id, shelf_id, zone_id, camera_id)`` of the ``targets`` table."""


def visit_key(store_id: str, shopper_id: str, zone_id: str, ts_start: float) -> str:
    """One text key per visit: ids cannot hold control characters, so U+001F separates them unambiguously."""
    return "\x1f".join((store_id, shopper_id, zone_id, canonical_timestamp(ts_start)))


@dataclass
class Derived:
    """What the derived tables need from a set of new events (everything but the ``events`` rows)."""

    deltas: RollupDeltas = field(default_factory=RollupDeltas)
    spans: dict[TargetKey, tuple[float, float]] = field(default_factory=dict)
    """First and last ``ts`` per shelf / zone target seen."""
    closed_visits: list[str] = field(default_factory=list)
    """Visit keys of ``dwell`` and confirmed ``pass_by`` events: their open visit (if stored) is closed."""
    started: list[DwellStartedEvent] = field(default_factory=list)
    statuses: list[CameraStatusEvent] = field(default_factory=list)
    reversal_candidates: set[UUID] = field(default_factory=set)
    """Pickup ids a put-back names, and the ids of pickups (a put-back may have arrived before its pickup)."""

    def add(self, events: Sequence[AnyEvent]) -> None:
        """Derive from ``events``, all of them new."""
        self.deltas.add_events(events)
        spans = self.spans
        for event in events:
            fields = event.__dict__  # .get() avoids pydantic's slow __getattr__ for fields a type lacks
            shelf, zone = fields.get("shelf_id") or "", fields.get("zone_id") or ""
            ts = fields["ts"]
            if shelf or zone:
                key = (fields["store_id"], shelf, zone, fields["camera_id"])
                span = spans.get(key)
                spans[key] = (ts, ts) if span is None else (min(span[0], ts), max(span[1], ts))
            if isinstance(event, DwellEvent) or (isinstance(event, PassByEvent) and event.confirmed):
                self.closed_visits.append(visit_key(event.store_id, event.shopper_id, event.zone_id, event.ts_start))
            elif isinstance(event, DwellStartedEvent):
                self.started.append(event)
            elif isinstance(event, PickupEvent):
                self.reversal_candidates.add(event.event_id)
            elif isinstance(event, PutbackEvent):
                if event.pickup_event_id is not None:
                    self.reversal_candidates.add(event.pickup_event_id)
            elif isinstance(event, CameraStatusEvent):
                self.statuses.append(event)


class PreparedIngest:
    """Events and dead letters of one future ingest transaction, turned into rows; add batches, then write once.

    An event id seen in an earlier `add` (or earlier in the same one) is a duplicate here already: only its
    first event is kept. Not thread-safe: one thread adds, then hands the object over (`Store.ingest_prepared`).
    """

    def __init__(self) -> None:
        self.events: list[AnyEvent] = []
        self.event_ids: list[UUID] = []
        self.rows: list[tuple[Any, ...]] = []
        """``events`` rows in `shelfsight.dashboard.storage.rows.EVENT_COLUMNS` order, aligned with `events`."""
        self.dead_letters: list[DeadLetter] = []
        self.offered = 0
        """Events passed to `add`, duplicates included (``IngestResult.duplicates`` counts from it)."""
        self.derived = Derived()
        self._seen: set[int] = set()
        """``UUID.int`` of every event kept (ints hash in C; a UUID's hash is a Python call)."""

    def add(self, events: Sequence[AnyEvent], dead_letters: Sequence[DeadLetter], *, received_at: float) -> None:
        """Add events (stored with ``received_at``) and dead letters."""
        seen = self._seen
        new: list[AnyEvent] = []
        for event in events:
            key = event.event_id.int
            if key not in seen:
                seen.add(key)
                new.append(event)
        self.offered += len(events)
        self.events.extend(new)
        self.event_ids.extend([event.event_id for event in new])
        self.rows.extend([event_row(event, received_at) for event in new])
        self.derived.add(new)
        self.dead_letters.extend(dead_letters)

    @classmethod
    def of(
        cls, events: Sequence[AnyEvent], dead_letters: Sequence[DeadLetter], *, received_at: float
    ) -> PreparedIngest:
        prepared = cls()
        prepared.add(events, dead_letters, received_at=received_at)
        return prepared
