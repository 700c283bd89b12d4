"""The BlazePose landmark model on real pictures: a raised wrist lands in the shelf it reaches into.

Hand labels (frame pixels of ``store_aisle_reach_480x270.gif``, drawn on frames 20 and 33): the top-right shelf
region the woman in teal reaches into (the shelf level under the top board, above her head), and the person boxes
YOLOX-Nano gives on those frames. On ``zidane.jpg`` the boxes are YOLOX-Nano's too.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import pytest

from shelfsight.vision.detector.layouts import UnsupportedModelError
from shelfsight.vision.pose.blazepose import BlazePoseEstimator, BlazePoseSettings
from shelfsight.vision.pose.crop import CropSettings, crop_transforms
from shelfsight.vision.pose.keypoints import BLAZEPOSE33
from shelfsight.vision.video import iter_video, open_video
from shelfsight.vision.zones import Zone

CLIP = "store_aisle_reach_480x270.gif"
TOP_RIGHT_SHELF = Zone(
    "top-right-shelf", "shelf", np.array([[345, 0], [480, 0], [480, 100], [400, 82], [360, 68]], np.float32), (270, 480)
)
WOMAN_IN_TEAL = {20: [337.2, 77.5, 397.0, 269.0], 33: [343.3, 79.8, 392.7, 198.9]}  # 33: her legs hidden
MAN_IN_HAT = {20: [238.5, 65.1, 322.1, 247.8], 33: [265.7, 63.7, 330.7, 242.3]}
ZIDANE_BOXES = np.array([[150, 201, 681, 713], [712, 39, 1152, 707]], np.float32)
HANDS = [*BLAZEPOSE33.wrists, *BLAZEPOSE33.hands[0], *BLAZEPOSE33.hands[1]]
MIN_SCORE = 0.5


@pytest.fixture(scope="module", params=["full", "lite"])
def estimator(request: pytest.FixtureRequest, models_dir: Path) -> BlazePoseEstimator:
    return BlazePoseEstimator(models_dir / "pose" / f"blazepose_landmark_{request.param}.onnx")


@pytest.fixture(scope="module")
def full(models_dir: Path) -> BlazePoseEstimator:
    return BlazePoseEstimator(models_dir / "pose" / "blazepose_landmark_full.onnx")


@pytest.fixture(scope="module")
def aisle_frames(footage_dir: Path) -> dict[int, np.ndarray]:
    capture, _ = open_video(footage_dir / CLIP)
    return {index: frame for index, _, frame in iter_video(capture) if index in WOMAN_IN_TEAL}


def _in_shelf(keypoints: np.ndarray, rows: list[int]) -> np.ndarray:
    points = keypoints[rows]
    return points[(points[:, 2] >= MIN_SCORE) & TOP_RIGHT_SHELF.contains(points[:, :2])]


@pytest.mark.parametrize("frame", sorted(WOMAN_IN_TEAL))
def test_the_raised_hand_lands_in_the_shelf_it_reaches_into(
    full: BlazePoseEstimator, aisle_frames: dict[int, np.ndarray], frame: int
) -> None:
    boxes = np.array([WOMAN_IN_TEAL[frame], MAN_IN_HAT[frame]], np.float32)
    result = full.estimate(aisle_frames[frame], boxes)
    assert result.keypoints.shape == (2, 33, 3) and result.keypoints.dtype == np.float32
    woman, man = result.keypoints
    assert len(_in_shelf(woman, HANDS)), f"no wrist or hand point in the shelf: {woman[HANDS].round(1)}"
    assert not len(_in_shelf(woman, [0, *BLAZEPOSE33.shoulders])), "her head or shoulders placed in the shelf"
    assert not len(_in_shelf(man, list(range(33)))), "the man beside her placed in her shelf"


def test_people_in_a_photo_keep_their_own_joints_and_sides(full: BlazePoseEstimator, footage_dir: Path) -> None:
    image = cv2.imread(str(footage_dir / "images" / "zidane.jpg"))
    keypoints = full.estimate(image, ZIDANE_BOXES).keypoints
    for person, box in zip(keypoints, ZIDANE_BOXES, strict=True):
        torso = person[[0, *BLAZEPOSE33.shoulders, *BLAZEPOSE33.hips]]
        assert (torso[:, 2] >= 0.9).all(), torso
        inside = (torso[:, 0] >= box[0]) & (torso[:, 0] <= box[2]) & (torso[:, 1] >= box[1]) & (torso[:, 1] <= box[3])
        assert inside.all(), f"a joint outside its own person's box {box}: {torso.round(0)}"
        left, right = BLAZEPOSE33.shoulders
        assert person[right, 0] < person[left, 0], "both men face the camera: their right shoulder is image-left"
        shoulders_y, hips_y = person[list(BLAZEPOSE33.shoulders), 1].mean(), person[list(BLAZEPOSE33.hips), 1].mean()
        assert hips_y - shoulders_y > 0.1 * (box[3] - box[1])


def test_batched_runs_give_the_keypoints_of_one_by_one_runs(
    estimator: BlazePoseEstimator, models_dir: Path, aisle_frames: dict[int, np.ndarray]
) -> None:
    assert estimator.batch_limit == 4, "the rewrite to a dynamic batch is exact on BlazePose"
    one_by_one = BlazePoseEstimator(estimator.model_path, BlazePoseSettings(max_batch=1))
    assert one_by_one.batch_limit == 1
    boxes = np.array([WOMAN_IN_TEAL[33], MAN_IN_HAT[33], [336.9, 145.5, 438.5, 269.5]] * 2, np.float32)  # 6 > 4
    batched = estimator.estimate(aisle_frames[33], boxes)
    single = one_by_one.estimate(aisle_frames[33], boxes)
    np.testing.assert_allclose(batched.keypoints, single.keypoints, atol=1e-4)
    np.testing.assert_allclose(batched.pose_score, single.pose_score, atol=1e-5)
    np.testing.assert_array_equal(batched.keypoints[:3], batched.keypoints[3:])


def test_cutting_the_unused_outputs_changes_no_number(
    full: BlazePoseEstimator, aisle_frames: dict[int, np.ndarray]
) -> None:
    """The whole graph (all five outputs) on the same crop gives the landmarks the cut graph gives."""
    box = np.array([WOMAN_IN_TEAL[33]], np.float32)
    whole = ort.InferenceSession(str(full.model_path), providers=["CPUExecutionProvider"])
    transforms = crop_transforms(box, CropSettings(), 256)
    crop = cv2.warpAffine(aisle_frames[33], transforms.matrices()[0], (256, 256), flags=cv2.INTER_LINEAR)
    outputs = whole.run(None, {"input_1": (crop[None, :, :, ::-1] / 255.0).astype(np.float32)})
    assert len(outputs) == 5 and len(full.session.get_outputs()) == 2
    landmarks = outputs[0].reshape(39, 5)[:33]
    expected_xy = transforms.to_frame(landmarks[None, :, :2])[0]
    np.testing.assert_allclose(full.estimate(aisle_frames[33], box).keypoints[0, :, :2], expected_xy, atol=1e-3)


def test_no_boxes_give_no_keypoints(full: BlazePoseEstimator) -> None:
    result = full.estimate(np.zeros((64, 64, 3), np.uint8), np.zeros((0, 4), np.float32))
    assert result.keypoints.shape == (0, 33, 3) and result.pose_score.shape == (0,)


@pytest.mark.parametrize("name", ["yolox_nano_416.onnx", "pose/yolo11n_pose_640.onnx"])
def test_a_detector_is_not_taken_for_a_landmark_model(models_dir: Path, name: str) -> None:
    with pytest.raises(UnsupportedModelError, match="BlazePose landmark model"):
        BlazePoseEstimator(models_dir / name)
