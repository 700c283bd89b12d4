"""Reaches that end with the shopper walking off, and reaches that no seen change explains: touch or an unseen
take-and-return."""

from __future__ import annotations

import numpy as np

from vision.detections import FrameDetections
from vision.events.contract import PickupEvent, PutbackEvent, TouchEvent
from vision.events.reach import Reach, ReachDetector
from vision.events.shelf_events import ShelfEventMachine
from vision.events.shelf_state import ShelfChange
from vision.zones import Zone

FRAME = (480, 640)
T0 = 1_767_603_600.0
SHELF = Zone.from_normalised("shelf-1", "shelf", [(0.1, 0.1), (0.9, 0.1), (0.9, 0.5), (0.1, 0.5)], FRAME)
ARM = (300.0, 100.0, 330.0, 140.0)


def shopper(x: float) -> FrameDetections:
    box = np.array([[x - 30, 150, x + 30, 400]], np.float32)
    return FrameDetections(box, np.ones(1, np.float32), np.zeros(1, np.int64), tracker_id=np.array([7]))


def nobody() -> FrameDetections:
    return FrameDetections(
        np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64), tracker_id=np.zeros(0, np.int64)
    )


def reaches(xs: list[float | None], arm_on: list[bool], fps: float = 5.0) -> list[Reach]:
    """Reaches of one shopper at foot x ``xs[i]`` (None: not seen in that frame) with the arm signal on or off."""
    detector = ReachDetector(SHELF)
    out: list[Reach] = []
    for i, (x, on) in enumerate(zip(xs, arm_on, strict=True)):
        if x is None:
            out += detector.update(nobody(), [], T0 + i / fps)
        else:
            out += detector.update(shopper(x), [ARM if on else None], T0 + i / fps)
    return out


def test_a_reach_ended_while_standing_is_not_walked_off() -> None:
    (reach,) = reaches([270.0] * 20, [False] * 5 + [True] * 6 + [False] * 9)
    assert not reach.walked_off and reach.end - reach.start >= 1.0


def test_a_reach_whose_shopper_walks_off_with_the_signal_on_is_walked_off() -> None:
    xs = [270.0] * 11 + [270.0 + 30 * i for i in range(1, 10)]  # starts walking while the arm signal is on
    (reach,) = reaches(xs, [False] * 5 + [True] * 15)
    assert reach.walked_off


def test_a_reach_survives_its_shopper_being_hidden_for_a_moment() -> None:
    # 0.4 s of arm, 0.6 s hidden behind a passer-by, 0.4 s of arm: one reach, not two too short to count
    xs: list[float | None] = [270.0] * 7 + [None] * 3 + [270.0] * 10
    (reach,) = reaches(xs, [False] * 5 + [True] * 2 + [False] * 3 + [True] * 3 + [False] * 7)
    assert abs(reach.start - (T0 + 1.0)) < 1e-6 and abs(reach.end - (T0 + 2.4)) < 1e-6


def machine_with(*pending: Reach) -> ShelfEventMachine:
    machine = ShelfEventMachine(store_id="s", camera_id="cam1", shelves=[SHELF], standing_zones={})
    machine._pending = list(pending)
    return machine


def test_a_lone_reach_is_a_touch_and_a_walked_off_one_is_nothing() -> None:
    (touch,) = machine_with(Reach(7, "shelf-1", T0, T0 + 1.6, ARM)).flush(T0 + 30)
    assert isinstance(touch, TouchEvent) and touch.ts_start == T0
    assert machine_with(Reach(7, "shelf-1", T0, T0 + 1.0, ARM, walked_off=True)).flush(T0 + 30) == []


def test_two_unexplained_reaches_to_one_spot_are_an_unseen_take_and_return() -> None:
    first, second = Reach(7, "shelf-1", T0, T0 + 1.6, ARM), Reach(7, "shelf-1", T0 + 5, T0 + 6.6, ARM)
    pickup, putback = sorted(machine_with(second, first).flush(T0 + 30), key=lambda e: e.ts)
    assert isinstance(pickup, PickupEvent) and isinstance(putback, PutbackEvent)
    assert (pickup.ts_start, putback.ts_start) == (T0, T0 + 5) and pickup.confidence == putback.confidence == 0.5
    assert putback.pickup_event_id == pickup.event_id and not putback.misplaced


def test_reaches_of_other_shoppers_spots_or_times_stay_touches() -> None:
    elsewhere = (500.0, 100.0, 530.0, 140.0)
    for second in (
        Reach(8, "shelf-1", T0 + 5, T0 + 6.6, ARM),  # another shopper
        Reach(7, "shelf-1", T0 + 5, T0 + 6.6, elsewhere),  # another spot
        Reach(7, "shelf-1", T0 + 30, T0 + 31.6, ARM),  # long after (beyond same_spot_window_s)
    ):
        events = machine_with(Reach(7, "shelf-1", T0, T0 + 1.6, ARM), second).flush(T0 + 60)
        assert [e.type for e in events] == ["touch", "touch"]


