"""The shelf model on scripted frames: a facing taken behind a shopper, put back, lighting drift, no-ops."""

from __future__ import annotations

import numpy as np

from vision.events.shelf_state import ShelfState, ShelfStateSettings
from vision.zones import Zone

FRAME = (240, 320)
BACKING = (200, 200, 190)
NO_ONE = np.zeros((0, 4), np.float32)
T0 = 1_767_603_600.0


def shelf_frame(rng_seed: int = 0, missing: tuple[int, ...] = ()) -> np.ndarray:
    """A shelf at x 40..280, y 20..120 with 8 textured facings of 30 px; ``missing`` ones show the backing."""
    rng = np.random.default_rng(rng_seed)
    frame = np.full((*FRAME, 3), 90, np.uint8)
    frame[20:120, 40:280] = BACKING
    for i in range(8):
        colour = rng.integers(20, 160, 3)  # products are darker and more saturated than the pale backing
        facing = np.clip(colour + rng.normal(0, 30, (80, 26, 3)), 0, 255)  # drawn even when missing: same rng
        if i not in missing:
            frame[30:110, 42 + 30 * i : 68 + 30 * i] = facing.astype(np.uint8)
    return frame


def make_state() -> ShelfState:
    zone = Zone.from_normalised(
        "shelf-1",
        "shelf",
        [(40 / 320, 20 / 240), (280 / 320, 20 / 240), (280 / 320, 120 / 240), (40 / 320, 120 / 240)],
        FRAME,
    )
    return ShelfState(zone, ShelfStateSettings(scale=0.5, settle_s=0.4))


def run(state: ShelfState, frames: list[tuple[np.ndarray, np.ndarray]], fps: float = 5.0, t0: float = T0) -> list:  # type: ignore[type-arg]
    changes = []
    for i, (image, boxes) in enumerate(frames):
        changes += state.update(image, boxes, t0 + i / fps)
    return changes


SHOPPER = np.array([[100, 10, 170, 230]], np.float32)  # covers facings 2 and 3 (x 102..158)


def test_item_taken_behind_a_shopper_is_a_removal_at_its_spot() -> None:
    state = make_state()
    full, taken = shelf_frame(), shelf_frame(missing=(2,))
    script = [(full, NO_ONE)] * 5 + [(full, SHOPPER)] * 5 + [(taken, SHOPPER)] * 5 + [(taken, NO_ONE)] * 6
    (change,) = run(state, script)
    assert change.kind == "removed" and change.shelf_id == "shelf-1"
    x1, y1, x2, y2 = change.box
    assert 98 <= x1 <= 106 and 124 <= x2 <= 132 and 26 <= y1 <= 34 and 106 <= y2 <= 114  # facing 2: x 102..128
    assert change.hidden_from == T0 + 1.0 and change.seen_at >= T0 + 15 / 5


def test_put_back_is_an_addition_and_nothing_else_changes() -> None:
    state = make_state()
    full, taken = shelf_frame(), shelf_frame(missing=(2,))
    script = (
        [(full, NO_ONE)] * 5 + [(full, SHOPPER)] * 3 + [(taken, SHOPPER)] * 3 + [(taken, NO_ONE)] * 6
        + [(taken, SHOPPER)] * 3 + [(full, SHOPPER)] * 3 + [(full, NO_ONE)] * 6
    )  # fmt: skip
    changes = run(state, script)
    assert [c.kind for c in changes] == ["removed", "added"]
    assert abs(changes[0].box[0] - changes[1].box[0]) < 4


def test_a_shopper_passing_by_changes_nothing() -> None:
    state = make_state()
    full = shelf_frame()
    assert run(state, [(full, NO_ONE)] * 5 + [(full, SHOPPER)] * 10 + [(full, NO_ONE)] * 10) == []


def test_lighting_drift_is_not_a_change() -> None:
    state = make_state()
    base = shelf_frame().astype(np.float32)
    script = []
    for i in range(60):
        gain = 1.0 + 0.15 * i / 60  # 15 % brighter over 12 s, with a shopper in front for part of it
        boxes = SHOPPER if 20 <= i < 40 else NO_ONE
        script.append((np.clip(base * gain, 0, 255).astype(np.uint8), boxes))
    assert run(state, script) == []


def test_a_hand_reaching_above_the_shoppers_box_is_an_arm() -> None:
    # a short shopper's box stops at y 70; the hand goes up beside it to the top of the shelf (y 30..60)
    state = make_state()
    full = shelf_frame()
    short = np.array([[100, 70, 170, 230]], np.float32)
    frames = [(full, NO_ONE)] * 5 + [(full, short)] * 3
    for i in range(4):
        hand = full.copy()
        hand[30 + 2 * i : 60 + 2 * i, 176 + 2 * i : 192 + 2 * i] = (60, 90, 200)  # moving a little every frame
        frames.append((hand, short))
    run(state, frames)
    assert state.arms[0] is not None and state.arms[0][1] < 66  # the hand box reaches above the shopper's box
    flat = ShelfState(state.zone, ShelfStateSettings(scale=0.5, settle_s=0.4, arm_rise=0.0, head_room=0.0))
    run(flat, frames)
    assert flat.arms[0] is None  # without the rise the strip beside the box starts at its top


