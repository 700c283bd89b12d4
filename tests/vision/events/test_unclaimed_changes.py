"""Shelf changes no reach's check claimed: reported once by the shelf model, given to the nearest standing hand."""

from __future__ import annotations

import numpy as np

from shelfsight.vision.events.contract import PickupEvent
from shelfsight.vision.events.engine import EngineSettings
from shelfsight.vision.events.hand_trail import HandTrail
from shelfsight.vision.events.shelf_events import UNCLAIMED_CONFIDENCE, ShelfEventSettings
from shelfsight.vision.events.shelf_state import ShelfChange, ShelfState, ShelfStateSettings
from shelfsight.vision.events.spot_boxes import overlaps
from shelfsight.vision.events.wrists import Hands, HandSettings
from tests.vision.events.scene import FPS, SHELF, T0, Shopper, facing_centre, shelf_frame
from tests.vision.events.test_shelf_events import Step, reach, run

NO_ONE = np.zeros((0, 4), np.float32)
FACING_5 = (192.0, 30.0, 218.0, 110.0)


def unclaimed_over(frames: list[np.ndarray], **settings: float) -> list[tuple[float, ShelfChange]]:
    """Feed the frames (nobody in them) at 5 fps; every (time, change) the model reported as unclaimed."""
    state = ShelfState(SHELF, ShelfStateSettings(**settings))  # type: ignore[arg-type]
    reported = []
    for index, image in enumerate(frames):
        t = T0 + index / FPS
        state.update(image, NO_ONE, t)
        reported += [(t, change) for change in state.unclaimed]
    return reported


def test_a_lasting_change_nobody_held_is_reported_once_when_learned() -> None:
    full, taken = shelf_frame(), shelf_frame(missing=(5,))
    ((t, change),) = unclaimed_over([full] * 5 + [taken] * 40, relearn_s=2.0)
    assert change.kind == "removed" and overlaps(change.box, FACING_5)
    assert T0 + 1.0 + 2.0 <= t <= T0 + 1.0 + 2.0 + 1.0  # changed at 1 s, settled, then relearn_s
    assert unclaimed_over([full] * 45, relearn_s=2.0) == []


def test_a_change_smaller_than_an_item_is_not_reported() -> None:
    full = shelf_frame()
    speck = full.copy()
    speck[60:62, 200:202] = 255  # 2 x 2 frame pixels: one working pixel
    assert unclaimed_over([full] * 5 + [speck] * 40, relearn_s=2.0) == []


def hands_at(*tips: tuple[float, float], extension: float = 0.2) -> Hands:
    """Hands of len(tips) shoppers: the right hand at each tip, the left one unseen."""
    n = len(tips)
    tip = np.zeros((n, 2, 2), np.float32)
    tip[:, 1] = tips
    seen = np.zeros((n, 2), bool)
    seen[:, 1] = True
    return Hands(
        tip=tip,
        seen=seen,
        reaching=np.zeros((n, 2), bool),
        extension=np.full((n, 2), extension, np.float32),
        radius=np.full(n, 8.0, np.float32),
    )


def trail_of_two(other: tuple[float, float]) -> HandTrail:
    """Shopper 1's hand on facing 5 from frame 8 to 11 (out furthest at 9), shopper 2's at ``other`` all along."""
    trail = HandTrail(window_s=20.0, margin=1.0)  # hands 16 px wide: within 16 px of a change
    ids = np.array([1, 2], np.int64)
    for i in range(20):
        near = (205.0, 75.0) if 8 <= i <= 11 else (180.0, 150.0)
        trail.add(T0 + i / FPS, ids, hands_at(near, other, extension=0.5 if i == 9 else 0.2), {"s": {0, 1}})
    return trail


def test_the_trail_gives_a_change_to_the_one_standing_hand_near_it_at_its_furthest_out() -> None:
    trail = trail_of_two((240.0, 75.0))  # 22 px off facing 5
    reach = trail.claim("s", FACING_5)
    assert reach is not None and reach.track_id == 1 and reach.shelf_id == "s"
    assert (reach.start, reach.end) == (T0 + 8 / FPS, T0 + 11 / FPS)
    assert overlaps(reach.hand_box, FACING_5)
    assert trail.claim("other shelf", FACING_5) is None
    assert HandTrail(window_s=20.0, margin=0.0).claim("s", FACING_5) is None


