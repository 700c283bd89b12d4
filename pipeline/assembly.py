"""Building one camera's detector, tracker and pose model from the edge config, the same way in every runner.

The offline runner, the edge runtime's stages and the demo all call these, so the same config gives the
same detections, tracks and events whichever runner processes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from edge_config.camera import CameraConfig
from edge_config.checks import absolute_model_ref
from models.registry import resolve_model
from vision.detector.onnx import DetectorSettings, OnnxDetector
from vision.pose.blazepose import BlazePoseEstimator, BlazePoseSettings
from vision.pose.crop import CropSettings
from vision.pose.selection import SelectionSettings
from vision.tracking.bytetrack import ByteTracker, TrackerSettings
from vision.tracking.ids import IdCounter
from vision.tracking.reid import OnnxReid
from vision.tracking.relink import FragmentRelinker, RelinkSettings

TRACKER_LOW_SCORE = 0.1
"""The detector keeps boxes down to this score: the tracker's second association stage uses the weak ones."""

REID_MODEL = "reid_retail_0287"


@dataclass(frozen=True)
class DetectorKey:
    """What makes two cameras able to share one detector (and one batch): the model file and its settings."""

    model_path: Path
    settings: DetectorSettings


def detector_key(
    camera: CameraConfig, *, config_dir: Path, models_dir: Path | None, max_batch: int = 4, threads: int = 1
) -> DetectorKey:
    """The model file and detector settings of ``camera``.

    Raises:
        ModelNotFoundError: When the model is neither in the models folder nor a file.
    """
    settings = camera.detector
    detector_settings = DetectorSettings(
        conf_threshold=min(settings.conf_threshold, TRACKER_LOW_SCORE), nms_iou=settings.nms_iou_threshold,
        classes=tuple(settings.class_ids), max_batch=max_batch, intra_op_threads=threads,
    )  # fmt: skip
    path = resolve_model(absolute_model_ref(camera.model, config_dir=config_dir), models_dir)
    return DetectorKey(path, detector_settings)


def build_detector(key: DetectorKey) -> OnnxDetector:
    """An ONNX Runtime detector for ``key``."""
    return OnnxDetector(key.model_path, key.settings)


def build_tracker(
    camera: CameraConfig, *, models_dir: Path | None, reid: bool = True, first_id: int = 1
) -> ByteTracker:
    """A fresh tracker for ``camera``: thresholds from its detector settings, ReID re-linking when ``reid``,
    track ids from ``first_id`` up.

    Raises:
        ModelNotFoundError: When ``reid`` and the ReID model is missing.
    """
    appearance = OnnxReid(resolve_model(REID_MODEL, models_dir)) if reid else None
    high = max(camera.detector.conf_threshold, TRACKER_LOW_SCORE)
    return ByteTracker(
        TrackerSettings(high_confidence_threshold=high, track_activation_threshold=high),
        id_counter=IdCounter(first_id), camera_id=camera.id, relinker=FragmentRelinker(RelinkSettings(), appearance),
    )  # fmt: skip


@dataclass(frozen=True)
class CameraPose:
    """A camera's pose model and who it runs on (`pipeline.camera_steps` turns it into a `PoseAnnotator`)."""

    estimator: BlazePoseEstimator
    selection: SelectionSettings


def build_pose(
    camera: CameraConfig, *, config_dir: Path, models_dir: Path | None, max_batch: int = 4, threads: int = 1
) -> CameraPose | None:
    """The pose model of ``camera`` (None when its config has no ``pose:`` section).

    Args:
        camera: The camera.
        config_dir: Folder of the config file, for a relative model path.
        models_dir: Folder of manifest models; None means the ``SHELFSIGHT_MODELS_DIR`` setting.
        max_batch: Most people per ``session.run`` (the result does not depend on it).
        threads: ONNX Runtime intra-op threads.

    Raises:
        ModelNotFoundError: When the model is neither in the models folder nor a file.
        UnsupportedModelError: When the file is not a BlazePose landmark model.
    """
    pose = camera.pose
    if pose is None:
        return None
    path = resolve_model(absolute_model_ref(pose.model, config_dir=config_dir), models_dir)
    settings = BlazePoseSettings(
        crop=CropSettings(grow_up=pose.crop_grow_up, scale=pose.crop_scale), max_batch=max_batch,
        intra_op_threads=threads,
    )  # fmt: skip
    selection = SelectionSettings(
        reach_up=pose.reach_up, standing_margin=pose.standing_margin, require_standing=pose.require_standing,
        max_people=pose.max_people_per_frame,
    )  # fmt: skip
    return CameraPose(BlazePoseEstimator(path, settings), selection)
