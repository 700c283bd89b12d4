"""Building one camera's detector, tracker, pose model and event settings from the edge config, the same way in
every runner.

The offline runner, the edge runtime's stages and the demo all call these, so the same config gives the
same detections, tracks and events whichever runner processes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shelfsight.edge_config.camera import CameraConfig
from shelfsight.edge_config.checks import absolute_model_ref
from shelfsight.edge_config.store import EdgeConfig
from shelfsight.edge_config.tracker import REID_MODEL, RelinkConfig, TrackerConfig
from shelfsight.models.registry import resolve_model
from shelfsight.vision.detector.onnx import DetectorSettings, OnnxDetector
from shelfsight.vision.events.dwell import DwellRule, FloorZone
from shelfsight.vision.events.engine import FLOOR_KINDS, CameraEventEngine, CameraZones, EngineSettings
from shelfsight.vision.events.feet import FeetSettings
from shelfsight.vision.events.reach import ReachSettings
from shelfsight.vision.events.registration import RegistrationSettings
from shelfsight.vision.events.shelf_events import ShelfEventSettings
from shelfsight.vision.events.shelf_state import ShelfStateSettings
from shelfsight.vision.events.wrists import HandSettings
from shelfsight.vision.pose.blazepose import BlazePoseEstimator, BlazePoseSettings
from shelfsight.vision.pose.crop import CropSettings
from shelfsight.vision.pose.selection import SelectionSettings
from shelfsight.vision.tracking.bytetrack import ByteTracker, TrackerSettings
from shelfsight.vision.tracking.ids import IdCounter
from shelfsight.vision.tracking.reid import OnnxReid
from shelfsight.vision.tracking.relink import FragmentRelinker, RelinkSettings
from shelfsight.vision.zones import Anchor, Zone


@dataclass(frozen=True)
class DetectorKey:
    """What makes two cameras able to share one detector (and one batch): the model file and its settings."""

    model_path: Path
    settings: DetectorSettings


def detector_key(
    camera: CameraConfig,
    tracker: TrackerConfig,
    *,
    config_dir: Path,
    models_dir: Path | None,
    max_batch: int = 4,
    threads: int = 1,
) -> DetectorKey:
    """The model file and detector settings of ``camera``, whose effective tracker settings are ``tracker``.

    The detector keeps boxes down to the tracker's ``low_confidence_threshold`` (not only down to the camera's
    ``conf_threshold``): the tracker's second association stage keeps half-hidden shoppers with the weak ones.

    Raises:
        ModelNotFoundError: When the model is neither in the models folder nor a file.
    """
    settings = camera.detector
    detector_settings = DetectorSettings(
        conf_threshold=min(settings.conf_threshold, tracker.low_confidence_threshold),
        nms_iou=settings.nms_iou_threshold,
        classes=tuple(settings.class_ids),
        max_batch=max_batch,
        intra_op_threads=threads,
    )
    path = resolve_model(absolute_model_ref(camera.model, config_dir=config_dir), models_dir)
    return DetectorKey(path, detector_settings)


def build_detector(key: DetectorKey) -> OnnxDetector:
    """An ONNX Runtime detector for ``key``."""
    return OnnxDetector(key.model_path, key.settings)


def tracker_settings(camera: CameraConfig, tracker: TrackerConfig) -> TrackerSettings:
    """The tracker's thresholds for ``camera``: ``tracker`` as configured, the high-confidence threshold following
    the camera's detector ``conf_threshold`` where it is unset."""
    return TrackerSettings(
        high_confidence_threshold=tracker.high_threshold_for(camera.detector.conf_threshold),
        **tracker.model_dump(exclude={"high_confidence_threshold", "relink"}),
    )


def relink_settings(relink: RelinkConfig) -> RelinkSettings:
    """The re-linker's gates and thresholds as configured (``reid`` is `build_tracker`'s business)."""
    return RelinkSettings(**relink.model_dump(exclude={"reid"}))


