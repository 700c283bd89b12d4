"""The shelf model on scripted frames: what is learned when, what a spot shows, faults that are not changes."""

from __future__ import annotations

import numpy as np

from shelfsight.vision.events.registration import CameraRegistration, CameraShift
from shelfsight.vision.events.shelf_state import ShelfChange, ShelfState, ShelfStateSettings, SpotPicture
from shelfsight.vision.events.spot_boxes import overlaps
from tests.vision.events.scene import BACKING, FPS, SHELF, T0, camera_faults, facing_centre, shelf_frame

NO_ONE = np.zeros((0, 4), np.float32)
SHOPPER = np.array([[100, 10, 170, 230]], np.float32)  # covers facings 2 and 3 (x 102..158)
FACING_2 = (102.0, 30.0, 128.0, 110.0)
FACING_5 = (192.0, 30.0, 218.0, 110.0)

Script = list[tuple[np.ndarray, np.ndarray]]


def run(state: ShelfState, frames: Script, *, held: tuple[tuple[float, float, float, float], ...] = ()) -> float:
    """Feed the frames at 5 fps; return the time of the last one."""
    t = T0
    for index, (image, boxes) in enumerate(frames):
        t = T0 + index / FPS
        state.update(image, boxes, t, held=held)
    return t


def make_state(**settings: float) -> ShelfState:
    return ShelfState(SHELF, ShelfStateSettings(**settings))  # type: ignore[arg-type]


def test_an_item_taken_behind_a_shopper_shows_as_a_removal_at_its_spot() -> None:
    state = make_state()
    full, taken = shelf_frame(), shelf_frame(missing=(2,))
    t = run(state, [(full, NO_ONE)] * 6 + [(full, SHOPPER)] * 5 + [(taken, SHOPPER)] * 5 + [(taken, NO_ONE)] * 5,
            held=(FACING_2,))  # fmt: skip
    look = state.examine(FACING_2, t)
    assert look.visible and look.known == 1.0 and look.change is not None
    assert look.change.kind == "removed" and look.change.shelf_id == "shelf-1"
    x1, y1, x2, y2 = look.change.box
    assert 98 <= x1 <= 106 and 124 <= x2 <= 132 and 26 <= y1 <= 34 and 106 <= y2 <= 114
    assert state.examine(FACING_5, t).change is None  # the rest of the shelf did not change


def test_a_spot_still_covered_or_not_yet_settled_is_not_visible() -> None:
    state = make_state()
    full = shelf_frame()
    t = run(state, [(full, NO_ONE)] * 5 + [(full, SHOPPER)] * 3)
    assert not state.examine(FACING_2, t).visible
    state = make_state()
    t = run(state, [(full, NO_ONE)] * 5 + [(full, SHOPPER)] * 3 + [(full, NO_ONE)] * 2)  # 0.2 s in view
    assert not state.examine(FACING_2, t).visible
    t = run(state, [(full, NO_ONE)] * 5 + [(full, SHOPPER)] * 3 + [(full, NO_ONE)] * 5)  # 0.8 s in view
    assert state.examine(FACING_2, t).visible


def test_a_spot_behind_a_shopper_since_the_first_frame_is_unknown() -> None:
    """Nothing was ever seen there before the reach that holds it: the spot cannot be judged (a touch, not a
    guess)."""
    state = make_state()
    script = [(shelf_frame(missing=(2,)), SHOPPER)] * 5 + [(shelf_frame(missing=(2,)), NO_ONE)] * 5
    t = run(state, script, held=(FACING_2,))
    look = state.examine(FACING_2, t)
    assert look.visible and look.known < 0.5


def test_a_shopper_boxed_only_after_the_first_frame_is_not_baked_into_the_picture() -> None:
    """The tracker confirms a shopper standing at the shelf a frame or two after the stream starts: the first frame
    shows their body with no box. Within ``first_look_s`` their box takes it out of the first picture, so the spot
    they leave is unknown (judged as unseen), not a change."""
    full = shelf_frame()
    body = full.copy()
    body[15:200, 100:170] = (70, 120, 60)
    script = [(body, NO_ONE)] + [(body, SHOPPER)] * 9 + [(full, NO_ONE)] * 6
    state = make_state()
    t = run(state, script, held=(FACING_2,))
    look = state.examine(FACING_2, t)
    assert look.visible and look.known < 0.5 and look.change is None
    assert state.examine(FACING_5, t).known == 1.0  # the rest of the first frame is known


