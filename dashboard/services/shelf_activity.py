"""A shelf's recent events, newest first, as the shelf page lists them: what happened, who, where, and a call-out
for an item put back in the wrong place.

Read from raw events (`Store.recent_events`, one indexed query), not rollups: the list names shoppers and
spots, which rollups do not keep. Raw events are kept for the retention period only, so an older window lists
nothing while its figures (from rollups) remain.
"""

from __future__ import annotations

from dataclasses import dataclass

from shelfsight.dashboard.services.windows import TimeWindow
from shelfsight.dashboard.storage.base import EventFilter, Store
from shelfsight.vision.events.codec import from_json
from shelfsight.vision.events.contract import DwellEvent, PickupEvent, PutbackEvent, TouchEvent

SHELF_EVENT_TYPES = ("dwell", "touch", "pickup", "putback")
"""What a shelf's list shows: visits and reaches (entries, pass-bys and camera statuses are elsewhere)."""
RECENT_EVENTS = 50
"""How many events the shelf page lists; the feed (``/api/v1/events?shelf_id=``) has them all."""
LABELS = {"dwell": "visit", "touch": "touch", "pickup": "pick-up", "putback": "put-back"}


@dataclass(frozen=True)
class ShelfActivity:
    """One event of a shelf, ready to show.

    Attributes:
        ts: When it started (a visit's entry, a reach's start), UTC epoch seconds.
        kind: ``dwell``, ``touch``, ``pickup`` or ``putback``.
        label: What people call it ("visit", "pick-up", ...).
        shopper_id: The anonymous shopper (their journey page's id).
        zone_id: Standing zone of a visit or touch, else None.
        spot_id: Spot of a pick-up, put-back or narrowed touch, else None.
        duration_s: A visit's dwell, seconds; None for reaches.
        confidence: The producer's 0..1 confidence.
        misplaced: A put-back to another spot than the item was taken from.
        taken_from: For a misplaced put-back, the spot of the pick-up it reverses, when that is stored.
    """

    ts: float
    kind: str
    label: str
    shopper_id: str
    zone_id: str | None
    spot_id: str | None
    duration_s: float | None
    confidence: float
    misplaced: bool = False
    taken_from: str | None = None


def recent_shelf_events(
    store: Store, *, store_id: str, shelf_id: str, window: TimeWindow, limit: int = RECENT_EVENTS
) -> list[ShelfActivity]:
    """The newest ``limit`` visits and reaches of one shelf that ended in ``window``, latest start first."""
    flt = EventFilter(
        store_id=store_id, shelf_id=shelf_id, types=SHELF_EVENT_TYPES, since=window.since, until=window.until
    )
    rows = [from_json(row.payload) for row in store.recent_events(flt, limit=limit)]
    found = [a for a in (_activity(store, event) for event in rows) if a is not None]
    return sorted(found, key=lambda a: a.ts, reverse=True)  # listed by start, the time shown


def _activity(store: Store, event: object) -> ShelfActivity | None:
    if isinstance(event, DwellEvent):
        return ShelfActivity(
            event.ts_start,
            "dwell",
            LABELS["dwell"],
            event.shopper_id,
            event.zone_id,
            None,
            event.dwell_s,
            event.confidence,
        )
    if isinstance(event, TouchEvent):
        spot = event.spot.spot_id if event.spot is not None else None
        return ShelfActivity(
            event.ts_start, "touch", LABELS["touch"], event.shopper_id, event.zone_id, spot, None, event.confidence
        )
    if isinstance(event, PickupEvent | PutbackEvent):
        misplaced = isinstance(event, PutbackEvent) and event.misplaced
        taken_from = _pickup_spot(store, event) if misplaced else None
        return ShelfActivity(
            event.ts_start,
            event.type,
            LABELS[event.type],
            event.shopper_id,
            None,
            event.spot.spot_id,
            None,
            event.confidence,
            misplaced,
            taken_from,
        )
    return None


def _pickup_spot(store: Store, putback: PickupEvent | PutbackEvent) -> str | None:
    """The spot the reversed pick-up took the item from (None when unmatched or no longer stored)."""
    pickup_id = getattr(putback, "pickup_event_id", None)
    stored = store.event(str(pickup_id)) if pickup_id is not None else None
    if stored is None:
        return None
    pickup = from_json(stored.payload)
    return pickup.spot.spot_id if isinstance(pickup, PickupEvent) else None
