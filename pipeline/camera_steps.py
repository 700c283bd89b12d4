"""One camera's work on each detected frame: track -> pose (shoppers at shelves) -> events.

The offline runner and the edge runtime's track+events stage both call ``CameraSteps.update`` with the same
detections and frames in the same order, so the same config gives the same tracks, keypoints and events (ids
included) in either; neither can run a step the other skips.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from edge_config.camera import CameraConfig
from edge_config.store import EdgeConfig
from pipeline.assembly import CameraPose, build_zones, engine_settings
from vision.detections import FrameDetections
from vision.events.contract import AnyEvent
from vision.events.engine import CameraEventEngine
from vision.pose.annotate import PoseAnnotator, PoseCost
from vision.tracking.bytetrack import ByteTracker

logger = logging.getLogger(__name__)


def camera_engine(config: EdgeConfig, camera: CameraConfig, frame_hw: tuple[int, int]) -> CameraEventEngine:
    """The event engine of one camera, its zones scaled to the frame size (height, width pixels), each floor zone
    with its configured dwell rules, border margin and anchor, and the camera's ``shelf_events:`` settings."""
    return CameraEventEngine(
        store_id=config.store_id, camera_id=camera.id, zones=build_zones(config, camera, frame_hw),
        settings=engine_settings(config, camera.id),
    )  # fmt: skip


def pose_annotator(engine: CameraEventEngine, pose: CameraPose) -> PoseAnnotator:
    """The pose annotator of a camera, on the same pixel zones as its event engine."""
    zones = engine.zones
    standing = {floor.zone.shelf_id: floor.zone for floor in zones.floor if floor.zone.shelf_id is not None}
    return PoseAnnotator(pose.estimator, shelves=zones.shelves, standing=standing, selection=pose.selection)


@dataclass(frozen=True)
class StepResult:
    """What one frame gave: the tracks (with keypoints when a pose model ran) and the events due."""

    tracks: FrameDetections
    events: list[AnyEvent]


class CameraSteps:
    """Tracker, pose model and event engine of one camera; call ``update`` once per detected frame, in order.

    The event engine (and the pose annotator, which shares its zones) is built on the first frame, when the frame
    size is known.

    Args:
        config: The edge config (store id, dwell rules).
        camera: The camera.
        tracker: A fresh tracker of this camera.
        pose: The camera's pose model, or None.
    """

    def __init__(
        self, *, config: EdgeConfig, camera: CameraConfig, tracker: ByteTracker, pose: CameraPose | None = None
    ) -> None:
        self.config, self.camera, self.tracker, self.pose = config, camera, tracker, pose
        self.engine: CameraEventEngine | None = None
        self.annotator: PoseAnnotator | None = None

    def update(self, detections: FrameDetections, image: npt.NDArray[np.uint8]) -> StepResult:
        """Track, estimate poses of shoppers at shelves, and run the event engine on one frame.

        Args:
            detections: The frame's detections, stamped with camera id, frame number and capture time.
            image: The BGR frame (the tracker's ReID crops, the pose crops and the shelf pixels come from it).
        """
        if self.engine is None:
            self.engine = camera_engine(self.config, self.camera, (image.shape[0], image.shape[1]))
            if self.pose is not None:
                self.annotator = pose_annotator(self.engine, self.pose)
        tracks = self.tracker.update(detections, image)
        if self.annotator is not None:
            tracks = self.annotator.annotate(tracks, image, self.engine.shelf.standing_tracks())
        return StepResult(tracks, self.engine.update(tracks, image))

    @property
    def pose_cost(self) -> PoseCost:
        """Cost of the latest frame's pose estimation (zero without a pose model)."""
        return self.annotator.last if self.annotator is not None else PoseCost()

    def flush(self) -> list[AnyEvent]:
        """Close what is still open at the end of a stream (nothing before the first frame)."""
        return self.engine.flush() if self.engine is not None else []
