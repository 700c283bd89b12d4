"""True events of a rendered scenario: dwell and dwell_started from the visits, touch / pickup / putback from
the reaches, in the project's v1 event schema (conventions: `shelfsight.vision.synthetic.truth` and docs/synthetic.md).

Shoppers are ``gt-{id}`` (`shopper_id_for` with camera ``gt``); times are the scenario's start epoch plus scene
time; event ids come from `event_id_for`, so the same scenario always gives the same ids.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Final
from uuid import UUID

from shelfsight.vision.events.contract import (
    AnyEvent,
    DwellEvent,
    DwellStartedEvent,
    PickupEvent,
    PutbackEvent,
    ShelfSpot,
    TouchEvent,
)
from shelfsight.vision.events.ids import event_id_for, shopper_id_for
from shelfsight.vision.synthetic.motion import ReachPlan
from shelfsight.vision.synthetic.story import ReachOutcome, Story

logger = logging.getLogger(__name__)

TRUTH_CAMERA: Final = "gt"
"""Prefix of true shopper ids: ``gt-3`` is shopper 3 (`shopper_id_for(camera_id="gt", track_id=3)`)."""


@dataclass(frozen=True)
class Visit:
    """One visit of a shopper to a standing zone, in frames [first, end) and epoch seconds."""

    shopper_id: int
    zone_id: str
    shelf_id: str
    first: int
    end: int
    ts_start: float
    ts_end: float
    occluded_s: float

    @property
    def dwell_s(self) -> float:
        """Visit length, seconds (rounded to the microsecond, as the times are)."""
        return round(self.ts_end - self.ts_start, 6)


def true_shopper_id(shopper: int) -> str:
    """The anonymous id of a true shopper: ``gt-{id}``."""
    return shopper_id_for(camera_id=TRUTH_CAMERA, track_id=shopper)


def visit_events(story: Story, visits: list[Visit]) -> list[AnyEvent]:
    """``dwell_started`` for every visit, ``dwell`` for those of at least ``min_dwell_s``."""
    scenario = story.scenario
    store, camera = scenario.store_id, scenario.camera.camera_id
    events: list[AnyEvent] = []
    for v in visits:
        shopper = true_shopper_id(v.shopper_id)
        started_id = event_id_for(
            store_id=store,
            camera_id=camera,
            type="dwell_started",
            shopper_id=shopper,
            ts_start=v.ts_start,
            extra=v.zone_id,
        )
        events.append(
            DwellStartedEvent(
                event_id=started_id,
                store_id=store,
                camera_id=camera,
                confidence=1.0,
                shopper_id=shopper,
                ts=round(v.ts_start + scenario.dwell.entry_debounce_s, 6),
                ts_start=v.ts_start,
                zone_id=v.zone_id,
                shelf_id=v.shelf_id,
            )
        )
        if v.dwell_s < scenario.dwell.min_dwell_s:
            continue
        dwell_id = event_id_for(
            store_id=store, camera_id=camera, type="dwell", shopper_id=shopper, ts_start=v.ts_start, extra=v.zone_id
        )
        events.append(
            DwellEvent(
                event_id=dwell_id,
                store_id=store,
                camera_id=camera,
                confidence=1.0,
                shopper_id=shopper,
                ts=v.ts_end,
                ts_start=v.ts_start,
                ts_end=v.ts_end,
                zone_id=v.zone_id,
                shelf_id=v.shelf_id,
                dwell_s=v.dwell_s,
                occluded_s=min(v.occluded_s, v.dwell_s),
            )
        )
    return events


def _spot(story: Story, shelf_id: str, spot_id: str) -> ShelfSpot:
    layout = story.layout
    return ShelfSpot(spot_id=spot_id, box=layout.spot_box(layout.shelf(shelf_id).spots[spot_id]))


def _reach_event(story: Story, outcome: ReachOutcome, pickup_ids: dict[ReachPlan, UUID]) -> AnyEvent:
    scenario, reach = story.scenario, outcome.reach
    epoch = scenario.start_epoch_s
    ts_start, ts_end = round(epoch + max(0.0, reach.t_start), 6), round(epoch + reach.t_end, 6)
    shopper = true_shopper_id(outcome.shopper_id)
    common: dict[str, Any] = {
        "store_id": scenario.store_id,
        "camera_id": scenario.camera.camera_id,
        "confidence": 1.0,
        "ts": ts_end,
        "ts_start": ts_start,
        "ts_end": ts_end,
        "shopper_id": shopper,
        "shelf_id": reach.shelf_id,
        "spot": _spot(story, reach.shelf_id, reach.spot_id),
    }
    event_id = event_id_for(
        store_id=scenario.store_id,
        camera_id=scenario.camera.camera_id,
        type=_TYPES[reach.action],
        shopper_id=shopper,
        ts_start=ts_start,
        extra=f"{reach.shelf_id}/{reach.spot_id}",
    )
    if reach.action == "touch":
        return TouchEvent(event_id=event_id, zone_id=story.layout.shelf(reach.shelf_id).standing_zone_id, **common)
    if reach.action == "take":
        return PickupEvent(event_id=event_id, **common)
    take = outcome.take
    misplaced = take is None or (take.shelf_id, take.spot_id) != (reach.shelf_id, reach.spot_id)
    pickup_id = pickup_ids.get(take) if take is not None else None
    return PutbackEvent(event_id=event_id, pickup_event_id=pickup_id, misplaced=misplaced, **common)


_TYPES: Final = {"touch": "touch", "take": "pickup", "return": "putback"}


def reach_events(story: Story) -> list[AnyEvent]:
    """A touch, pickup or putback event for every reach in the video; each putback names the pickup it reverses.

    A reach whose middle (when the item moves) came before the video started is not an event.
    """
    pickup_ids: dict[ReachPlan, UUID] = {}
    events: list[AnyEvent] = []
    for outcome in story.outcomes:
        if outcome.reach.t_peak < 0:
            continue
        event = _reach_event(story, outcome, pickup_ids)
        if isinstance(event, PickupEvent):
            pickup_ids[outcome.reach] = event.event_id
        events.append(event)
    return events
