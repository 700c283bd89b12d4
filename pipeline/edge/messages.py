"""Messages between the edge stages: frames, detections, camera status and end of stream, in the envelope.

capture -> detector: ``FrameMessage`` (the image travels as a raw buffer, never pickled or re-encoded),
``StatusMessage`` and ``EndMessage``. The detector forwards status and end messages unchanged, in order with
the frames, to the camera's track+events stage, and turns each frame into a ``DetectionsMessage`` that
carries the same image buffer on (the event stage reads shelf pixels), and the keypoints of a pose detector.

Every ``from_envelope`` raises ``MessageError`` on anything malformed, so a stage counts and drops it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from pipeline.transport.envelope import Envelope, MessageError
from pipeline.transport.topics import Stream, topic
from vision.pose.keypoints import LAYOUTS

FRAME_KIND = "frame"
DETECTIONS_KIND = "detections"
STATUS_KIND = "status"
END_KIND = "end"
WAKE_KIND = "wake"
CAMERA_STATUSES = ("online", "offline", "degraded")

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class FrameStamp:
    """Where a frame sits in time.

    Attributes:
        seq: Frame number after resampling to the detect fps, per camera stream (restarts at 0 on reopen).
        index: Frame number at the source's own rate (MOT files use it).
        captured_at: UTC epoch seconds the frame shows (wall clock for live sources).
        read_at: UTC epoch seconds capture read it (wall clock always): frame-to-event latency starts here.
    """

    seq: int
    index: int
    captured_at: float
    read_at: float

    def body(self) -> dict[str, Any]:
        return {"seq": self.seq, "index": self.index, "captured_at": self.captured_at, "read_at": self.read_at}

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> FrameStamp:
        try:
            return cls(int(body["seq"]), int(body["index"]), float(body["captured_at"]), float(body["read_at"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise MessageError(f"frame stamp misses or mistypes a field: {exc}") from exc


def _image(arrays: tuple[npt.NDArray[Any], ...], at: int) -> Image:
    if len(arrays) <= at:
        raise MessageError("message carries no image buffer")
    image = arrays[at]
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3 or min(image.shape[:2]) < 8:
        raise MessageError(f"image must be (H, W, 3) uint8 with H, W >= 8, got {image.dtype} {image.shape}")
    return image


def _check_keypoints(keypoints: npt.NDArray[Any], n: int) -> None:
    """(n, K, 3) float32 with K a layout reach detection knows (`vision.pose.keypoints`), else `MessageError`."""
    if keypoints.dtype != np.float32 or keypoints.ndim != 3 or keypoints.shape[0] != n or keypoints.shape[2] != 3:
        raise MessageError(f"keypoints must be ({n}, K, 3) float32, got {keypoints.dtype} {keypoints.shape}")
    if keypoints.shape[1] not in LAYOUTS:
        raise MessageError(f"keypoints per person must be one of {sorted(LAYOUTS)}, got {keypoints.shape[1]}")


def _envelope(store_id: str, camera_id: str, stream: Stream, kind: str, seq: int, body: dict[str, Any],
              arrays: tuple[npt.NDArray[Any], ...] = ()) -> Envelope:  # fmt: skip
    return Envelope(topic(store_id, camera_id, stream), kind, camera_id, seq, time.time(), body, arrays)


@dataclass(frozen=True)
class FrameMessage:
    """One camera frame on its way to the detector."""

    store_id: str
    camera_id: str
    stamp: FrameStamp
    image: Image

    def to_envelope(self) -> Envelope:
        return _envelope(self.store_id, self.camera_id, Stream.FRAMES, FRAME_KIND, self.stamp.seq, self.stamp.body(),
                         (self.image,))  # fmt: skip

    @classmethod
    def from_envelope(cls, envelope: Envelope, store_id: str) -> FrameMessage:
        if envelope.kind != FRAME_KIND:
            raise MessageError(f"expected kind {FRAME_KIND!r}, got {envelope.kind!r}")
        return cls(store_id, envelope.camera_id, FrameStamp.from_body(envelope.body), _image(envelope.arrays, 0))


@dataclass(frozen=True)
class DetectionsMessage:
    """A frame and the detector's boxes for it (frame pixels), on their way to the camera's event stage.

    Attributes:
        xyxy: (n, 4) float32 boxes, pixels.
        confidence: (n,) float32 scores.
        class_id: (n,) int64 classes.
        detector_ms: Milliseconds the detector call took, per frame (its batch's time / batch size).
        keypoints: (n, K, 3) float32 x, y (frame pixels), score of a pose detector (Ultralytics pose layout), or
            None for a plain detector. Travels as a fifth buffer, so a message without it is what it always was.
    """

    store_id: str
    camera_id: str
    stamp: FrameStamp
    image: Image
    xyxy: npt.NDArray[np.float32]
    confidence: npt.NDArray[np.float32]
    class_id: npt.NDArray[np.int64]
    detector_ms: float = 0.0
    keypoints: npt.NDArray[np.float32] | None = None

    def to_envelope(self) -> Envelope:
        body = {**self.stamp.body(), "detector_ms": self.detector_ms}
        arrays: tuple[npt.NDArray[Any], ...] = (
            self.image,
            self.xyxy.astype(np.float32, copy=False),
            self.confidence.astype(np.float32, copy=False),
            self.class_id.astype(np.int64, copy=False),
        )
        if self.keypoints is not None:
            arrays += (np.ascontiguousarray(self.keypoints, np.float32),)
        seq = self.stamp.seq
        return _envelope(self.store_id, self.camera_id, Stream.DETECTIONS, DETECTIONS_KIND, seq, body, arrays)

    @classmethod
    def from_envelope(cls, envelope: Envelope, store_id: str) -> DetectionsMessage:
        if envelope.kind != DETECTIONS_KIND:
            raise MessageError(f"expected kind {DETECTIONS_KIND!r}, got {envelope.kind!r}")
        if len(envelope.arrays) not in (4, 5):
            raise MessageError(
                f"detections need 4 buffers (image, boxes, scores, classes) and optionally keypoints, not "
                f"{len(envelope.arrays)}"
            )
        image, xyxy, confidence, class_id = _image(envelope.arrays, 0), *envelope.arrays[1:4]
        n = len(xyxy)
        if xyxy.dtype != np.float32 or xyxy.shape != (n, 4) or confidence.shape != (n,) or class_id.shape != (n,):
            raise MessageError(f"detection columns disagree: {xyxy.shape}, {confidence.shape}, {class_id.shape}")
        keypoints = envelope.arrays[4] if len(envelope.arrays) == 5 else None
        if keypoints is not None:
            _check_keypoints(keypoints, n)
        try:
            detector_ms = float(envelope.body.get("detector_ms", 0.0))
        except (TypeError, ValueError) as exc:
            raise MessageError(f"detector_ms is not a number: {exc}") from exc
        stamp = FrameStamp.from_body(envelope.body)
        scores, classes = confidence.astype(np.float32, copy=False), class_id.astype(np.int64, copy=False)
        return cls(store_id, envelope.camera_id, stamp, image, xyxy, scores, classes, detector_ms, keypoints)


@dataclass(frozen=True)
class StatusMessage:
    """A change of a camera's stream: online (opened), offline (lost), degraded (late or dropping frames).

    Attributes:
        ts: When it changed, UTC epoch seconds.
    """

    store_id: str
    camera_id: str
    status: str
    reason: str
    ts: float

    def to_envelope(self) -> Envelope:
        body = {"status": self.status, "reason": self.reason, "ts": self.ts}
        return _envelope(self.store_id, self.camera_id, Stream.FRAMES, STATUS_KIND, 0, body)

    @classmethod
    def from_envelope(cls, envelope: Envelope, store_id: str) -> StatusMessage:
        body = envelope.body
        status, reason = body.get("status"), body.get("reason")
        if status not in CAMERA_STATUSES or not isinstance(reason, str):
            raise MessageError(f"status must be one of {CAMERA_STATUSES} with a reason, got {str(body)[:80]}")
        try:
            return cls(store_id, envelope.camera_id, str(status), reason, float(body["ts"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise MessageError(f"status misses or mistypes ts: {exc}") from exc


@dataclass(frozen=True)
class EndMessage:
    """A replayed source has no more frames: the event stage closes open visits and says the camera is offline."""

    store_id: str
    camera_id: str

    def to_envelope(self) -> Envelope:
        return _envelope(self.store_id, self.camera_id, Stream.FRAMES, END_KIND, 0, {})


def wake_envelope(store_id: str) -> Envelope:
    """A nudge to the publisher: events were just spooled (saves it waiting for its next poll)."""
    return _envelope(store_id, "*", Stream.EVENTS, WAKE_KIND, 0, {})
