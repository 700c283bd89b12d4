"""Fragment re-linking: the ReID model on a real crop pair, and the relinker's rules frame by frame."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from shelfsight.models.registry import resolve_model
from shelfsight.vision.tracking.bytetrack import ByteTracker, TrackerSettings
from shelfsight.vision.tracking.reid import OnnxReid, cosine_similarity, cut_crops
from shelfsight.vision.tracking.relink import FragmentRelinker, Newcomers, RelinkSettings
from shelfsight.vision.tracking.tracks import NO_ID
from tests.builders import make_dets, walk

FOOTAGE = "supermarket_checkout_overhead_1280x720.mp4"
# Hand-checked boxes (xyxy) in frames 15 and 85 (1-based) of the footage: the shopper in a red top with a white
# bag (RED), and the cashier in a dark waistcoat (CASHIER). Ten seconds apart, both moved and changed pose.
RED_15 = [811.7, 125.9, 902.0, 369.2]
RED_85 = [796.4, 145.8, 867.5, 337.0]
CASHIER_15 = [363.8, 123.1, 439.4, 283.3]
CASHIER_85 = [354.3, 135.8, 464.3, 417.2]


def _frames(path: Path, wanted: tuple[int, ...]) -> dict[int, npt.NDArray[np.uint8]]:
    capture = cv2.VideoCapture(str(path))
    found: dict[int, npt.NDArray[np.uint8]] = {}
    number = 0
    while len(found) < len(wanted):
        ok, frame = capture.read()
        assert ok, f"{path} ended before frame {max(wanted)}"
        number += 1
        if number in wanted:
            found[number] = np.asarray(frame, np.uint8)
    capture.release()
    return found


@pytest.fixture(scope="module")
def reid(models_dir: Path) -> OnnxReid:
    return OnnxReid(resolve_model("reid_retail_0287", models_dir))


@pytest.fixture(scope="module")
def footage_frames(footage_dir: Path) -> dict[int, npt.NDArray[np.uint8]]:
    return _frames(footage_dir / FOOTAGE, (15, 85))


def test_reid_scores_the_same_shopper_above_a_different_one(
    reid: OnnxReid, footage_frames: dict[int, npt.NDArray[np.uint8]]
) -> None:
    boxes = {15: [RED_15, CASHIER_15], 85: [RED_85, CASHIER_85]}
    vectors = {
        frame: reid.embed(cut_crops(footage_frames[frame], np.array(b, np.float32), reid.input_hw))
        for frame, b in boxes.items()
    }
    assert vectors[15].shape == (2, 256)
    np.testing.assert_allclose(np.linalg.norm(vectors[15], axis=1), 1.0, rtol=1e-5)
    similarity = cosine_similarity(vectors[15], vectors[85])
    same = np.diag(similarity)
    different = similarity[[0, 1], [1, 0]]
    assert same.min() > RelinkSettings().minimum_similarity > different.max(), similarity


def test_relinker_with_reid_links_the_real_shopper_and_not_the_other(
    reid: OnnxReid, footage_frames: dict[int, npt.NDArray[np.uint8]]
) -> None:
    """The red-top shopper was lost in frame 15; in frame 85 two people are confirmed: only she takes the id."""
    relinker = FragmentRelinker(RelinkSettings(relink_window_s=15.0, max_speed_heights_per_s=1.0), reid)
    still = np.zeros((1, 2))
    relinker.tracks_lost(np.array([7]), np.array([RED_15], np.float32), still, np.array([15 / 7]), footage_frames[15])
    boxes = np.array([CASHIER_85, RED_85], np.float32)
    newcomers = Newcomers(boxes, boxes, np.array([84 / 7, 84 / 7]), 85 / 7)
    assert relinker.link(newcomers, footage_frames[85]).tolist() == [NO_ID, 7]
    assert relinker.merged == 1 and len(relinker) == 0
    assert relinker.embeddings_computed == 3  # the lost crop once, the two gated newcomers once each


class MeanColour:
    """A stand-in appearance model: the mean colour of the crop, as a unit vector."""

    input_hw = (16, 8)

    def embed(self, crops: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        means = crops.reshape(len(crops), -1, 3).mean(axis=1).astype(np.float32) + 1e-3
        return np.asarray(means / np.linalg.norm(means, axis=1, keepdims=True), np.float32)


RED, BLUE = (0, 0, 255), (255, 0, 0)


def _scene(people: list[tuple[list[float], tuple[int, int, int]]]) -> npt.NDArray[np.uint8]:
    image = np.full((720, 1280, 3), 128, np.uint8)
    for box, colour in people:
        x1, y1, x2, y2 = (int(v) for v in box)
        image[y1:y2, x1:x2] = colour
    return image


def test_tracker_relinks_a_shopper_hidden_longer_than_the_lost_buffer() -> None:
    """Red walks, hides 3 s behind a shelf end (buffer 1.5 s); blue appears there meanwhile and must not get
    red's id; red reappears and does."""
    relinker = FragmentRelinker(RelinkSettings(relink_window_s=6.0), MeanColour())
    tracker = ByteTracker(TrackerSettings(lost_track_buffer_s=1.5), relinker=relinker)
    red, blue = [200.0, 200.0, 260.0, 380.0], [330.0, 210.0, 390.0, 390.0]
    reported: list[tuple[float, dict[int, str]]] = []
    for frame in range(80):
        t = frame / 10.0
        people: list[tuple[list[float], tuple[int, int, int]]] = []
        if t < 2.0 or t >= 5.0:
            people.append((walk(red, (20.0, 0.0), t), RED))
        if 3.0 <= t < 4.0:
            people.append((blue, BLUE))
        dets = make_dets([box for box, _ in people], t=t)
        out = tracker.update(dets, _scene(people))
        assert out.tracker_id is not None
        colours = {
            int(out.tracker_id[k]): "red" if people[int(out.data["detection_index"][k])][1] == RED else "blue"
            for k in range(len(out))
        }
        reported.append((t, colours))
    red_ids = {i for _, c in reported for i, name in c.items() if name == "red"}
    blue_ids = {i for _, c in reported for i, name in c.items() if name == "blue"}
    assert red_ids == {1}, f"red kept one id across the 3 s gap, got {red_ids}"
    assert blue_ids == {2}
    assert tracker.fragments_merged == 1


