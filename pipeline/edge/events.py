"""The track+events stage: one process per camera, from detections to durable events.

A thin driver of the camera's `shelfsight.pipeline.camera_pipeline.CameraPipeline` (tracking, the pose model, the event
engine and the camera's status), as ``run-offline`` is, fed the same stamped detections (a pose detector's
keypoints included: they arrive losslessly) and frames in the same order, so a replay gives the offline runner's
events, ids included. Events are
written to the box's disk spool (SQLite, one transaction per frame) before anything else happens to them,
then the publisher is nudged; a crash after that loses nothing. Camera status messages become
``camera_status`` events here, in order with the camera's other events.

On SIGTERM the stage takes what is still queued (briefly), closes open visits, records the camera as
offline, spools all of it and exits: a restart or an upgrade loses no event.

The camera's status is `shelfsight.pipeline.edge.camera_state`'s: only changes are recorded, a status left open by a
power cut is closed at the next start, and a full disk makes the camera ``degraded``. While the spool cannot
store (disk full), events wait in memory, frames are dropped and counted (``frames_dropped_total``), and the
write is tried again every second; nothing is lost unless the stage is stopped before the disk has room, and
then the loss is counted (``events_lost_total``) and logged.
"""

from __future__ import annotations

import contextlib
import logging
import time

import zmq

from shelfsight.pipeline.assembly import build_pose, build_tracker
from shelfsight.pipeline.camera_pipeline import CameraPipeline
from shelfsight.pipeline.edge.camera_state import DISK_FREE, DISK_FULL, StatusMarks
from shelfsight.pipeline.edge.counters import EventCounters
from shelfsight.pipeline.edge.id_blocks import IdBlocks
from shelfsight.pipeline.edge.messages import (
    DETECTIONS_KIND,
    END_KIND,
    STATUS_KIND,
    DetectionsMessage,
    StatusMessage,
    wake_envelope,
)
from shelfsight.pipeline.edge.runtime import MAX_FRAME_MESSAGE_BYTES, POLL_MS, LatencyWindow, StageKind
from shelfsight.pipeline.edge.snapshots import EventSnapshots
from shelfsight.pipeline.edge.stage import Stage
from shelfsight.pipeline.edge.zone_pictures import ZonePictureWriter, picture_path
from shelfsight.pipeline.logs import camera_logger
from shelfsight.pipeline.spool import Spool, SpooledEvent, SpoolWriteError
from shelfsight.transport.envelope import Envelope, MessageError, decode, encode
from shelfsight.vision.events.codec import to_msgpack
from shelfsight.vision.events.contract import AnyEvent, CameraStatusEvent

logger = logging.getLogger(__name__)

DRAIN_ON_STOP_S = 1.0
RETRY_SPOOL_S = 1.0
"""Seconds between attempts to store waiting events while the spool cannot take them."""
MAX_PENDING_EVENTS = 10_000
"""Events kept in memory while the spool cannot store them; beyond, the oldest are lost (counted)."""


