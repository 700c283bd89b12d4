"""The one place shelf events are built: the reach's times, shopper and source; stable ids; spots clipped to the
frame; a touch names its standing zone."""

from __future__ import annotations

from shelfsight.vision.events.contract import PickupEvent, PutbackEvent, TouchEvent
from shelfsight.vision.events.ids import event_id_for
from shelfsight.vision.events.reach import Reach
from shelfsight.vision.events.shelf_event_builder import MIN_SPOT_SIZE, PickupLink, ShelfEventBuilder
from tests.vision.events.scene import FRAME, STANDING, T0


def builder() -> ShelfEventBuilder:
    return ShelfEventBuilder("store-1", "cam1", FRAME, {"shelf-1": STANDING})


def reach(shelf_id: str = "shelf-1") -> Reach:
    return Reach(7, shelf_id, T0 + 1.0, T0 + 2.5, (160.0, 60.0, 192.0, 84.0), source="pose")


def test_a_pickup_and_its_putback_carry_the_reach_and_stable_ids() -> None:
    build = builder()
    spot = build.spot((160.0, 60.0, 192.0, 84.0))
    assert spot.spot_id == "x0.55y0.30" and spot.box == (0.5, 0.25, 0.6, 0.35)
    pickup = build.pickup(reach(), shelf_id="shelf-1", spot=spot, confidence=0.9)
    assert isinstance(pickup, PickupEvent)
    assert (pickup.ts, pickup.ts_start, pickup.ts_end) == (T0 + 2.5, T0 + 1.0, T0 + 2.5)
    assert (pickup.shopper_id, pickup.reach_source, pickup.confidence) == ("cam1-7", "pose", 0.9)
    expected_id = event_id_for(
        store_id="store-1",
        camera_id="cam1",
        type="pickup",
        shopper_id="cam1-7",
        ts_start=T0 + 1.0,
        extra="shelf-1/x0.55y0.30",
    )
    assert pickup.event_id == expected_id
    assert build.pickup(reach(), shelf_id="shelf-1", spot=spot, confidence=0.9) == pickup
    putback = build.putback(
        reach(), shelf_id="shelf-1", spot=spot, confidence=0.9, link=PickupLink(pickup.event_id, misplaced=True)
    )
    assert isinstance(putback, PutbackEvent)
    assert (putback.pickup_event_id, putback.misplaced) == (pickup.event_id, True)
    assert putback.event_id != pickup.event_id


def test_a_touch_names_the_standing_zone_or_the_shelf_without_one() -> None:
    touch = builder().touch(reach(), confidence=0.8)
    assert isinstance(touch, TouchEvent) and touch.zone_id == "shelf-1-front" and touch.spot is not None
    assert touch.event_id == event_id_for(
        store_id="store-1", camera_id="cam1", type="touch", shopper_id="cam1-7", ts_start=T0 + 1.0, extra="shelf-1"
    )
    assert builder().touch(reach("shelf-2"), confidence=0.3).zone_id == "shelf-2"


def test_a_spot_outside_the_frame_is_clipped_and_keeps_an_area() -> None:
    spot = builder().spot((330.0, 250.0, 400.0, 300.0))
    x1, y1, x2, y2 = spot.box
    assert 0.0 <= x1 < x2 <= 1.0 and 0.0 <= y1 < y2 <= 1.0
    assert x2 - x1 >= MIN_SPOT_SIZE - 1e-12 and y2 - y1 >= MIN_SPOT_SIZE - 1e-12
