"""The capture stage: one process per camera, decoding its source and pushing frames to the detector.

Backpressure lives here. Live, the frame socket's queue is one frame deep and sends never wait: when the
detector is behind, the frame is dropped and counted (a camera does not wait either), so latency stays
bounded and events are never what gets lost. Replay waits instead, so every frame is processed.

Watchdog: a source that fails to open, stalls past the read timeout, or ends (live) is reopened with
exponential backoff, and the camera's status goes offline, then online when frames flow again, or
degraded while more than a fifth of its frames are being dropped. Live, the first thing a capture says is
``offline`` ("starting"), so a camera that never opens shows as offline, not as nothing at all.
"""

from __future__ import annotations

import logging
import time
from collections import deque

import zmq

from shelfsight.pipeline.edge.counters import CaptureCounters
from shelfsight.pipeline.edge.messages import EndMessage, FrameMessage, FrameStamp, Image, StatusMessage
from shelfsight.pipeline.edge.runtime import StageKind
from shelfsight.pipeline.edge.stage import Stage
from shelfsight.pipeline.logs import camera_logger
from shelfsight.pipeline.sources import open_source, resample
from shelfsight.transport.envelope import Envelope, encode
from shelfsight.vision.video import SourceError

logger = logging.getLogger(__name__)

BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 30.0
DEGRADED_WINDOW = 50
"""Frames over which the drop share is judged (10 s at 5 fps)."""
DEGRADED_SHARE = 0.2
STATUS_SEND_TIMEOUT_S = 10.0
LIVE_LINGER_MS = 2000
REPLAY_LINGER_MS = 120_000
"""How long a replayed source's last frames and end-of-stream may wait in the socket after capture is done: its
queue holds a dozen frames, and a slow detector (a pose detector at 640 pixels takes 0.13-0.5 s a frame on a
busy CPU) takes longer than the live 2 s to drain them; losing them would leave the event stage waiting forever."""

STARTING = "starting: no frames yet"


class Backoff:
    """Delays between reopen attempts: 0.5 s doubling to 30 s, back to 0.5 s once a stream delivers."""

    def __init__(self, first_s: float = BACKOFF_FIRST_S, most_s: float = BACKOFF_MAX_S) -> None:
        self.first_s, self.most_s, self.next_s = first_s, most_s, first_s

    def failed(self) -> float:
        delay, self.next_s = self.next_s, min(self.most_s, self.next_s * 2)
        return delay

    def reset(self) -> None:
        self.next_s = self.first_s


