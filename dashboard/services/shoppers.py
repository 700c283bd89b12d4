"""A shopper's journey: their visits in order, each with the touches, pickups and put-backs made during it.

An interaction belongs to the visit whose time span holds its start and whose zone (touch) or shelf (pickup,
put-back) it shares; anything else is listed apart as made outside a recorded visit (e.g. a reach during a
visit too short to be a dwell).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from shelfsight.dashboard.storage.base import Store
from shelfsight.vision.events.codec import from_json
from shelfsight.vision.events.contract import (
    AnyEvent,
    DwellEvent,
    DwellStartedEvent,
    PassByEvent,
    PickupEvent,
    PutbackEvent,
    TouchEvent,
)

Interaction = TouchEvent | PickupEvent | PutbackEvent


@dataclass
class Visit:
    """One dwell and what the shopper did during it."""

    dwell: DwellEvent
    touches: list[TouchEvent] = field(default_factory=list)
    pickups: list[PickupEvent] = field(default_factory=list)
    putbacks: list[PutbackEvent] = field(default_factory=list)


@dataclass(frozen=True)
class JourneyTotals:
    """A shopper's totals over their whole journey."""

    visits: int
    dwell_s: float
    touches: int
    pickups: int
    putbacks: int
    takes: int


@dataclass(frozen=True)
class Journey:
    """Ordered visits, interactions outside any visit, and totals; empty when the shopper is unknown.

    ``unfinished`` are confirmed entries with no dwell and no pass_by: the shopper is dwelling now (or, with an edge
    before contract 1.2, which sent no pass_by, left under the minimum dwell).
    """

    store_id: str
    shopper_id: str
    visits: list[Visit]
    outside: list[Interaction]
    unfinished: list[DwellStartedEvent]
    totals: JourneyTotals
    first_ts: float | None
    last_ts: float | None


def shopper_journey(store: Store, store_id: str, shopper_id: str) -> Journey:
    """Build the journey of one shopper from their stored events (raw events: within the retention period)."""
    events = [from_json(row.payload) for row in store.shopper_events(store_id, shopper_id)]
    visits = [Visit(e) for e in events if isinstance(e, DwellEvent)]
    outside: list[Interaction] = []
    for event in events:
        if isinstance(event, TouchEvent | PickupEvent | PutbackEvent):
            visit = _visit_of(visits, event)
            if visit is None:
                outside.append(event)
            elif isinstance(event, TouchEvent):
                visit.touches.append(event)
            elif isinstance(event, PickupEvent):
                visit.pickups.append(event)
            else:
                visit.putbacks.append(event)
    finished = {(v.dwell.zone_id, v.dwell.ts_start) for v in visits}
    finished |= {(e.zone_id, e.ts_start) for e in events if isinstance(e, PassByEvent)}  # ended under the minimum
    unfinished = [e for e in events if isinstance(e, DwellStartedEvent) and (e.zone_id, e.ts_start) not in finished]
    return Journey(store_id, shopper_id, visits, outside, unfinished, _totals(events), *_span(events))


def _visit_of(visits: Sequence[Visit], event: Interaction) -> Visit | None:
    for visit in visits:
        dwell = visit.dwell
        if not dwell.ts_start <= event.ts_start <= dwell.ts_end:
            continue
        if isinstance(event, TouchEvent) and event.zone_id == dwell.zone_id:
            return visit
        if not isinstance(event, TouchEvent) and dwell.shelf_id is not None and event.shelf_id == dwell.shelf_id:
            return visit
    return None


def _totals(events: Sequence[AnyEvent]) -> JourneyTotals:
    pickups = [e for e in events if isinstance(e, PickupEvent)]
    reversed_ids = {str(e.pickup_event_id) for e in events if isinstance(e, PutbackEvent) and e.pickup_event_id}
    return JourneyTotals(
        visits=sum(isinstance(e, DwellEvent) for e in events),
        dwell_s=sum(e.dwell_s for e in events if isinstance(e, DwellEvent)),
        touches=sum(isinstance(e, TouchEvent) for e in events),
        pickups=len(pickups),
        putbacks=sum(isinstance(e, PutbackEvent) for e in events),
        takes=sum(str(p.event_id) not in reversed_ids for p in pickups),
    )


def _span(events: Sequence[AnyEvent]) -> tuple[float | None, float | None]:
    if not events:
        return None, None
    return min(getattr(e, "ts_start", e.ts) for e in events), max(e.ts for e in events)
