"""The track+events stage: one process per camera, from detections to durable events.

Tracking, the camera's pose model (for shoppers at shelves) and the event engine run through the offline
runner's `pipeline.camera_steps.CameraSteps`, built by `pipeline.assembly`, fed the same frames (and a pose
detector's keypoints) in the same order, so a replay gives the offline runner's events, ids included. Events are
written to the box's disk spool (SQLite, one transaction per frame) before anything else happens to them,
then the publisher is nudged; a crash after that loses nothing. Camera status messages become
``camera_status`` events here, in order with the camera's other events.

On SIGTERM the stage takes what is still queued (briefly), closes open visits, records the camera as
offline, spools all of it and exits: a restart or an upgrade loses no event.
"""

from __future__ import annotations

import contextlib
import logging
import time

import zmq

from pipeline.assembly import build_pose, build_tracker
from pipeline.camera_steps import CameraSteps
from pipeline.edge.id_blocks import IdBlocks
from pipeline.edge.messages import (
    DETECTIONS_KIND,
    END_KIND,
    STATUS_KIND,
    DetectionsMessage,
    StatusMessage,
    wake_envelope,
)
from pipeline.edge.runtime import POLL_MS, HeartbeatSender, LatencyWindow, StageSpec, start_process
from pipeline.logs import camera_logger
from pipeline.offline import status_event
from pipeline.spool import Spool, SpooledEvent
from pipeline.transport.envelope import Envelope, MessageError, decode, encode
from vision.detections import FrameDetections
from vision.events.codec import to_msgpack
from vision.events.contract import AnyEvent

logger = logging.getLogger(__name__)

DRAIN_ON_STOP_S = 1.0


