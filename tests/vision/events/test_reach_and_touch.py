"""Reach detection: from wrists (pose) and from the arm seen in pixels (no pose model); walking off, hiding,
hysteresis, the end of a stream; which hand signals a reach."""

from __future__ import annotations

import numpy as np

from shelfsight.vision.detections import FrameDetections
from shelfsight.vision.events.reach import Reach, ReachDetector, ReachSettings, hand_behind
from shelfsight.vision.events.wrists import HandSettings, find_hands
from shelfsight.vision.pose.keypoints import BLAZEPOSE33, COCO17
from tests.vision.events.scene import FPS, SHELF, T0, Shopper, facing_centre, tracks

ARM = (185.0, 60.0, 215.0, 100.0)


def shopper_at(x: float) -> FrameDetections:
    return tracks([Shopper(7, x)], 0.0, pose=False)


def nobody() -> FrameDetections:
    return tracks([], 0.0, pose=False)


def motion_reaches(xs: list[float | None], arm_on: list[bool]) -> list[Reach]:
    """Reaches of one shopper at foot x ``xs[i]`` (None: not seen in that frame) with the arm seen or not."""
    detector = ReachDetector([SHELF])
    out: list[Reach] = []
    for i, (x, on) in enumerate(zip(xs, arm_on, strict=True)):
        frame = nobody() if x is None else shopper_at(x)
        out += detector.update(
            frame, T0 + i / FPS, arms={SHELF.zone_id: [ARM if on else None] if x is not None else []}
        )
    return out


def pose_reaches(
    hands: list[tuple[float, float] | None], settings: ReachSettings | None = None, start: float = T0
) -> list[Reach]:
    """Reaches of a shopper standing at x 150 whose right hand is at ``hands[i]`` (None: hanging) at frame time
    ``start + i / FPS``."""
    detector = ReachDetector([SHELF], settings)
    out: list[Reach] = []
    for i, hand in enumerate(hands):
        frame = tracks([Shopper(7, 150.0, hand)], start + i / FPS)
        assert frame.keypoints is not None
        found = find_hands(frame.keypoints, frame.xyxy, BLAZEPOSE33, HandSettings())
        out += detector.update(frame, start + i / FPS, hands=found)
    return out + detector.flush()


def test_a_reach_ended_while_standing_is_not_walked_off() -> None:
    (reach,) = motion_reaches([150.0] * 20, [False] * 5 + [True] * 6 + [False] * 9)
    assert not reach.walked_off and reach.end - reach.start >= 1.0 and reach.source == "motion"


def test_a_reach_whose_shopper_walks_off_with_the_signal_on_is_walked_off() -> None:
    xs = [150.0] * 11 + [150.0 + 30 * i for i in range(1, 10)]
    (reach,) = motion_reaches(xs, [False] * 5 + [True] * 15)  # type: ignore[arg-type]
    assert reach.walked_off


def test_a_reach_survives_its_shopper_being_hidden_for_a_moment() -> None:
    xs: list[float | None] = [150.0] * 7 + [None] * 3 + [150.0] * 10
    (reach,) = motion_reaches(xs, [False] * 5 + [True] * 2 + [False] * 3 + [True] * 3 + [False] * 7)
    assert abs(reach.start - (T0 + 1.0)) < 1e-6 and abs(reach.end - (T0 + 2.4)) < 1e-6


def test_a_wrist_stretched_into_the_shelf_is_a_reach_at_where_the_hand_got_to() -> None:
    target = facing_centre(5)
    hands = [None] * 5 + [(180.0, 112.0), (195.0, 95.0)] + [target] * 3 + [(180.0, 112.0)] + [None] * 5
    (reach,) = pose_reaches(hands)  # type: ignore[arg-type]
    assert reach.source == "pose" and reach.start == T0 + 5 / FPS and reach.end >= T0 + 9 / FPS
    x1, y1, x2, y2 = reach.hand_box  # the spot: where the arm was out furthest, not the path to it
    assert x1 < target[0] < x2 and y1 < target[1] < y2 and y2 < 95