def test_without_relinker_the_same_gap_splits_the_track() -> None:
    tracker = ByteTracker(TrackerSettings(lost_track_buffer_s=1.5))
    seen: set[int] = set()
    for frame in range(80):
        t = frame / 10.0
        out = tracker.update(make_dets([] if 2.0 <= t < 5.0 else [[200, 200, 260, 380]], t=t))
        assert out.tracker_id is not None
        seen.update(out.tracker_id.tolist())
    assert seen == {1, 2} and tracker.fragments_merged == 0


def _lost(relinker: FragmentRelinker, boxes: list[list[float]], t: float, velocity: float = 0.0) -> None:
    n = len(boxes)
    moving = np.tile([velocity, 0.0], (n, 1))
    relinker.tracks_lost(np.arange(1, n + 1), np.array(boxes, np.float32), moving, np.full(n, t), None)


@pytest.mark.parametrize(
    ("lost_boxes", "newcomer", "first_seen", "now", "expected"),
    [
        ([[100, 100, 150, 250]], [110, 100, 160, 250], 1.5, 2.0, 1),  # unambiguous, near: linked
        ([[100, 100, 150, 250], [140, 100, 190, 250]], [120, 100, 170, 250], 1.5, 2.0, NO_ID),  # a coin toss
        ([[100, 100, 150, 250], [300, 100, 350, 250]], [110, 100, 160, 250], 1.5, 2.0, 1),  # one clearly nearer
        ([[100, 100, 150, 250]], [900, 100, 950, 250], 1.5, 2.0, NO_ID),  # too far for the gap
        ([[100, 100, 150, 250]], [100, 100, 150, 250], 1.0, 2.0, NO_ID),  # seen together: two people
        ([[100, 100, 150, 250]], [100, 150, 125, 225], 1.5, 2.0, NO_ID),  # half the height
        ([[100, 100, 150, 250]], [110, 100, 160, 250], 7.5, 8.0, NO_ID),  # past the relink window
        ([[100, 100, 150, 250]], [400, 100, 450, 250], 3.5, 4.0, NO_ID),  # 300 px off in 3 s, standing still
    ],
)
def test_motion_only_rules(
    lost_boxes: list[list[float]], newcomer: list[float], first_seen: float, now: float, expected: int
) -> None:
    relinker = FragmentRelinker(RelinkSettings(relink_window_s=6.0))
    _lost(relinker, lost_boxes, 1.0)
    relinker.expire(now)
    box = np.array([newcomer], np.float32)
    got = relinker.link(Newcomers(box, box, np.array([first_seen]), now), None)
    assert got.tolist() == [expected]


def test_a_walker_is_looked_for_along_their_path() -> None:
    """Lost at 100 px/s to the right: 3 s later 300 px on is on the path, 300 px back is not."""
    ahead, behind = [400, 100, 450, 250], [-200, 100, -150, 250]
    for newcomer, expected in ((ahead, 1), (behind, NO_ID)):
        relinker = FragmentRelinker(RelinkSettings(relink_window_s=6.0))
        _lost(relinker, [[100, 100, 150, 250]], 1.0, velocity=100.0)
        box = np.array([newcomer], np.float32)
        got = relinker.link(Newcomers(box, box, np.array([3.5]), 4.0), None)
        assert got.tolist() == [expected]


