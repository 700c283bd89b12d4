"""End-to-end (YOLO26 / YOLOv10) and pose layouts, on models that ultralytics builds and exports itself.

No weights are downloaded: each model is built from its yaml with random weights. A freshly initialised
network answers every image with the same constant, so its batch-norm statistics are first calibrated on two
real photos (forward passes in train mode, no gradient step): the outputs then depend on the image, and our
decoding can be compared box for box with ultralytics' own predictor on the same ONNX file (on a frame at the
network size, so that both sides feed the network identical pixels).
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from shelfsight.models.export import export_ultralytics
from shelfsight.vision.detector.layouts import Layout
from shelfsight.vision.detector.letterbox import letterbox_batch
from shelfsight.vision.detector.onnx import DetectorSettings, OnnxDetector

pytestmark = pytest.mark.slow  # tens of seconds of computation on 2 cores

IMGSZ = 320


def _calibrated_weights(cfg: str | Path, images: list[np.ndarray], out: Path) -> Path:
    import torch
    from ultralytics import YOLO

    torch.manual_seed(0)
    model = YOLO(str(cfg))
    batch = np.stack([cv2.resize(im, (IMGSZ, IMGSZ))[..., ::-1] for im in images]).transpose(0, 3, 1, 2)
    x = torch.from_numpy(batch.copy()).float() / 255
    for module in model.model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.momentum = None  # cumulative average over the calibration passes
            module.reset_running_stats()
    model.model.train()
    with torch.no_grad():
        for _ in range(2):
            model.model(x)
    model.model.eval()
    model.save(str(out))
    return out


@pytest.fixture(scope="module")
def photos(footage_dir: Path) -> list[np.ndarray]:
    return [cv2.imread(str(footage_dir / "images" / name)) for name in ("bus.jpg", "zidane.jpg")]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, photos: list[np.ndarray]) -> dict[str, Path]:
    """{'pose': person-only YOLO11n-pose [1, 56, A], 'end2end': YOLO26n [1, 300, 6]} as ONNX files."""
    import ultralytics
    import yaml

    os.environ.setdefault("YOLO_OFFLINE", "1")
    folder = tmp_path_factory.mktemp("ultralytics")
    cfg = yaml.safe_load((Path(ultralytics.__file__).parent / "cfg/models/11/yolo11-pose.yaml").read_text())
    cfg.update(nc=1, scale="n")  # a real COCO pose model has one class, person
    pose_yaml = folder / "yolo11n-pose-person.yaml"
    pose_yaml.write_text(yaml.safe_dump(cfg))
    pose_pt = _calibrated_weights(pose_yaml, photos, folder / "pose.pt")
    e2e_pt = _calibrated_weights("yolo26n.yaml", photos, folder / "e2e.pt")
    return {
        "pose": export_ultralytics(str(pose_pt), folder / "pose.onnx", imgsz=IMGSZ),
        "end2end": export_ultralytics(str(e2e_pt), folder / "e2e.onnx", imgsz=IMGSZ, end2end=True),
    }


def _score_at_rank(detector: OnnxDetector, image: np.ndarray, rank: int) -> float:
    layout = detector.layout
    blob, _ = letterbox_batch([image], layout.input_hw, centre=True, rgb=True, scale=layout.scale)
    raw = detector.run_blob(blob)[0]
    scores = raw[:, 4] if layout.layout is Layout.ULTRALYTICS_END2END else raw[4 : 4 + layout.num_classes].max(0)
    return float(np.sort(scores)[-rank])


@pytest.mark.parametrize(("name", "layout", "keypoints"), [
    ("pose", Layout.ULTRALYTICS_POSE, 17), ("end2end", Layout.ULTRALYTICS_END2END, 0),
])  # fmt: skip
def test_layout_recognised_from_the_file(exported: dict[str, Path], name: str, layout: Layout, keypoints: int) -> None:
    detector = OnnxDetector(exported[name], DetectorSettings(classes=None))
    assert detector.layout.layout is layout
    assert detector.layout.num_keypoints == keypoints
    assert detector.layout.input_hw == (IMGSZ, IMGSZ)


@pytest.mark.parametrize(("name", "task"), [("pose", "pose"), ("end2end", "detect")])
def test_decoding_matches_ultralytics_predictor(
    exported: dict[str, Path], photos: list[np.ndarray], name: str, task: str
) -> None:
    from ultralytics import YOLO

    # a frame already at the network size: both sides see the same pixels, whatever their resize rounding
    image = cv2.resize(photos[0], (IMGSZ, IMGSZ), interpolation=cv2.INTER_AREA)
    probe = OnnxDetector(exported[name], DetectorSettings(conf_threshold=0.0, classes=None, max_batch=1))
    conf = _score_at_rank(probe, image, 12)  # keep about a dozen boxes
    detector = OnnxDetector(exported[name], DetectorSettings(conf_threshold=conf, nms_iou=0.7, classes=None))
    ours = detector.detect([image])[0]
    theirs = YOLO(str(exported[name]), task=task).predict(image, imgsz=IMGSZ, conf=conf, iou=0.7, verbose=False)[0]
    assert len(ours) >= 3
    assert len(ours) == len(theirs.boxes)
    mine, ref = np.argsort(-ours.confidence), np.argsort(-theirs.boxes.conf.numpy())
    np.testing.assert_allclose(ours.xyxy[mine], theirs.boxes.xyxy.numpy()[ref], atol=0.5)
    np.testing.assert_allclose(ours.confidence[mine], theirs.boxes.conf.numpy()[ref], atol=1e-3)
    if task == "pose":
        assert ours.keypoints is not None and ours.keypoints.shape == (len(ours), 17, 3)
        np.testing.assert_allclose(ours.keypoints[mine], theirs.keypoints.data.numpy()[ref], atol=0.5)