def test_a_change_goes_to_the_reach_that_fits_it_not_the_widest_sweep() -> None:
    """One shopper reaches for a spot, then sweeps a wide region of the shelf (putting something back
    elsewhere): the removal is the first reach's, although the sweep overlaps more of it."""
    at_spot = Reach(7, "shelf-1", T0, T0 + 1.6, (300.0, 100.0, 330.0, 140.0))
    sweep = Reach(7, "shelf-1", T0 + 5, T0 + 6.6, (200.0, 80.0, 420.0, 200.0))
    machine = machine_with(at_spot, sweep)
    gone = ShelfChange(
        "shelf-1", (280.0, 80.0, 360.0, 170.0), "removed", T0 - 1, T0 + 9, (90, 90, 90), (200, 200, 190), 40.0
    )
    machine._due = [gone]
    events = machine.flush(T0 + 10)
    (pickup,) = [e for e in events if isinstance(e, PickupEvent)]
    assert (pickup.ts_start, pickup.ts_end) == (at_spot.start, at_spot.end)
    assert [e.ts_start for e in events if isinstance(e, TouchEvent)] == [sweep.start]  # the sweep stays a touch


def test_a_reach_that_started_after_the_change_was_seen_did_not_make_it() -> None:
    """The take was not seen as a reach; the removal came into view at T0 + 4; the shopper's return reach at
    T0 + 5 fits the spot exactly but started after the removal was seen: the pick-up is not that reach's
    (it falls back to who covered the spot), and the return reach stays free for the put-back."""
    machine = machine_with()
    machine._history.append((T0 + 2, np.array([7]), shopper(315).xyxy))
    spot = (300.0, 160.0, 330.0, 200.0)  # in front of the shopper's body (their box covers it)
    gone = ShelfChange("shelf-1", spot, "removed", T0 + 1, T0 + 4, (90, 90, 90), (200, 200, 190), 40.0)
    machine._pending = [Reach(7, "shelf-1", T0 + 5, T0 + 6.6, spot)]
    machine._due = [gone]
    (pickup,) = [e for e in machine.flush(T0 + 10) if isinstance(e, PickupEvent)]
    assert pickup.confidence == 0.75 and pickup.ts_end <= T0 + 4  # by covering, not the later reach (0.9)


def test_a_reach_waits_while_its_shopper_may_reach_to_the_spot_again() -> None:
    """An unseen take: the item is in the hand, hidden by the body, while the shopper looks at it. The first
    reach must not be decided as a touch while the shopper still stands there, or the return reach a few
    seconds later has nothing to pair with."""
    from vision.events.shelf_events import ShelfEventSettings

    first, second = Reach(7, "shelf-1", T0, T0 + 1.6, ARM), Reach(7, "shelf-1", T0 + 5, T0 + 6.6, ARM)
    machine = ShelfEventMachine(
        store_id="s", camera_id="cam1", shelves=[SHELF], standing_zones={},
        settings=ShelfEventSettings(touch_timeout_s=1.0),
    )  # fmt: skip
    machine._history.append((T0 + 3, np.array([7]), shopper(315).xyxy))
    machine._pending = [first]
    assert machine._touches(T0 + 3, force=False) == []  # timed out, but shopper 7 is still there
    machine._pending.append(second)
    machine._history.append((T0 + 8, np.array([7]), shopper(315).xyxy))
    assert machine._touches(T0 + 8, force=False) == []  # both wait while the shopper is there
    machine._history.append((T0 + 12, np.array([7]), shopper(315).xyxy))
    assert [e.type for e in machine._touches(T0 + 12, force=False)] == ["pickup", "putback"]  # first's window over

    gone = machine_with(first)
    gone._history.append((T0 + 3, np.zeros(0, np.int64), np.zeros((0, 4), np.float32)))
    assert [e.type for e in gone._touches(T0 + 3 + 20, force=False)] == ["touch"]  # shopper left: decided


def test_a_decided_reach_pairs_with_an_earlier_one_still_waiting() -> None:
    """The second reach's spot may come into view (and be decided) before the first's: they still pair."""
    wider = (295.0, 95.0, 335.0, 150.0)
    first, second = Reach(7, "shelf-1", T0, T0 + 1.6, wider), Reach(7, "shelf-1", T0 + 5, T0 + 6.6, ARM)
    machine = machine_with(first, second)
    machine.states["shelf-1"].region_settled = lambda box, t: box is second.hand_box  # type: ignore[method-assign]
    machine._history.append((T0 + 30, np.zeros(0, np.int64), np.zeros((0, 4), np.float32)))
    events = machine._touches(T0 + 12, force=False)
    assert [(e.type, e.ts_start) for e in events] == [("pickup", T0), ("putback", T0 + 5)]