def test_lighting_drift_and_an_exposure_step_are_not_changes() -> None:
    state = make_state()
    base = shelf_frame().astype(np.float32)
    script = []
    for i in range(60):
        gain = (1.0 + 0.15 * i / 60) * (0.8 if i >= 40 else 1.0)  # a slow drift, then a 20 % exposure step
        boxes = SHOPPER if 20 <= i < 35 else NO_ONE
        script.append((np.clip(base * gain, 0, 255).astype(np.uint8), boxes))
    t = run(state, script, held=(FACING_2,))
    assert state.examine(FACING_2, t).change is None and state.examine(FACING_5, t).change is None


def test_shake_drift_and_compression_are_not_changes_once_registered() -> None:
    """Dense print, 2 px of shake, 3 px/s of drift and JPEG quality 30: registered, nothing differs and the
    spots stay in view; compared raw (no registration), most of the print differs."""
    state, raw = make_state(), make_state()
    registration = CameraRegistration((240, 320), SHELF.bounds)
    full = shelf_frame()
    t = T0
    for index in range(40):
        t = T0 + index / FPS
        image, _ = camera_faults(full, index, jitter_px=2.0, drift_px_per_s=3.0, jpeg=30)
        shift = registration.update(image, NO_ONE)
        state.update(image, NO_ONE, t, shift=shift, held=(FACING_2, FACING_5))
        raw.update(image, NO_ONE, t, held=(FACING_2, FACING_5))
    for spot in (FACING_2, FACING_5):
        look = state.examine(spot, t)
        assert look.visible and look.change is None
    assert state._different.mean() < 0.01 < 0.2 < raw._different.mean()  # what registration prevents
    assert abs(shift.dx - 3.0 * 39 / FPS) < 3.0  # the drift is measured (plus up to 2 px of shake)


def test_a_held_spot_is_never_learned_and_an_unheld_difference_is_after_relearn_s() -> None:
    full, taken = shelf_frame(), shelf_frame(missing=(5,))
    held, free = make_state(relearn_s=2.0), make_state(relearn_s=2.0)
    script = [(full, NO_ONE)] * 5 + [(taken, NO_ONE)] * 30  # changed in view, nobody reached: 6 s
    t = run(held, script, held=(FACING_5,))
    run(free, script)
    assert held.examine(FACING_5, t).change is not None
    assert free.examine(FACING_5, t).change is None  # learned: no one held it


def test_nothing_is_learned_right_beside_a_shopper() -> None:
    """A shopper standing just beside a spot (within ``border_px`` of the box) is about to reach into it."""
    full, taken = shelf_frame(), shelf_frame(missing=(5,))
    beside = np.array([[150, 10, 186, 230]], np.float32)  # right edge 6 px from facing 5 (x 192)
    state = make_state(relearn_s=1.0)
    t = run(state, [(full, NO_ONE)] * 5 + [(taken, beside)] * 20 + [(taken, NO_ONE)] * 4)
    assert state.examine(FACING_5, t).change is not None  # still different from before: not learned


def test_accept_takes_the_spot_into_the_stable_picture() -> None:
    state = make_state()
    t = run(state, [(shelf_frame(), NO_ONE)] * 5 + [(shelf_frame(missing=(5,)), NO_ONE)] * 8, held=(FACING_5,))
    assert state.examine(FACING_5, t).change is not None
    state.accept(FACING_5)
    assert state.examine(FACING_5, t).change is None


def test_a_change_taller_than_a_product_is_a_shopper_the_detector_missed() -> None:
    full = shelf_frame()
    person = full.copy()
    person[15:125, 100:160] = (70, 120, 60)
    walking_in = np.array([[95, 10, 165, 150]], np.float32)  # 140 px tall
    spot = (95.0, 20.0, 165.0, 120.0)
    state = make_state()
    t = run(state, [(full, NO_ONE)] * 6 + [(person, walking_in)] * 3 + [(person, NO_ONE)] * 6, held=(spot,))
    look = state.examine(spot, t)
    assert look.too_tall and look.change is None
    tall_allowed = make_state(max_change_height=1.0)
    run(tall_allowed, [(full, NO_ONE)] * 6 + [(person, walking_in)] * 3 + [(person, NO_ONE)] * 6, held=(spot,))
    assert tall_allowed.examine(spot, t).change is not None  # what the rule prevents