def build_tracker(
    camera: CameraConfig, tracker: TrackerConfig, *, models_dir: Path | None, reid: bool = True, first_id: int = 1
) -> ByteTracker:
    """A fresh tracker for ``camera`` with its effective settings ``tracker`` (`EdgeConfig.tracker_for`): ReID
    re-linking when both ``reid`` (the runner's switch, e.g. ``--no-reid``) and ``tracker.relink.reid`` allow it,
    track ids from ``first_id`` up.

    Raises:
        ModelNotFoundError: When ReID is on and the ReID model is missing.
    """
    appearance = OnnxReid(resolve_model(REID_MODEL, models_dir)) if reid and tracker.relink.reid else None
    return ByteTracker(
        tracker_settings(camera, tracker),
        id_counter=IdCounter(first_id),
        camera_id=camera.id,
        relinker=FragmentRelinker(relink_settings(tracker.relink), appearance),
    )


def engine_settings(config: EdgeConfig, camera_id: str) -> EngineSettings:
    """The event engine's tuning for camera ``camera_id``: its effective ``shelf_events:`` settings
    (`EdgeConfig.shelf_events_for`, the store's with the camera's overrides), sub-section by sub-section.

    Raises:
        KeyError: When no camera has that id.
    """
    section = config.shelf_events_for(camera_id)
    return EngineSettings(
        reach=ReachSettings(**section.reach.model_dump()),
        hands=HandSettings(**section.hands.model_dump()),
        shelf_state=ShelfStateSettings(**section.shelf_state.model_dump()),
        spots=ShelfEventSettings(**section.spots.model_dump()),
        registration=RegistrationSettings(**section.registration.model_dump()),
        feet=FeetSettings(**section.feet.model_dump()),
    )


@dataclass(frozen=True)
class CameraPose:
    """A camera's pose model and who it runs on (`shelfsight.pipeline.camera_pipeline` turns it into a
    `PoseAnnotator`)."""

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
        crop=CropSettings(grow_up=pose.crop_grow_up, scale=pose.crop_scale),
        max_batch=max_batch,
        intra_op_threads=threads,
    )
    selection = SelectionSettings(
        reach_up=pose.reach_up,
        standing_margin=pose.standing_margin,
        require_standing=pose.require_standing,
        max_people=pose.max_people_per_frame,
    )
    return CameraPose(BlazePoseEstimator(path, settings), selection)


def build_zones(config: EdgeConfig, camera: CameraConfig, frame_size: tuple[int, int]) -> CameraZones:
    """Pixel zones of ``camera`` for frames of (height, width), with each floor zone's merged dwell rules."""
    floor, shelves = [], []
    for zone_config in camera.zones:
        zone = Zone.from_normalised(
            zone_config.id, zone_config.kind.value, zone_config.polygon, frame_size, zone_config.shelf_id
        )
        if zone_config.kind.value == "shelf":
            shelves.append(zone)
        elif zone_config.kind.value in FLOOR_KINDS:
            rules = config.dwell_rules_for(zone_config.id)  # timing, border margin and anchor, merged
            rule = DwellRule(**rules.model_dump(exclude={"anchor"}))
            floor.append(FloorZone(zone, rule, Anchor(rules.anchor.value)))
    return CameraZones(tuple(floor), tuple(shelves))


def camera_engine(config: EdgeConfig, camera: CameraConfig, frame_hw: tuple[int, int]) -> CameraEventEngine:
    """The event engine of one camera, its zones scaled to the frame size (height, width pixels), each floor zone
    with its configured dwell rules, border margin and anchor, and the camera's ``shelf_events:`` settings."""
    return CameraEventEngine(
        store_id=config.store_id,
        camera_id=camera.id,
        zones=build_zones(config, camera, frame_hw),
        settings=engine_settings(config, camera.id),
    )