class EventStage:
    """See the module docstring."""

    def __init__(self, spec: StageSpec) -> None:
        self.config, self.stopper, context = start_process(spec)
        self.spec, self.camera = spec, spec.camera(self.config)
        self.log = camera_logger(logger, self.camera.id)
        spool_path = spec.spool_path(self.config)
        self.ids = None if spec.replay else IdBlocks(spool_path.parent, self.camera.id)
        first_id = 1 if self.ids is None else self.ids.first
        tracker = build_tracker(
            self.camera, self.config.tracker_for(self.camera.id), models_dir=spec.models_dir, reid=spec.reid,
            first_id=first_id,
        )  # fmt: skip
        pose = build_pose(self.camera, config_dir=spec.config_path.parent, models_dir=spec.models_dir)
        self.steps = CameraSteps(config=self.config, camera=self.camera, tracker=tracker, pose=pose)
        self.spool = Spool(spool_path, max_events=self.config.spool.max_events, max_bytes=self.config.spool.max_bytes)
        self.pull = context.socket(zmq.PULL)
        self.pull.setsockopt(zmq.RCVHWM, 8 if spec.replay else 2)
        self.pull.bind(spec.layout.detections(self.camera.id))
        self.wake = context.socket(zmq.PUSH)
        self.wake.setsockopt(zmq.SNDHWM, 2)
        self.wake.setsockopt(zmq.LINGER, 0)
        self.wake.connect(spec.layout.wake)
        self.heartbeat = HeartbeatSender(spec, self.config.store_id, context)
        self.latency = LatencyWindow()
        self.pose_latency = LatencyWindow()
        self.last_t: float | None = None
        self.counters: dict[str, float] = {"frames_total": 0, "events_total": 0, "bad_messages_total": 0,
                                           "tracks_active": 0}  # fmt: skip
        if pose is not None:
            self.counters.update(pose_people_total=0, pose_people=0)

    def run(self) -> int:
        while not self.stopper.stopped:
            if self.pull.poll(POLL_MS) and self._handle(self._receive()):
                return 0  # end of a replayed source
            self._beat()
        deadline = time.monotonic() + DRAIN_ON_STOP_S
        while time.monotonic() < deadline and self.pull.poll(50):
            if self._handle(self._receive()):
                return 0
        self._finish("edge stopped")
        return 0

    def _beat(self, *, force: bool = False) -> None:
        if not (force or self.heartbeat.due):
            return
        self.counters["spool_events"] = len(self.spool)
        latencies = {**self.latency.quantiles("frame_to_spool"), **self.pose_latency.quantiles("pose")}
        self.heartbeat.maybe_send({**self.counters, **latencies}, force=force)

    def _receive(self) -> Envelope | None:
        try:
            return decode(self.pull.recv_multipart(copy=False))
        except MessageError as exc:
            self.counters["bad_messages_total"] += 1
            self.log.warning("dropped a bad message: %s", exc)
            return None

    def _handle(self, envelope: Envelope | None) -> bool:
        """Process one message; True at the end of a replayed source (the stage is done)."""
        if envelope is None:
            return False
        try:
            if envelope.camera_id != self.camera.id:
                raise MessageError(f"message for camera {envelope.camera_id!r} reached {self.camera.id!r}")
            if envelope.kind == DETECTIONS_KIND:
                self._on_detections(DetectionsMessage.from_envelope(envelope, self.config.store_id))
            elif envelope.kind == STATUS_KIND:
                status = StatusMessage.from_envelope(envelope, self.config.store_id)
                if status.status == "offline":
                    self._spool(self.steps.flush())  # the stream broke: visits end at the last frame seen
                self._spool([status_event(self.config, self.camera, status.status, status.ts, status.reason)])
            elif envelope.kind == END_KIND:
                self._finish(None)
                return True
            else:
                raise MessageError(f"unexpected message kind {envelope.kind!r}")
        except MessageError as exc:
            self.counters["bad_messages_total"] += 1
            self.log.warning("dropped a bad message: %s", exc)
        return False

    def _on_detections(self, message: DetectionsMessage) -> None:
        image = message.image
        detections = FrameDetections(
            xyxy=message.xyxy, confidence=message.confidence, class_id=message.class_id, keypoints=message.keypoints,
            camera_id=self.camera.id, frame_seq=message.stamp.index, captured_at=message.stamp.captured_at,
            frame_size=(image.shape[0], image.shape[1]),
        )  # fmt: skip
        step = self.steps.update(detections, image)
        if self.ids is not None:  # reserved on disk before any event with a new id is spooled
            self.ids.ensure(self.steps.tracker.id_counter.issued)
        self.last_t = message.stamp.captured_at
        self._spool(step.events, origin_at=message.stamp.read_at)
        self.counters["frames_total"] += 1
        self.counters["tracks_active"] = len(step.tracks)
        if self.steps.pose is not None:
            cost = self.steps.pose_cost
            self.counters["pose_people_total"] += cost.people
            self.counters["pose_people"] = cost.people
            self.pose_latency.add(cost.seconds * 1000.0)
        self.latency.add((time.time() - message.stamp.read_at) * 1000.0)

    def _finish(self, reason: str | None) -> None:
        """Close open visits and record the camera offline: at the end of a replay, or on stop."""
        events: list[AnyEvent] = list(self.steps.flush())
        if self.last_t is not None:
            if reason is None:  # end of a replayed source: as the offline runner says it
                end = self.last_t + 1 / self.camera.detect_fps
                events.append(status_event(self.config, self.camera, "offline", end))
            else:
                events.append(status_event(self.config, self.camera, "offline", time.time(), reason))
        self._spool(events)
        self._beat(force=True)
        self.log.info("finished frames=%d events=%d pose_people=%d", self.counters["frames_total"],
                      self.counters["events_total"], self.counters.get("pose_people_total", 0))  # fmt: skip

    def _spool(self, events: list[AnyEvent], origin_at: float | None = None) -> None:
        """Store events durably; ``origin_at`` (epoch s) is when their frame was read, for latency."""
        if not events:
            return
        origin = time.time() if origin_at is None else origin_at
        self.spool.put(SpooledEvent(str(e.event_id), e.camera_id, to_msgpack(e), origin) for e in events)
        self.counters["events_total"] += len(events)
        with contextlib.suppress(zmq.Again):  # a nudge is already waiting
            self.wake.send_multipart(encode(wake_envelope(self.config.store_id)), flags=zmq.NOBLOCK)

    def close(self) -> None:
        self.heartbeat.close()
        self.pull.close(linger=0)
        self.wake.close(linger=0)
        self.spool.close()


def main(spec: StageSpec) -> int:
    """Entry point of a camera's track+events process."""
    stage = EventStage(spec)
    try:
        return stage.run()
    finally:
        stage.close()
