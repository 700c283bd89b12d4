"""The acceptance floor on real photos: people found, and no person box on anything that is not a person.

Ground truth was drawn by hand on the images (frame pixels, x1 y1 x2 y2). On zidane.jpg the left man points
with an outstretched arm, so his true extent is twice as wide as his body: a detector that boxes the body
without the arm still finds him (IoU ~0.5), hence the 0.4 IoU floor for "found".
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from shelfsight.vision.detector.onnx import DetectorSettings, OnnxDetector

TRUE_PEOPLE = {
    "bus.jpg": np.array(
        [[48, 395, 245, 905], [218, 400, 346, 860], [668, 370, 810, 880], [0, 550, 65, 875]], np.float32
    ),
    "zidane.jpg": np.array([[115, 195, 1150, 720], [740, 40, 1150, 720]], np.float32),
}
FOUND_IOU = 0.4
ON_PERSON_SHARE = 0.75  # share of a predicted box that must lie inside one true person


def _iou_and_share(pred: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n_pred, n_true) IoU and the share of each predicted box inside each true box."""
    x1 = np.maximum(pred[:, None, 0], truth[None, :, 0])
    y1 = np.maximum(pred[:, None, 1], truth[None, :, 1])
    x2 = np.minimum(pred[:, None, 2], truth[None, :, 2])
    y2 = np.minimum(pred[:, None, 3], truth[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_p = (pred[:, 2] - pred[:, 0]) * (pred[:, 3] - pred[:, 1])
    area_t = (truth[:, 2] - truth[:, 0]) * (truth[:, 3] - truth[:, 1])
    return inter / (area_p[:, None] + area_t[None, :] - inter), inter / area_p[:, None]


def count_found(pred: np.ndarray, truth: np.ndarray) -> int:
    """True people matched one-to-one (greedy by IoU) by a prediction with IoU >= FOUND_IOU."""
    iou, _ = _iou_and_share(pred, truth)
    found, used = 0, set()
    for t in np.argsort(-iou.max(axis=0)) if len(pred) else []:
        candidates = [p for p in np.argsort(-iou[:, t]) if p not in used and iou[p, t] >= FOUND_IOU]
        if candidates:
            used.add(candidates[0])
            found += 1
    return found


@pytest.fixture(scope="module", params=["yolox_nano_416", "yolov8n_int8_640"])
def detector(request: pytest.FixtureRequest, models_dir: Path) -> OnnxDetector:
    return OnnxDetector(models_dir / f"{request.param}.onnx", DetectorSettings(conf_threshold=0.3, nms_iou=0.45))


# minimum people found per (model, image); the models' published behaviour on these photos
MINIMUM_FOUND = {
    ("yolox_nano_416", "bus.jpg"): 3,  # misses the man cut off at the left edge
    ("yolox_nano_416", "zidane.jpg"): 2,
    ("yolov8n_int8_640", "bus.jpg"): 4,
    ("yolov8n_int8_640", "zidane.jpg"): 2,
}


@pytest.mark.parametrize("image_name", ["bus.jpg", "zidane.jpg"])
def test_finds_people_and_only_people(detector: OnnxDetector, footage_dir: Path, image_name: str) -> None:
    image = cv2.imread(str(footage_dir / "images" / image_name))
    result = detector.detect([image])[0]
    truth = TRUE_PEOPLE[image_name]
    assert set(result.class_id.tolist()) <= {0}, "class filter must keep people only"
    assert count_found(result.xyxy, truth) >= MINIMUM_FOUND[(detector.model_path.stem, image_name)]
    _, share = _iou_and_share(result.xyxy, truth)
    off_person = [result.xyxy[i].tolist() for i in range(len(result)) if share[i].max() < ON_PERSON_SHARE]
    assert not off_person, f"person boxes on something that is not a person: {off_person}"
    assert result.frame_size == image.shape[:2]
    assert (result.xyxy[:, [0, 2]] <= image.shape[1]).all() and (result.xyxy[:, [1, 3]] <= image.shape[0]).all()


def test_all_classes_also_finds_the_bus(models_dir: Path, footage_dir: Path) -> None:
    detector = OnnxDetector(models_dir / "yolox_nano_416.onnx", DetectorSettings(classes=None))
    result = detector.detect([cv2.imread(str(footage_dir / "images" / "bus.jpg"))])[0]
    names = {detector.layout.class_names[c] for c in result.class_id}
    assert {"person", "bus"} <= names


def test_batch_of_different_sizes_equals_one_by_one(models_dir: Path, footage_dir: Path) -> None:
    detector = OnnxDetector(models_dir / "yolox_nano_416.onnx", DetectorSettings(max_batch=4))
    assert detector.batch_limit == 4, "the YOLOX graph's batch dimension should have been made dynamic"
    images = [cv2.imread(str(footage_dir / "images" / name)) for name in ("bus.jpg", "zidane.jpg")] * 2
    batched = detector.detect(images)
    singles = [detector.detect([image])[0] for image in images]
    for b, s in zip(batched, singles, strict=True):
        np.testing.assert_allclose(b.xyxy, s.xyxy, atol=1e-2)
        np.testing.assert_allclose(b.confidence, s.confidence, atol=1e-4)


def test_int8_model_whose_batch_maths_differs_keeps_batch_one(models_dir: Path) -> None:
    # dynamic int8 quantisation computes one scale over the whole batch: batching would change results
    detector = OnnxDetector(models_dir / "yolov8n_int8_640.onnx", DetectorSettings(max_batch=4))
    assert detector.batch_limit == 1