def test_two_shoppers_hands_near_a_change_leave_it_unclaimed() -> None:
    assert trail_of_two((230.0, 75.0)).claim("s", FACING_5) is None  # 12 px off: whose it was is a guess


def test_the_trail_forgets_hands_older_than_its_window_and_those_not_standing() -> None:
    trail = HandTrail(window_s=5.0, margin=1.0)
    trail.add(T0, np.array([1], np.int64), hands_at((205.0, 75.0)), {"s": {0}})
    trail.add(T0 + 1.0, np.array([2], np.int64), hands_at((205.0, 75.0)), {"s": set()})  # not standing there
    trail.add(T0 + 6.0, np.array([3], np.int64), hands_at((100.0, 200.0)), {"s": {0}})
    assert trail.claim("s", FACING_5) is None


def unseen_take(x: float) -> list[Step]:
    """A shopper standing at ``x`` holds a hand on facing 5 for 1 s while it goes, then leaves; 8 s of shelf."""
    stand, hand = [Shopper(1, x)], [Shopper(1, x, facing_centre(5))]
    steps: list[Step] = [((), [])] * 5 + [((), stand)] * 5
    steps += [((), hand)] * 2 + [((5,), hand)] * 3 + [((5,), stand)] * 5
    return steps + [((5,), [])] * 40


NEVER_OUT = HandSettings(min_angle_deg=180.0, min_raise=10.0, min_extension=10.0)  # the pose sees no reach


def test_a_take_the_pose_never_saw_as_a_reach_is_the_pickup_of_the_nearest_hand() -> None:
    (pickup,) = run(unseen_take(150.0), settings=EngineSettings(hands=NEVER_OUT))
    assert isinstance(pickup, PickupEvent) and pickup.confidence == UNCLAIMED_CONFIDENCE
    assert pickup.shopper_id == "cam1-1" and T0 + 10 / FPS <= pickup.ts_start <= pickup.ts_end <= T0 + 15 / FPS
    x1, y1, x2, y2 = pickup.spot.box
    assert x1 * 320 < 205 < x2 * 320 and y1 * 240 < 70 < y2 * 240  # facing 5
    off = ShelfEventSettings(unclaimed_margin=0.0)
    assert run(unseen_take(150.0), settings=EngineSettings(hands=NEVER_OUT, spots=off)) == []


def unseen_put(x: float) -> list[Step]:
    """The same with facing 5 missing from the start and appearing under the hand: an addition."""
    stand, hand = [Shopper(1, x)], [Shopper(1, x, facing_centre(5))]
    steps: list[Step] = [((5,), [])] * 5 + [((5,), stand)] * 5
    steps += [((5,), hand)] * 2 + [((), hand)] * 3 + [((), stand)] * 5
    return steps + [((), [])] * 40


def test_an_unclaimed_addition_is_nobodys_put_back() -> None:
    """An item left on the shelf, or held up in front of it, looks added as well: only removals are claimed."""
    assert run(unseen_put(150.0), settings=EngineSettings(hands=NEVER_OUT)) == []


def test_the_part_of_a_gap_beyond_a_reachs_spot_is_not_a_second_pickup() -> None:
    """Facings 5 and 6 go at one reach to facing 5: the check judges its spot, and facing 6, beside it and learned
    unclaimed while the spot is held, is the same take (within `SAME_CHANGE_PX`), not another pick-up."""
    stand = [Shopper(1, 150.0)]
    steps: list[Step] = [((), [])] * 5 + [((), stand)] * 5
    steps += list(reach(1, 150.0, facing_centre(5), (5, 6)))
    steps += [((5, 6), stand)] * 30 + [((5, 6), [])] * 30
    (pickup,) = run(steps)
    assert isinstance(pickup, PickupEvent) and pickup.confidence == 0.9
