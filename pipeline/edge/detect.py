"""The detector stage: one process for the box, batching frames across cameras into ONNX Runtime calls.

It takes whatever frames are waiting (up to ``max_batch`` per model), so a busy box gets full batches and
a quiet one gets low latency, and never waits to fill a batch. Cameras with the same model and settings
share batches. Status and end-of-stream messages are passed on in order with their camera's frames. Each frame's
detections are stamped as ``run-offline`` stamps them (`shelfsight.pipeline.camera_pipeline.stamp_detections`) and
travel on losslessly, a pose detector's keypoints included, so the camera's pipeline steps with the same input.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict

import zmq

from shelfsight.pipeline.assembly import DetectorKey, build_detector, detector_key
from shelfsight.pipeline.camera_pipeline import stamp_detections
from shelfsight.pipeline.edge.counters import DetectorCounters
from shelfsight.pipeline.edge.messages import (
    DETECTIONS_KIND,
    END_KIND,
    FRAME_KIND,
    STATUS_KIND,
    DetectionsMessage,
    FrameMessage,
    StatusMessage,
)
from shelfsight.pipeline.edge.runtime import MAX_FRAME_MESSAGE_BYTES, POLL_MS, LatencyWindow, StageKind
from shelfsight.pipeline.edge.stage import Stage
from shelfsight.transport.envelope import Envelope, MessageError, decode, encode
from shelfsight.vision.detector.onnx import OnnxDetector

logger = logging.getLogger(__name__)

DELIVERY_TIMEOUT_MS = 500
"""Live: how long a camera's event stage may refuse detections (dead, restarting) before they are dropped."""


class DetectorStage(Stage):
    """See the module docstring."""

    kind = StageKind.DETECTOR
    counters: DetectorCounters

    def setup(self) -> None:
        spec, context = self.spec, self.context
        self.counters = DetectorCounters()
        config_dir = spec.config_path.parent
        self.keys: dict[str, DetectorKey] = {
            camera.id: detector_key(
                camera,
                self.config.tracker_for(camera.id),
                config_dir=config_dir,
                models_dir=spec.models_dir,
                max_batch=spec.max_batch,
                threads=spec.detector_threads,
            )
            for camera in self.config.cameras
        }
        self.detectors: dict[DetectorKey, OnnxDetector] = {}
        for key in self.keys.values():
            if key not in self.detectors:
                self.detectors[key] = build_detector(key)
        self.pull = self.close_socket(context.socket(zmq.PULL))
        self.pull.setsockopt(zmq.RCVHWM, 8 if spec.replay else 2)  # per capture: live latency stays short
        self.pull.setsockopt(zmq.MAXMSGSIZE, MAX_FRAME_MESSAGE_BYTES)
        self.pull.bind(spec.layout.frames)
        self.pushes: dict[str, zmq.Socket[bytes]] = {}
        for camera_id in self.keys:
            push = self.close_socket(context.socket(zmq.PUSH))
            push.setsockopt(zmq.SNDHWM, 8 if spec.replay else 2)  # live: a slow event stage backs up to capture
            push.setsockopt(zmq.LINGER, 2000)
            push.connect(spec.layout.detections(camera_id))
            self.pushes[camera_id] = push
        self.latency = LatencyWindow()

    def step(self) -> bool:
        if self.pull.poll(POLL_MS):
            try:
                self._route(self._drain())
            except Exception:  # the loop boundary: one bad batch must not stop every camera's detection
                self.counters.errors_total += 1
                logger.exception("detector failed on a batch; its frames are dropped")
        return False

    def latencies(self) -> dict[str, float]:
        return self.latency.quantiles("detector")

    def _drain(self) -> list[Envelope]:
        """Every message waiting now (at most a few batches' worth), decoded; bad ones counted and dropped."""
        limit = self.spec.max_batch * max(1, len(self.detectors)) * 2
        out: list[Envelope] = []
        while len(out) < limit:
            try:
                frames = self.pull.recv_multipart(flags=zmq.NOBLOCK, copy=False)
            except zmq.Again:
                break
            try:
                envelope = decode(frames)
                if envelope.camera_id not in self.keys or envelope.kind not in (FRAME_KIND, STATUS_KIND, END_KIND):
                    raise MessageError(f"unexpected {envelope.kind!r} message for camera {envelope.camera_id!r}")
                out.append(envelope)
            except MessageError as exc:
                self.counters.bad_messages_total += 1
                logger.warning("detector dropped a bad message: %s", exc)
        self.counters.queue_depth = len(out)
        return out

    def _route(self, envelopes: list[Envelope]) -> None:
        pending: dict[DetectorKey, list[FrameMessage]] = defaultdict(list)
        for envelope in envelopes:
            key = self.keys[envelope.camera_id]
            if envelope.kind == FRAME_KIND:
                try:
                    frame = FrameMessage.from_envelope(envelope, self.config.store_id)
                except MessageError as exc:
                    self.counters.bad_messages_total += 1
                    logger.warning("detector dropped a bad frame: %s", exc)
                    continue
                pending[key].append(frame)
                if len(pending[key]) >= self.spec.max_batch:
                    self._detect(key, pending.pop(key))
                continue
            if envelope.kind == STATUS_KIND:
                try:
                    StatusMessage.from_envelope(envelope, self.config.store_id)
                except MessageError as exc:
                    self.counters.bad_messages_total += 1
                    logger.warning("detector dropped a bad status: %s", exc)
                    continue
            if key in pending:  # keep the camera's order: its earlier frames go first
                self._detect(key, pending.pop(key))
            self._deliver(envelope.camera_id, envelope)
        for key, frames in pending.items():
            if frames:
                self._detect(key, frames)

    def _detect(self, key: DetectorKey, frames: list[FrameMessage]) -> None:
        started = time.perf_counter()
        results = self.detectors[key].detect([frame.image for frame in frames])
        per_frame_ms = (time.perf_counter() - started) * 1000.0 / len(frames)
        self.latency.add(per_frame_ms)
        self.counters.batches_total += 1
        self.counters.frames_total += len(frames)
        for frame, found in zip(frames, results, strict=True):
            stamped = stamp_detections(found, frame.camera_id, frame.stamp.index, frame.stamp.captured_at)
            message = DetectionsMessage(
                self.config.store_id, frame.camera_id, frame.stamp, frame.image, stamped, per_frame_ms
            )
            self._deliver(frame.camera_id, message.to_envelope())

    def _deliver(self, camera_id: str, envelope: Envelope) -> None:
        push = self.pushes[camera_id]
        while True:
            if push.poll(DELIVERY_TIMEOUT_MS, zmq.POLLOUT):
                push.send_multipart(encode(envelope), copy=False)
                return
            self.beat()  # replay waits here for a restarting event stage: still alive, not stuck
            if not self.spec.replay or self.stopper.stopped:
                self.counters.undeliverable_total += 1
                logger.warning(
                    "camera=%s event stage not taking detections; dropped a %s",
                    camera_id,
                    envelope.kind if envelope.kind != DETECTIONS_KIND else "frame",
                )
                return


main = DetectorStage.main