def test_shoppers_who_walk_out_or_in_at_the_edge_are_not_linked() -> None:
    """Lost while walking out through the right edge = left the shop floor; a newcomer whose first box touched
    the left edge while walking in came from outside. Someone standing half out of the picture is neither."""
    relinker = FragmentRelinker(RelinkSettings(relink_window_s=6.0))
    frame_hw = (720, 1280)
    boxes = np.array([[1230, 300, 1280, 450], [600, 300, 650, 450], [1235, 500, 1280, 650]], np.float32)
    velocity = np.array([[100.0, 0.0], [0.0, 0.0], [0.0, 0.0]])  # out through the right edge, still, still
    relinker.tracks_lost(np.array([1, 2, 3]), boxes, velocity, np.array([1.0, 1.0, 1.0]), None, frame_hw)
    came_back_right = np.array([[1225, 300, 1275, 450]], np.float32)
    one = Newcomers(came_back_right, came_back_right, np.array([1.5]), 2.0, velocity=np.zeros((1, 2)))
    assert relinker.link(one, None, frame_hw).tolist() == [NO_ID], "walked out: not the one who stands there"
    entering = np.array([[0, 300, 50, 450]], np.float32)
    near = np.array([[610, 300, 660, 450]], np.float32)
    inwards = np.array([[80.0, 0.0]])

    def newcomer(first: npt.NDArray[np.float32]) -> Newcomers:
        return Newcomers(near, first, np.array([1.5]), 2.0, velocity=inwards)

    assert relinker.link(newcomer(entering), None, frame_hw).tolist() == [NO_ID]
    assert relinker.link(newcomer(near), None, frame_hw).tolist() == [2]


def test_shoppers_hidden_just_before_the_edge_while_walking_out_are_not_linked() -> None:
    """A shelf end at the side of the picture hides a shopper walking out before their box reaches the edge:
    their speed would carry them through it within ``exit_lookahead_s``, so whoever steps out from behind it
    later is someone else. A shopper standing there, or walking slowly, is still linked."""
    frame_hw = (480, 640)
    box = np.array([[560, 190, 615, 380]], np.float32)  # 25 px short of the right edge
    came_out = np.array([[558, 195, 612, 382]], np.float32)

    def relinked(velocity_x: float, lookahead_s: float) -> int:
        relinker = FragmentRelinker(RelinkSettings(exit_lookahead_s=lookahead_s))
        relinker.tracks_lost(np.array([7]), box, np.array([[velocity_x, 0.0]]), np.array([1.0]), None, frame_hw)
        newcomer = Newcomers(came_out, came_out, np.array([2.5]), 3.0, velocity=np.array([[-15.0, 0.0]]))
        return int(relinker.link(newcomer, None, frame_hw)[0])

    assert relinked(110.0, 0.5) == NO_ID, "would have crossed the edge in 0.23 s: walked out"
    assert relinked(110.0, 0.0) == 7, "without the look-ahead only the plain margin counts"
    assert relinked(30.0, 0.5) == 7, "0.8 s from the edge at that pace: maybe just hidden"
    assert relinked(0.0, 0.5) == 7, "standing behind the shelf end"


def test_motion_only_can_be_switched_off() -> None:
    relinker = FragmentRelinker(RelinkSettings(motion_only=False))
    _lost(relinker, [[100, 100, 150, 250]], 1.0)
    box = np.array([[110, 100, 160, 250]], np.float32)
    newcomers = Newcomers(box, box, np.array([1.5]), 2.0)
    assert relinker.link(newcomers, None).tolist() == [NO_ID]


def test_pool_is_bounded_and_forgets_found_tracks() -> None:
    relinker = FragmentRelinker(RelinkSettings(max_pool=3))
    _lost(relinker, [[i * 100.0, 0, i * 100.0 + 50, 150] for i in range(5)], 1.0)
    assert len(relinker) == 3
    relinker.track_found(np.array([5]))
    assert len(relinker) == 2
    relinker.clear()
    assert len(relinker) == 0


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"relink_window_s": -1.0}, "relink_window_s"),
        ({"max_height_ratio": 0.5}, "max_height_ratio"),
        ({"exit_lookahead_s": -0.1}, "exit_lookahead_s"),
    ],
)
def test_settings_name_the_bad_value(kwargs: dict[str, float], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        RelinkSettings(**kwargs)  # type: ignore[arg-type]