def test_movement_where_two_boxes_overlap_is_nobodys_arm() -> None:
    """A walker passing in front of a standing shopper moves inside the shopper's box: not the shopper's arm.
    The same movement where only the shopper's box is would be their arm in front of the shelf."""
    full = shelf_frame()
    standing = np.array([[100, 10, 170, 230]], np.float32)
    walker = np.array([[140, 10, 200, 230]], np.float32)  # overlaps the standing shopper's box at x 140..170

    def frames_with_movement(x: int, boxes: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        frames = [(full, NO_ONE)] * 5 + [(full, boxes)] * 3
        for i in range(4):
            moved = full.copy()
            moved[40 + 3 * i : 80 + 3 * i, x : x + 14] = (30, 200 - 30 * i, 60)  # changes every frame
            frames.append((moved, boxes))
        return frames

    alone = make_state()
    run(alone, frames_with_movement(150, standing))
    assert alone.arms[0] is not None  # movement in front of the shelf inside the standing shopper's box
    crossed = make_state()
    run(crossed, frames_with_movement(150, np.concatenate([standing, walker])))
    assert crossed.arms[0] is None  # the same movement inside both boxes belongs to neither
    beside = make_state()
    run(beside, frames_with_movement(110, np.concatenate([standing, walker])))
    assert beside.arms[0] is not None  # where only the standing shopper's box is, it is still their arm


def test_a_difference_already_there_before_it_was_hidden_is_not_a_change() -> None:
    """The top of a head the detector's box left out stays in view over the shelf; someone passing in front
    hides it for a moment. Uncovered and unchanged, it is not an item taken; the same difference appearing
    while hidden is."""
    full = shelf_frame()
    head = full.copy()
    head[24:44, 196:216] = (40, 50, 60)  # dark, over facing 5 (x 192..218)
    passer = np.array([[180, 10, 240, 230]], np.float32)
    before = [(full, NO_ONE)] * 5 + [(head, NO_ONE)] * 5 + [(head, passer)] * 5 + [(head, NO_ONE)] * 6
    assert run(make_state(), before) == []
    while_hidden = [(full, NO_ONE)] * 10 + [(head, passer)] * 5 + [(head, NO_ONE)] * 6
    assert len(run(make_state(), while_hidden)) == 1


def test_a_shopper_the_detector_missed_is_not_a_change_and_is_absorbed_later() -> None:
    """A shopper standing in front of the shelf without a box (the detector missed them) looks like a change
    as tall as the shoppers seen there: taller than any product, so no change; after ``absorb_s`` it joins the
    stable picture."""
    full = shelf_frame()
    person = full.copy()
    person[15:125, 100:160] = (70, 120, 60)
    walking_in = np.array([[95, 10, 165, 150]], np.float32)  # a far shopper: 140 px tall
    script = [(full, NO_ONE)] * 5 + [(person, walking_in)] * 3 + [(person, NO_ONE)] * 20  # then missed, 4 s
    state = make_state()
    assert run(state, script) == []
    tall_allowed = ShelfState(state.zone, ShelfStateSettings(scale=0.5, settle_s=0.4, max_change_height=1.0))
    assert [c.kind for c in run(tall_allowed, script)] == ["removed"]  # what the rule prevents
    absorbing = ShelfState(state.zone, ShelfStateSettings(scale=0.5, settle_s=0.4, absorb_s=2.0))
    assert run(absorbing, script) == []
    assert absorbing.stable is not None and absorbing._previous is not None
    assert np.abs(absorbing.stable - absorbing._previous)[10:50, 35:55].mean() < 1.0  # the person is absorbed


def test_a_change_in_parts_a_pixel_apart_is_one_change() -> None:
    """A bottle taken leaves its cap and body as two patches with the backing-coloured label between: each
    smaller than ``min_change_px``, together one change."""
    full = shelf_frame()
    bottle = full.copy()
    bottle[60:72, 198:210] = (30, 90, 160)  # cap and shoulders, 6x6 working pixels
    bottle[74:86, 198:210] = (30, 90, 160)  # body, below a 2-pixel band of backing (1 working pixel)
    full[60:86, 198:210] = BACKING
    settings = ShelfStateSettings(scale=0.5, settle_s=0.4, min_change_px=50)
    zone = make_state().zone
    passer = np.array([[180, 10, 240, 230]], np.float32)
    script = [(bottle, NO_ONE)] * 5 + [(bottle, passer)] * 3 + [(full, passer)] * 3 + [(full, NO_ONE)] * 6
    (change,) = run(ShelfState(zone, settings), script)
    assert change.kind == "removed" and change.box[1] <= 61 and change.box[3] >= 85


def test_boxes_are_grown_at_the_top_for_the_head_the_detector_cut_off() -> None:
    """Detectors often end a person's box at the forehead; the hair above it must not count as shelf in view."""
    state = make_state()
    box = np.array([[100, 40, 170, 240]], np.float32)  # 200 px tall
    (grown,) = state._work_boxes(box, 0.0)
    assert grown[1] == round((40 - 0.08 * 200 - state.crop[1]) * 0.5)  # 16 px of head room at the top
    flat = ShelfState(state.zone, ShelfStateSettings(scale=0.5, settle_s=0.4, head_room=0.0))
    assert flat._work_boxes(box, 0.0)[0][1] == round((40 - flat.crop[1]) * 0.5)