class CaptureStage(Stage):
    """The state of one camera's capture process (see the module docstring)."""

    kind = StageKind.CAPTURE
    counters: CaptureCounters

    def setup(self) -> None:
        spec, context = self.spec, self.context
        self.camera = spec.camera(self.config)
        self.log = camera_logger(logger, self.camera.id)
        self.socket = context.socket(zmq.PUSH)
        # asked to stop: no long wait for what is still queued
        self.on_teardown(lambda: self.socket.close(linger=LIVE_LINGER_MS if self.stopper.stopped else None))
        self.socket.setsockopt(zmq.SNDHWM, 4 if spec.replay else 1)
        self.socket.setsockopt(zmq.LINGER, REPLAY_LINGER_MS if spec.replay else LIVE_LINGER_MS)
        self.socket.connect(spec.layout.frames)
        self.counters = CaptureCounters()
        self.status = "offline"
        self._recent: deque[bool] = deque(maxlen=DEGRADED_WINDOW)
        self._fps_marks: deque[float] = deque(maxlen=50)
        self._backoff, self._opened_once = Backoff(), False
        if not self.spec.replay:
            self._set_status("offline", STARTING, time.time(), force=True)

    def step(self) -> bool:
        """Open the source and send its frames until it ends or breaks (beating as it goes), then wait to reopen
        it; True at the end of a replayed file."""
        try:
            source = open_source(self.camera, config_dir=self.spec.config_path.parent, replay=self.spec.replay)
        except SourceError as exc:
            self.counters.open_failures_total += 1
            self._set_status("offline", f"cannot open: {exc}", time.time())
            self._pause(self._backoff.failed())
            return False
        if self._opened_once:
            self.counters.reconnects_total += 1
        self._opened_once = True
        reason = "stream opened"
        try:
            for item in resample(source.frames, self.camera.detect_fps):
                if self.stopper.stopped:
                    break
                if self.status != "online" and reason:
                    self._set_status("online", reason, item.frame.captured_at)
                    reason = ""
                    self._backoff.reset()
                self._send_frame(item.index, item.frame.captured_at, item.frame.image)
            else:
                if source.finite:
                    self._send_blocking(EndMessage(self.config.store_id, self.camera.id).to_envelope())
                    self.log.info("end of source frames_sent=%d", self.counters.frames_sent_total)
                    return True
                self._set_status("offline", "stream ended", time.time())
        except SourceError as exc:
            self.log.warning("stream lost: %s", exc)
            self._set_status("offline", f"stream lost: {exc}", time.time())
        if not self.stopper.stopped:
            self._pause(self._backoff.failed())
        return False

    def stopped(self) -> int:
        if self.status != "offline":
            self._set_status("offline", "edge stopped", time.time())
        self.beat(force=True)
        return 0

    def _send_frame(self, index: int, captured_at: float, image: Image) -> None:
        self.counters.frames_read_total += 1
        self._fps_marks.append(time.monotonic())
        stamp = FrameStamp(self.counters.frames_read_total - 1, index, captured_at, time.time())
        envelope = FrameMessage(self.config.store_id, self.camera.id, stamp, image).to_envelope()
        if self.spec.replay:
            sent = self._send_blocking(envelope)
        else:
            try:
                self.socket.send_multipart(encode(envelope), flags=zmq.NOBLOCK, copy=False)
                sent = True
            except zmq.Again:
                sent = False
        if sent:
            self.counters.frames_sent_total += 1
        else:
            self.counters.frames_dropped_total += 1
        self._recent.append(sent)
        self._judge_degraded(captured_at)
        if len(self._fps_marks) > 1:
            span = self._fps_marks[-1] - self._fps_marks[0]
            self.counters.fps_in = round((len(self._fps_marks) - 1) / span, 2) if span > 0 else 0.0
        self.beat()

    def _judge_degraded(self, ts: float) -> None:
        if len(self._recent) < DEGRADED_WINDOW // 2:
            return
        share = 1.0 - sum(self._recent) / len(self._recent)
        if self.status == "online" and share > DEGRADED_SHARE:
            self._set_status("degraded", f"dropping {share:.0%} of frames: the detector is behind", ts)
        elif self.status == "degraded" and share < DEGRADED_SHARE / 2:
            self._set_status("online", "keeping up again", ts)

    def _set_status(self, status: str, reason: str, ts: float, *, force: bool = False) -> None:
        if status == self.status and not force:
            return
        self.status = status
        self.counters.online = 1 if status == "online" else 0
        self.log.info("status=%s reason=%s", status, reason)
        self._send_blocking(StatusMessage(self.config.store_id, self.camera.id, status, reason, ts).to_envelope())
        if status != "degraded":
            self._recent.clear()

    def _send_blocking(self, envelope: Envelope) -> bool:
        """Send, waiting while the queue is full; gives up only when stopping (or after a long wait, live)."""
        deadline = float("inf") if self.spec.replay else time.monotonic() + STATUS_SEND_TIMEOUT_S
        frames = encode(envelope)
        while True:
            if self.socket.poll(100, zmq.POLLOUT):
                self.socket.send_multipart(frames, copy=False)
                return True
            if self.stopper.stopped:  # still try briefly: the last status matters
                deadline = min(deadline, time.monotonic() + 2.0)
            if time.monotonic() > deadline:
                self.log.warning("detector not taking messages; dropped a %s message", envelope.kind)
                return False
            self.beat()

    def _pause(self, seconds: float) -> None:
        self.log.info("reopening in %.1f s", seconds)
        self.stopper.event.wait(seconds)
        self.beat()


main = CaptureStage.main