def test_start_s_ignores_a_one_frame_flicker_and_min_reach_s_a_short_one() -> None:
    flicker = [None] * 5 + [facing_centre(5)] + [None] * 5
    assert pose_reaches(flicker, ReachSettings(start_s=0.2)) == []  # type: ignore[arg-type]
    assert pose_reaches([None] * 5 + [facing_centre(5)] * 2 + [None] * 5) == []  # type: ignore[list-item]  # 0.2 s


def test_a_hand_back_at_the_body_for_two_frames_ends_the_reach_and_one_misplaced_frame_does_not() -> None:
    spot = facing_centre(5)
    take_look_return = [None] * 5 + [spot] * 4 + [None] * 3 + [spot] * 4 + [None] * 5
    first, second = pose_reaches(take_look_return)  # type: ignore[arg-type]
    assert (first.end, second.start) == (T0 + 8 / FPS, T0 + 12 / FPS)
    one_bad_frame = [None] * 5 + [spot] * 4 + [None] + [spot] * 4 + [None] * 5
    (reach,) = pose_reaches(one_bad_frame)  # type: ignore[arg-type]
    assert (reach.start, reach.end) == (T0 + 5 / FPS, T0 + 13 / FPS)


def test_a_reach_exactly_min_reach_s_long_counts_whatever_the_float_rounding() -> None:
    start = T0 + 0.483312  # frame times start_epoch + index / fps: frames 51 to 53 span 0.39999986 s
    assert (start + 53 / FPS) - (start + 51 / FPS) < 0.4
    found = pose_reaches([None] * 51 + [facing_centre(5)] * 3 + [None] * 4, start=start)  # type: ignore[list-item]
    (reach,) = found
    assert (reach.start, reach.end) == (start + 51 / FPS, start + 53 / FPS)


def reach_with_someone_in_front(front_top: float, frames_in_front: range) -> Reach:
    """The reach of a shopper at x 150 into facing 5 for 10 frames, while a passer-by nearer the camera (box
    bottom lower, across most of her width, top at ``front_top``) stands in front of her on ``frames_in_front``."""
    detector = ReachDetector([SHELF])
    hands = [None] * 3 + [facing_centre(5)] * 10 + [None] * 3
    found: list[Reach] = []
    for i, hand in enumerate(hands):
        people = [Shopper(7, 150.0, hand), Shopper(8, 155.0)] if i in frames_in_front else [Shopper(7, 150.0, hand)]
        frame = tracks(people, T0 + i / FPS)
        if len(people) == 2:
            frame.xyxy[1] = (135.0, front_top, 180.0, 239.0)
        assert frame.keypoints is not None
        found += detector.update(
            frame, T0 + i / FPS, hands=find_hands(frame.keypoints, frame.xyxy, BLAZEPOSE33, HandSettings())
        )
    (reach,) = found + detector.flush()
    return reach


def test_a_reach_seen_mostly_behind_a_passer_by_is_doubtful_and_not_placed_by_those_frames() -> None:
    """A top-down pose fitted to a crop with a passer-by in front lends the passer-by's swinging arm to the shopper
    behind: such a reach may explain a shelf change but is never a touch by itself."""
    hidden = reach_with_someone_in_front(front_top=50.0, frames_in_front=range(3, 12))
    assert not hidden.clear and hidden.doubtful and not hidden.walked_off
    partly = reach_with_someone_in_front(front_top=50.0, frames_in_front=range(3, 7))  # 4 of 10 frames behind
    assert partly.clear and not partly.doubtful


def test_a_passer_by_below_the_hand_leaves_the_reach_clear() -> None:
    """Someone walking in behind a shopper's legs while her hand is on an upper shelf (the real aisle clip) hides
    nothing of the arm."""
    reach = reach_with_someone_in_front(front_top=150.0, frames_in_front=range(0, 16))
    assert reach.clear and not reach.doubtful