def pale_facing(frame: np.ndarray, index: int) -> np.ndarray:
    """``frame`` with facing ``index`` a pale item on the pale backing: a print of 8 px squares, half of them
    20 grey levels darker than the backing, half the backing's colour. Taking it changes colour and structure
    only faintly."""
    out = frame.copy()
    x = 42 + 30 * index
    rows, cols = np.indices((80, 26))
    dark = ((rows // 8 + cols // 8) % 2 == 0)[..., None]
    out[30:110, x : x + 26] = np.array(BACKING, np.int16) - 20 * dark
    return out


def test_a_pale_item_taken_from_pale_backing_is_a_faint_change_at_the_reachs_spot() -> None:
    """No pixel passes the colour tests (at most 20 grey levels), yet colour and structure both differ over the
    whole facing: the faint test sees it, and with ``faint_diff_threshold`` 0 it is missed."""
    gone = shelf_frame(missing=(5,))
    script = [(pale_facing(gone, 5), NO_ONE)] * 5 + [(gone, NO_ONE)] * 8
    state, blind = make_state(), make_state(faint_diff_threshold=0.0)
    t = run(state, script, held=(FACING_5,))
    run(blind, script, held=(FACING_5,))
    assert not state._different.any()  # nothing for the colour tests
    change = state.examine(FACING_5, t, core=FACING_5).change
    assert change is not None and change.kind == "removed"
    assert blind.examine(FACING_5, t, core=FACING_5).change is None


def test_a_faint_difference_smaller_than_faint_min_px_is_no_change() -> None:
    gone = shelf_frame(missing=(5,))
    before = gone.copy()
    before[54:70, 194:210] = pale_facing(gone, 5)[54:70, 194:210]  # a 16 x 16 px label: 32 dark working pixels
    script = [(before, NO_ONE)] * 5 + [(gone, NO_ONE)] * 8
    small, large = make_state(faint_min_px=40), make_state(faint_min_px=8)
    t = run(small, script, held=(FACING_5,))
    run(large, script, held=(FACING_5,))
    assert small.examine(FACING_5, t).change is None
    assert large.examine(FACING_5, t).change is not None


def test_a_change_in_parts_a_pixel_apart_is_one_change() -> None:
    """A bottle taken leaves its cap and body as two patches with the backing-coloured label between."""
    full = shelf_frame()
    bottle = full.copy()
    bottle[60:72, 198:210] = (30, 90, 160)
    bottle[74:86, 198:210] = (30, 90, 160)
    full[60:86, 198:210] = (200, 200, 190)
    state = make_state(min_change_px=50)
    spot = (190.0, 50.0, 220.0, 95.0)
    t = run(state, [(bottle, NO_ONE)] * 5 + [(full, NO_ONE)] * 8, held=(spot,))
    change = state.examine(spot, t).change
    assert change is not None and change.kind == "removed" and change.box[1] <= 61 and change.box[3] >= 85


def test_boxes_are_grown_at_the_top_for_the_head_the_detector_cut_off() -> None:
    state = make_state()
    box = np.array([[100, 40, 170, 240]], np.float32)  # 200 px tall
    (grown,) = state._work_boxes(box, 0.0)
    assert grown[1] == round((40 - 0.08 * 200 - state.crop[1]) * 0.5)
    assert make_state(head_room=0.0)._work_boxes(box, 0.0)[0][1] == round((40 - state.crop[1]) * 0.5)


def test_a_shifted_frame_is_read_back_in_reference_coordinates() -> None:
    state = make_state()
    full = shelf_frame()
    moved, (dx, dy) = camera_faults(full, 3, jitter_px=0.0, drift_px_per_s=10.0, jpeg=100)  # 6 px right, 3.6 down
    back, still = state._work_image(moved, CameraShift(dx, dy)), state._work_image(full, CameraShift())
    unregistered = np.abs(state._work_image(moved, CameraShift()) - still)[2:-2, 2:-2].mean()
    assert np.abs(back - still)[2:-2, 2:-2].mean() < 0.5 * unregistered


# -- the motion fallback (no pose model) ----------------------------------------------------------------


def test_a_hand_reaching_above_the_shoppers_box_is_an_arm() -> None:
    state = make_state(settle_s=0.4)
    full = shelf_frame()
    short = np.array([[100, 70, 170, 230]], np.float32)
    frames = [(full, NO_ONE)] * 5 + [(full, short)] * 3
    for i in range(4):
        hand = full.copy()
        hand[30 + 2 * i : 60 + 2 * i, 176 + 2 * i : 192 + 2 * i] = (60, 90, 200)  # moving a little every frame
        frames.append((hand, short))
    run(state, frames)
    assert state.arms[0] is not None and state.arms[0][1] < 66  # the hand box reaches above the shopper's box
    flat = make_state(settle_s=0.4, arm_rise=0.0, head_room=0.0)
    run(flat, frames)
    assert flat.arms[0] is None


def test_movement_where_two_boxes_overlap_is_nobodys_arm() -> None:
    full = shelf_frame()
    standing = np.array([[100, 10, 170, 230]], np.float32)
    walker = np.array([[140, 10, 200, 230]], np.float32)

    def frames_with_movement(x: int, boxes: np.ndarray) -> Script:
        frames = [(full, NO_ONE)] * 5 + [(full, boxes)] * 3
        for i in range(4):
            moved = full.copy()
            moved[40 + 3 * i : 80 + 3 * i, x : x + 14] = (30, 200 - 30 * i, 60)
            frames.append((moved, boxes))
        return frames

    alone = make_state()
    run(alone, frames_with_movement(150, standing))
    assert alone.arms[0] is not None
    crossed = make_state()
    run(crossed, frames_with_movement(150, np.concatenate([standing, walker])))
    assert crossed.arms[0] is None
    beside = make_state()
    run(beside, frames_with_movement(110, np.concatenate([standing, walker])))
    assert beside.arms[0] is not None


def test_facing_centres_are_where_the_scene_draws_them() -> None:
    x, y = facing_centre(5)
    assert FACING_5[0] < x < FACING_5[2] and FACING_5[1] < y < FACING_5[3]


# -- after a change is reported ------------------------------------------------------------------------------


def taken_and_seen(state: ShelfState, then: np.ndarray, frames: int = 8) -> tuple[ShelfChange, SpotPicture, float]:
    """Facing 5 taken and seen gone (held by its check), its picture before kept and the gap accepted; then
    ``then`` shown for ``frames`` frames with the spot held again (a return reach's check)."""
    full, gone = shelf_frame(), shelf_frame(missing=(5,))
    t = run(state, [(full, NO_ONE)] * 5 + [(gone, NO_ONE)] * 8, held=(FACING_5,))
    change = state.examine(FACING_5, t).change
    assert change is not None and change.kind == "removed"
    before = state.picture(FACING_5)
    state.accept(FACING_5)
    for index in range(1, frames + 1):
        state.update(then, NO_ONE, t + index / FPS, held=(FACING_5,))
    return change, before, t + frames / FPS


def test_a_gap_that_looks_as_before_the_pickup_again_is_the_item_back() -> None:
    state = make_state()
    change, before, t = taken_and_seen(state, shelf_frame())
    back = state.restored(before, change.box, t)
    assert back is not None and back.kind == "added" and overlaps(back.box, change.box)
    still_gone = make_state()
    change, before, t = taken_and_seen(still_gone, shelf_frame(missing=(5,)))
    assert still_gone.restored(before, change.box, t) is None


def test_another_item_in_the_gap_is_not_the_one_taken_back() -> None:
    """``restored`` asks whether the gap looks as before, not whether something is there: another product is a
    put-back for ``examine`` (an addition), not the item returned."""
    other = shelf_frame()
    other[30:110, 192:218] = (40, 160, 230)
    state = make_state()
    change, before, t = taken_and_seen(state, other)
    assert state.restored(before, change.box, t) is None
    assert state.examine(FACING_5, t).change is not None


def test_the_part_of_an_accepted_gap_hidden_then_is_learned_once_seen() -> None:
    """A shopper beside the gap hid part of it when the pick-up was accepted: once they step away, that part is
    the rest of the same change, learned at once, not a new change for the next reach there."""
    full, gone = shelf_frame(), shelf_frame(missing=(5,))
    beside = np.array([[206, 10, 270, 230]], np.float32)  # covers the right half of facing 5 (x 192..218)
    state = make_state()
    script = [(full, NO_ONE)] * 7 + [(gone, beside)] * 8
    for index, (image, boxes) in enumerate(script):  # arms from a pose model: the gap beside them is no arm
        state.update(image, boxes, T0 + index / FPS, held=(FACING_5,), find_arms=False)
    t = T0 + (len(script) - 1) / FPS
    look = state.examine(FACING_5, t, min_seen=0.2)
    assert look.change is not None and not look.whole
    state.accept(FACING_5)
    for index in range(1, 8):
        state.update(gone, NO_ONE, t + index / FPS, find_arms=False)
    assert state.examine(FACING_5, t + 7 / FPS).change is None


def test_a_change_seen_full_after_a_time_happened_after_it() -> None:
    """Facing 5 was in view and as before until 1.4 s, gone from 1.6 s: taken after a reach that ended at 1.0 s,
    possibly during one that ended at 1.5 s."""
    state = make_state()
    t = run(state, [(shelf_frame(), NO_ONE)] * 8 + [(shelf_frame(missing=(5,)), NO_ONE)] * 8, held=(FACING_5,))
    change = state.examine(FACING_5, t).change
    assert change is not None
    assert state.changed_after(change, T0 + 1.0)
    assert not state.changed_after(change, T0 + 1.5)
