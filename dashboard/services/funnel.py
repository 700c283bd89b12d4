"""A shelf's funnel: passers-by -> visits -> interacted -> picked up -> took, monotonic by definition.

Each stage is a subset of the one before, so no stage can exceed the one above it whatever the edge sends:

* passers-by: zone visits at the shelf that ended (``dwell`` or ``pass_by``), plus confirmed entries with neither
  yet (a shopper still there, or a pass-by of an edge before contract 1.2);
* visits: those that ended as a ``dwell``;
* interacted: visits during which the shopper touched, picked up or put back at this shelf (a reach whose start
  lies within the visit, by the same shopper);
* picked up: visits with a pickup at this shelf;
* took: visits with a pickup that no put-back reversed.

Counting events instead (touches, pickups) is not a funnel: one visit can hold five touches. The stages need to
know which visit an interaction belongs to, which rollups do not keep, so they are read from the raw events of
the window (kept for the retention period; a window older than that reads as empty).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from uuid import UUID

from shelfsight.dashboard.storage.base import EventFilter, FeedPosition, Store
from shelfsight.vision.events.codec import from_json
from shelfsight.vision.events.contract import (
    DwellEvent,
    DwellStartedEvent,
    PassByEvent,
    PickupEvent,
    PutbackEvent,
    TouchEvent,
)

FUNNEL_TYPES = ("dwell_started", "dwell", "pass_by", "touch", "pickup", "putback")
PAGE = 5_000
"""Events read per query."""


@dataclass(frozen=True)
class Funnel:
    """Counts of zone visits at one shelf, each stage a subset of the one before."""

    passers_by: int
    visits: int
    interacted: int
    picked_up: int
    took: int

    def stages(self) -> list[tuple[str, int]]:
        """(label, count) from the top of the funnel down."""
        return [
            ("passers-by", self.passers_by),
            ("visits", self.visits),
            ("interacted", self.interacted),
            ("picked up", self.picked_up),
            ("took", self.took),
        ]


def shelf_funnel(store: Store, *, store_id: str, shelf_id: str, since: float, until: float) -> Funnel:
    """The funnel of ``shelf_id`` over events with ``since <= ts < until`` (UTC epoch seconds)."""
    events = _read(
        store, EventFilter(store_id=store_id, shelf_id=shelf_id, types=FUNNEL_TYPES, since=since, until=until)
    )
    ended: set[tuple[str, str, float]] = set()
    visits: dict[str, list[DwellEvent]] = defaultdict(list)
    started: list[DwellStartedEvent] = []
    reaches: list[TouchEvent | PickupEvent | PutbackEvent] = []
    for event in events:
        if isinstance(event, DwellEvent | PassByEvent):
            ended.add((event.shopper_id, event.zone_id, event.ts_start))
            if isinstance(event, DwellEvent):
                visits[event.shopper_id].append(event)
        elif isinstance(event, DwellStartedEvent):
            started.append(event)
        elif isinstance(event, TouchEvent | PickupEvent | PutbackEvent):
            reaches.append(event)
    still_open = {(e.shopper_id, e.zone_id, e.ts_start) for e in started} - ended
    reversed_ids = {e.pickup_event_id for e in reaches if isinstance(e, PutbackEvent) and e.pickup_event_id}
    interacted: set[UUID] = set()  # event ids of the visits (dwell events) at each stage
    picked: set[UUID] = set()
    took: set[UUID] = set()
    for reach in reaches:
        visit = next((v for v in visits[reach.shopper_id] if v.ts_start <= reach.ts_start <= v.ts_end), None)
        if visit is None:
            continue  # a reach outside any recorded visit (e.g. during a pass-by) is not a visit's interaction
        interacted.add(visit.event_id)
        if isinstance(reach, PickupEvent):
            picked.add(visit.event_id)
            if reach.event_id not in reversed_ids:
                took.add(visit.event_id)
    return Funnel(
        passers_by=len(ended) + len(still_open),
        visits=sum(len(v) for v in visits.values()),
        interacted=len(interacted),
        picked_up=len(picked),
        took=len(took),
    )


def _read(
    store: Store, flt: EventFilter
) -> list[DwellEvent | DwellStartedEvent | PassByEvent | TouchEvent | PickupEvent | PutbackEvent]:
    out: list[DwellEvent | DwellStartedEvent | PassByEvent | TouchEvent | PickupEvent | PutbackEvent] = []
    after: FeedPosition | None = None
    while True:
        page = store.events(flt, after=after, limit=PAGE)
        out.extend(from_json(row.payload) for row in page)  # type: ignore[misc]  # the filter's types
        if len(page) < PAGE:
            return out
        after = FeedPosition(page[-1].ts, page[-1].event_id)