def test_hand_behind_needs_a_box_nearer_the_camera_across_the_shopper_and_above_the_hand() -> None:
    boxes = np.array([[100, 50, 150, 200], [110, 40, 160, 230], [140, 40, 190, 230], [100, 40, 150, 190]], np.float32)
    hand = (120.0, 80.0, 130.0, 90.0)
    assert hand_behind(boxes[[0, 1]], 0, hand, cover=0.2)  # nearer, 80 % across, top above the hand
    assert hand_behind(boxes[[0, 2]], 0, hand, cover=0.2)  # 10 px of her 50 across: 20 %
    assert not hand_behind(boxes[[0, 2]], 0, hand, cover=0.25)
    assert not hand_behind(boxes[[0, 3]], 0, hand, cover=0.2)  # farther from the camera: behind her, not in front
    assert not hand_behind(boxes[[0, 1]], 0, (120.0, 20.0, 130.0, 30.0), cover=0.2)  # the hand above its top
    assert not hand_behind(boxes[[0, 1]], 0, hand, cover=0.0)  # off


def test_a_reach_still_going_at_the_end_of_the_stream_is_flushed() -> None:
    (reach,) = pose_reaches([None] * 5 + [facing_centre(5)] * 5)  # type: ignore[list-item]
    assert reach.start == T0 + 1.0 and reach.end == T0 + 9 / FPS


def test_only_a_stretched_or_lifted_arm_away_from_the_torso_reaches() -> None:
    """Hanging hands and an item held up over the chest are not reaches; an arm out sideways, one lifted above
    the head, and one stretched down to a low shelf away from the body are."""
    cases = {
        None: False,  # hanging at the hip
        (158.0, 110.0): False,  # held up in front of the chest
        (205.0, 110.0): True,  # out to the side at chest height
        (175.0, 40.0): True,  # lifted above the head
        (180.0, 175.0): True,  # down and out to a low board: a small angle, below the hip, far from the thigh
    }
    for hand, reaching in cases.items():
        frame = tracks([Shopper(7, 150.0, hand)], T0)
        assert frame.keypoints is not None
        found = find_hands(frame.keypoints, frame.xyxy, BLAZEPOSE33, HandSettings())
        assert bool(found.reaching[0].any()) is reaching, hand


def _as_coco(blaze: np.ndarray) -> np.ndarray:
    """(1, 17, 3) COCO keypoints with the arms, shoulders and hips of (33, 3) BlazePose ones (no hand points)."""
    coco = np.zeros((1, 17, 3), np.float32)
    for coco_row, blaze_row in zip((5, 6, 7, 8, 9, 10, 11, 12), (11, 12, 13, 14, 15, 16, 23, 24), strict=True):
        coco[0, coco_row] = blaze[blaze_row]
    return coco


def test_extension_counts_only_with_hand_points() -> None:
    """Without hand points (COCO) the tip is drawn past the wrist along the forearm, so a hanging hand's tip is
    already far from where the extension rule expects it: with extension on, a YOLO pose shopper's arms would be out
    all visit long. The rule is off for such layouts; the angle and lift rules still hold."""
    hanging = tracks([Shopper(7, 150.0)], T0)
    assert hanging.keypoints is not None
    coco = _as_coco(hanging.keypoints[0])
    loose = HandSettings(min_extension=0.01)  # any tip would count as extended
    assert not find_hands(coco, hanging.xyxy, COCO17, loose).reaching.any()
    assert find_hands(hanging.keypoints, hanging.xyxy, BLAZEPOSE33, loose).reaching.any()


def test_coco_keypoints_are_read_through_their_layout() -> None:
    """A YOLO pose model's 17 COCO keypoints: the same arm out, read through the COCO rows."""
    frame = tracks([Shopper(7, 150.0, (205.0, 110.0))], T0)
    assert frame.keypoints is not None
    coco = _as_coco(frame.keypoints[0])
    found = find_hands(coco, frame.xyxy, COCO17, HandSettings())
    assert found.reaching[0].tolist() == [False, True]
    wrist, elbow = coco[0, 10, :2], coco[0, 8, :2]  # no hand points: the hand is past the wrist along the forearm
    assert np.allclose(found.tip[0, 1], wrist + HandSettings().forearm_reach * (wrist - elbow))


def test_low_scoring_keypoints_are_not_used() -> None:
    frame = tracks([Shopper(7, 150.0, (205.0, 110.0))], T0)
    assert frame.keypoints is not None
    frame.keypoints[0, 16, 2] = 0.1  # the reaching wrist is a guess
    found = find_hands(frame.keypoints, frame.xyxy, BLAZEPOSE33, HandSettings(min_score=0.3))
    assert not found.seen[0, 1] and not found.reaching[0].any()
