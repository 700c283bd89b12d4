"""One camera's pipeline after the detector: track -> pose (shoppers at shelves) -> events, and its status events.

Every runner is a thin driver of ``CameraPipeline``: ``run-offline`` (`shelfsight.pipeline.offline`) and the edge's
track+events stage (`shelfsight.pipeline.edge.events`) feed it the same stamped detections and frames in the same order,
and the same stream changes, so the same config gives the same tracks, keypoints and events (ids included) in
either; neither can run a step the other skips. A driver calls ``capture`` when the stream opens or breaks,
``step`` once per detected frame, and ``finish`` at the end; each returns the events due, in order, for the
driver to store (a file, or the edge's disk spool).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from shelfsight.edge_config.camera import CameraConfig
from shelfsight.edge_config.store import EdgeConfig
from shelfsight.pipeline.assembly import CameraPose, camera_engine
from shelfsight.pipeline.camera_status import camera_status_event
from shelfsight.pipeline.edge.camera_state import UNCLEAN_STOP, CameraStatusKeeper, StatusChange
from shelfsight.vision.detections import FrameDetections
from shelfsight.vision.events.contract import AnyEvent
from shelfsight.vision.events.engine import CameraEventEngine
from shelfsight.vision.pose.annotate import PoseAnnotator, PoseCost
from shelfsight.vision.tracking.bytetrack import ByteTracker

logger = logging.getLogger(__name__)

OPENED = "stream opened"
"""The reason of the ``online`` status a replayed source records at its first frame."""
ENDED = "end of file"
"""The reason of the ``offline`` status a replayed source records one frame period after its last frame."""


def pose_annotator(engine: CameraEventEngine, pose: CameraPose) -> PoseAnnotator:
    """The pose annotator of a camera, on the same pixel zones as its event engine."""
    zones = engine.zones
    standing = {floor.zone.shelf_id: floor.zone for floor in zones.floor if floor.zone.shelf_id is not None}
    return PoseAnnotator(pose.estimator, shelves=zones.shelves, standing=standing, selection=pose.selection)


def stamp_detections(detections: FrameDetections, camera_id: str, index: int, captured_at: float) -> FrameDetections:
    """The detector's findings for one frame, stamped with the camera, the frame's index at the source's own rate
    and its capture time (UTC epoch seconds): what every runner hands ``CameraPipeline.step``."""
    return replace(detections, camera_id=camera_id, frame_seq=index, captured_at=captured_at)


def status_event(config: EdgeConfig, camera: CameraConfig, change: StatusChange) -> AnyEvent:
    """The ``camera_status`` event of ``change``; an ``online`` one carries the camera's detect fps."""
    return camera_status_event(
        store_id=config.store_id,
        camera_id=camera.id,
        status=change.status,
        reason=change.reason,
        ts=change.ts,
        fps=camera.detect_fps if change.status == "online" else None,
    )


@dataclass(frozen=True)
class StepResult:
    """What one frame gave: the tracks (with keypoints when a pose model ran) and the events due, in order (a
    status change first, when the frame brought one)."""

    tracks: FrameDetections
    events: list[AnyEvent]


class CameraPipeline:
    """Tracker, pose model, event engine and status of one camera; see the module docstring for the call order.

    The event engine (and the pose annotator, which shares its zones) is built on the first frame, when the frame
    size is known. Status changes are decided by `shelfsight.pipeline.edge.camera_state.CameraStatusKeeper` (only
    changes are recorded) and come back as ``camera_status`` events in order with the camera's other events.

    Args:
        config: The edge config (store id, zones, dwell rules).
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
        self.status = CameraStatusKeeper()
        self.last_t: float | None = None
        """Capture time of the latest frame stepped (UTC epoch seconds), None before the first."""

    def capture(self, status: str, reason: str, ts: float) -> list[AnyEvent]:
        """The stream changed (``online``, ``offline``, ``degraded``) at ``ts`` (UTC epoch seconds) for ``reason``.

        A stream that stops first closes the open visits: they end at the last frame seen.
        """
        closed = self.close_visits() if status == "offline" else []
        return closed + self._record(self.status.on_capture(status, reason, ts))

    def step(self, detections: FrameDetections, image: npt.NDArray[np.uint8]) -> StepResult:
        """Track, estimate poses of shoppers at shelves, and run the event engine on one frame.

        Args:
            detections: The frame's detections, stamped (`stamp_detections`).
            image: The BGR frame (the tracker's ReID crops, the pose crops and the shelf pixels come from it).
        """
        events = self._record(self.status.on_frame(detections.captured_at))
        if self.engine is None:
            self.engine = camera_engine(self.config, self.camera, (image.shape[0], image.shape[1]))
            if self.pose is not None:
                self.annotator = pose_annotator(self.engine, self.pose)
        tracks = self.tracker.update(detections, image)
        if self.annotator is not None:
            tracks = self.annotator.annotate(tracks, image, self.engine.shelf.standing_tracks())
        self.last_t = detections.captured_at
        return StepResult(tracks, events + self.engine.update(tracks, image))

    def disk(self, full: bool, ts: float, reason: str) -> list[AnyEvent]:
        """The edge's spool stopped (``full``) or started again to store events; a full disk drops frames, so the
        open visits are closed first (they end at the last frame seen)."""
        closed = self.close_visits() if full else []
        return closed + self._record(self.status.on_disk(full, ts, reason))

    def unclean_stop(self, last_status: str, alive_at: float) -> list[AnyEvent]:
        """A previous run recorded ``last_status`` and saw frames until ``alive_at`` (UTC epoch seconds), then died
        without recording ``offline`` unless it says so: record it now, at that time."""
        self.status.recorded = "offline"
        if last_status == "offline":
            return []
        return [status_event(self.config, self.camera, StatusChange("offline", UNCLEAN_STOP, alive_at))]

    def finish(self, reason: str | None = None, ts: float | None = None) -> list[AnyEvent]:
        """Close the open visits and record the camera offline.

        Args:
            reason: Why the stream stopped (the edge stopping), recorded at ``ts`` (UTC epoch seconds). None: a
                replayed source ended, recorded as `ENDED` one frame period after its last frame (nothing when
                it had no frame).
            ts: When it stopped; required with ``reason``.
        """
        closed = self.close_visits()
        if reason is None:
            if self.last_t is None:
                return closed
            reason, ts = ENDED, self.last_t + 1.0 / self.camera.detect_fps
        if ts is None:
            raise ValueError("finish(reason=...) needs the time the stream stopped")
        return closed + self._record(self.status.on_capture("offline", reason, ts))

    def close_visits(self) -> list[AnyEvent]:
        """Close what is still open (nothing before the first frame): frames stop for a while or for good."""
        return self.engine.flush() if self.engine is not None else []

    @property
    def pose_cost(self) -> PoseCost:
        """Cost of the latest frame's pose estimation (zero without a pose model)."""
        return self.annotator.last if self.annotator is not None else PoseCost()

    def _record(self, change: StatusChange | None) -> list[AnyEvent]:
        return [] if change is None else [status_event(self.config, self.camera, change)]