class EventStage(Stage):
    """See the module docstring."""

    kind = StageKind.EVENTS
    counters: EventCounters

    def setup(self) -> None:
        spec, context = self.spec, self.context
        self.camera = spec.camera(self.config)
        self.log = camera_logger(logger, self.camera.id)
        self.spool_path = spec.spool_path(self.config)
        self.ids = None if spec.replay else IdBlocks(self.spool_path.parent, self.camera.id)
        first_id = 1 if self.ids is None else self.ids.first
        tracker = build_tracker(
            self.camera,
            self.config.tracker_for(self.camera.id),
            models_dir=spec.models_dir,
            reid=spec.reid,
            first_id=first_id,
        )
        pose = build_pose(self.camera, config_dir=spec.config_path.parent, models_dir=spec.models_dir)
        self.pipeline = CameraPipeline(config=self.config, camera=self.camera, tracker=tracker, pose=pose)
        self.pull = self.close_socket(context.socket(zmq.PULL))
        self.pull.setsockopt(zmq.RCVHWM, 8 if spec.replay else 2)
        self.pull.setsockopt(zmq.MAXMSGSIZE, MAX_FRAME_MESSAGE_BYTES)
        self.pull.bind(spec.layout.detections(self.camera.id))
        self.wake = self.close_socket(context.socket(zmq.PUSH))
        self.wake.setsockopt(zmq.SNDHWM, 2)
        self.wake.setsockopt(zmq.LINGER, 0)
        self.wake.connect(spec.layout.wake)
        self.latency = LatencyWindow()
        self.pose_latency = LatencyWindow()
        self.counters = EventCounters()
        if pose is not None:
            self.counters.pose_people_total = self.counters.pose_people = 0
        self.spool: Spool | None = None
        self.on_teardown(lambda: self.spool.close() if self.spool is not None else None)
        self.pending: list[SpooledEvent] = []
        """Events not yet stored: only while the spool cannot take them (a full disk)."""
        self.spool_failing = False
        self._retry_at = 0.0
        self.marks = None if spec.replay else StatusMarks(self.spool_path.parent, self.camera.id)
        self.snapshots = None
        if (
            self.config.privacy.store_frames
        ):  # audit frames on this box's disk only; see shelfsight.pipeline.edge.snapshots
            folder = self.spool_path.parent / "frames" / self.camera.id
            self.snapshots = EventSnapshots(folder, self.config.privacy)
        # The shopper-free picture the zones page draws on: this box's disk only; see
        # shelfsight.pipeline.edge.zone_pictures.
        self.pictures = ZonePictureWriter(picture_path(self.spool_path.parent, self.camera.id))
        self._flush_pending()  # opens the spool
        if self.marks is not None:
            self._close_unclean_stop(self.marks)

    def _close_unclean_stop(self, marks: StatusMarks) -> None:
        """A previous run that died without recording ``offline`` (power cut, kill -9): record it now, at the last
        time that run saw frames."""
        mark = marks.read()
        if mark is not None:
            self._spool(self.pipeline.unclean_stop(mark.status, mark.alive_at))

    def step(self) -> bool:
        """One message if one comes within `POLL_MS`; True at the end of a replayed source."""
        return bool(self.pull.poll(POLL_MS)) and self._step()

    def stopped(self) -> int:
        """Take what is still queued (briefly), then close visits and record the camera offline."""
        deadline = time.monotonic() + DRAIN_ON_STOP_S
        while time.monotonic() < deadline and self.pull.poll(50):
            if self._step():
                return 0
        self._finish("edge stopped")
        return 0

    def _step(self) -> bool:
        """Receive and process one message; the loop boundary: nothing a message does stops the stage."""
        try:
            return self._handle(self._receive())
        except Exception:
            self.counters.errors_total += 1
            self.log.exception("failed to process a message; it is dropped")
            return False

    def beat(self, *, force: bool = False) -> None:
        """Retry a failing spool when due, and beat with the spool's size (a query: only when a beat is due)."""
        if self.spool_failing and time.monotonic() >= self._retry_at:
            self._flush_pending()
        if not (force or self.heartbeat.due):
            return
        self.counters.spool_events = len(self.spool) if self.spool is not None else 0
        self.counters.events_pending = len(self.pending)
        if self.snapshots is not None:
            self.counters.audit_frames_total = self.snapshots.written
            self.counters.audit_frames_failed_total = self.snapshots.failed
        self.counters.zone_pictures_total = self.pictures.written
        self.counters.zone_pictures_failed_total = self.pictures.failed
        self.heartbeat.maybe_send(self.counters, self.latencies(), force=force)

    def latencies(self) -> dict[str, float]:
        return {**self.latency.quantiles("frame_to_spool"), **self.pose_latency.quantiles("pose")}

    def _receive(self) -> Envelope | None:
        try:
            return decode(self.pull.recv_multipart(copy=False))
        except MessageError as exc:
            self.counters.bad_messages_total += 1
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
                message = DetectionsMessage.from_envelope(envelope, self.config.store_id)
                if self._taking_frames():
                    self._on_detections(message)
                    self._mark_alive(message.stamp.captured_at)
            elif envelope.kind == STATUS_KIND:
                status = StatusMessage.from_envelope(envelope, self.config.store_id)
                self._spool(self.pipeline.capture(status.status, status.reason, status.ts))
            elif envelope.kind == END_KIND:
                self._finish(None)
                return True
            else:
                raise MessageError(f"unexpected message kind {envelope.kind!r}")
        except MessageError as exc:
            self.counters.bad_messages_total += 1
            self.log.warning("dropped a bad message: %s", exc)
        return False

    def _on_detections(self, message: DetectionsMessage) -> None:
        image, detections = message.image, message.detections
        step = self.pipeline.step(detections, image)
        if self.ids is not None:  # reserved on disk before any event with a new id is spooled
            self.ids.ensure(self.pipeline.tracker.id_counter.issued)
        if self.snapshots is not None:
            self.snapshots.save(step.events, image, step.tracks)
        self._spool(step.events, origin_at=message.stamp.read_at)
        self.pictures.offer(image, detections.xyxy, message.stamp.captured_at)  # every box the detector kept
        self.counters.frames_total += 1
        self.counters.tracks_active = len(step.tracks)
        if self.pipeline.pose is not None:
            cost = self.pipeline.pose_cost
            self.counters.pose_people_total = (self.counters.pose_people_total or 0) + cost.people
            self.counters.pose_people = cost.people
            self.pose_latency.add(cost.seconds * 1000.0)
        self.latency.add((time.time() - message.stamp.read_at) * 1000.0)

    def _finish(self, reason: str | None) -> None:
        """Close open visits and record the camera offline: at the end of a replay, or on stop."""
        # reason None: the end of a replayed source, recorded as the offline runner records it
        self._spool(self.pipeline.finish(reason, None if reason is None else time.time()))
        if self.pending:
            self.counters.events_lost_total += len(self.pending)
            self.log.error("lost %d events: the spool could not store them before the stage stopped", len(self.pending))
            self.pending.clear()
        self.beat(force=True)
        self.log.info(
            "finished frames=%d events=%d pose_people=%d",
            self.counters.frames_total,
            self.counters.events_total,
            self.counters.pose_people_total or 0,
        )

    # -- the camera's status mark --------------------------------------------------------------------------
    def _mark_alive(self, captured_at: float) -> None:
        recorded = self.pipeline.status.recorded
        if self.marks is not None and recorded is not None:
            self.marks.write(recorded, captured_at, now=time.monotonic())

    # -- the spool -----------------------------------------------------------------------------------------
    def _taking_frames(self) -> bool:
        """False while the spool cannot store events: the frame is dropped (counted) instead of processed."""
        if self.spool_failing and time.monotonic() >= self._retry_at:
            self._flush_pending()
        if self.spool_failing:
            self.counters.frames_dropped_total += 1
        return not self.spool_failing

    def _spool(self, events: list[AnyEvent], origin_at: float | None = None) -> None:
        """Store events durably; ``origin_at`` (epoch s) is when their frame was read, for latency. A status change
        among them is then kept in the camera's mark."""
        if not events:
            return
        origin = time.time() if origin_at is None else origin_at
        self.pending.extend(SpooledEvent(str(e.event_id), e.camera_id, to_msgpack(e), origin) for e in events)
        if not self.spool_failing:
            self._flush_pending()
        if self.marks is not None:
            for event in events:
                if isinstance(event, CameraStatusEvent):
                    self.marks.write(event.status, event.ts, now=time.monotonic(), force=True)

    def _flush_pending(self) -> None:
        """Store the waiting events (opening the spool if need be); on failure, keep them and stop taking frames."""
        if len(self.pending) > MAX_PENDING_EVENTS:
            lost = len(self.pending) - MAX_PENDING_EVENTS
            del self.pending[:lost]
            self.counters.events_lost_total += lost
            self.log.error("lost the %d oldest events waiting for the spool", lost)
        try:
            if self.spool is None:
                self.spool = Spool(
                    self.spool_path,
                    max_events=self.config.spool.max_events,
                    max_bytes=self.config.spool.max_bytes,
                    audit=self.spec.spool_audit,
                )
            if self.pending:
                self.spool.put(self.pending)
        except SpoolWriteError as exc:
            self._spool_failed(exc)
            return
        if self.pending:
            self.counters.events_total += len(self.pending)
            self.pending.clear()
            with contextlib.suppress(zmq.Again):  # a nudge is already waiting
                self.wake.send_multipart(encode(wake_envelope(self.config.store_id)), flags=zmq.NOBLOCK)
        if self.spool_failing:
            self.spool_failing, self.counters.disk_full = False, 0
            self.log.warning("the spool stores events again; taking frames")
            self._spool(self.pipeline.disk(False, time.time(), DISK_FREE))

    def _spool_failed(self, exc: SpoolWriteError) -> None:
        self._retry_at = time.monotonic() + RETRY_SPOOL_S
        if self.spool_failing:
            return
        self.spool_failing, self.counters.disk_full = True, 1
        self.log.error("%s: dropping frames until it can; %d events wait in memory", exc, len(self.pending))
        reason = DISK_FULL if exc.disk_full else f"events cannot be stored ({exc}); frames are dropped"
        self._spool(self.pipeline.disk(True, time.time(), reason))  # closes open visits: no frames for a while


main = EventStage.main
