"""Messages between the edge stages: frames, detections, camera status and end of stream, in the envelope.

capture -> detector: ``FrameMessage`` (the image travels as a raw buffer, never pickled or re-encoded),
``StatusMessage`` and ``EndMessage``. The detector forwards status and end messages unchanged, in order with
the frames, to the camera's track+events stage, and turns each frame into a ``DetectionsMessage`` that
carries the same image buffer on (the event stage reads shelf pixels) with the frame's `FrameDetections`, every
column (a pose detector's keypoints included) bit for bit (`shelfsight.transport.detections`).

Every ``from_envelope`` raises ``MessageError`` on anything malformed (and on nothing else: see
`shelfsight.transport.envelope.decoder`), so a stage counts and drops it. Times must be finite and inside the
event contract's range, images at most `MAX_IMAGE_SIDE` pixels a side, boxes and scores finite: a forged
message can neither crash a stage nor put a NaN into a tracker's state.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from shelfsight.transport.detections import detections_from_wire, detections_to_wire
from shelfsight.transport.envelope import (
    Envelope,
    MessageError,
    decoder,
    expect_kind,
    finite_number,
    shown,
    whole_number,
)
from shelfsight.transport.topics import Stream, topic
from shelfsight.vision.detections import FrameDetections
from shelfsight.vision.events.contract import MAX_TIMESTAMP_S, MIN_TIMESTAMP_S

FRAME_KIND = "frame"
DETECTIONS_KIND = "detections"
STATUS_KIND = "status"
END_KIND = "end"
WAKE_KIND = "wake"
CAMERA_STATUSES = ("online", "offline", "degraded")
MAX_IMAGE_SIDE = 8192
"""Pixels; an 8K camera fits, a forged 8 x 10^8 "image" does not."""
MAX_REASON_CHARS = 200
"""A status reason's length: the event contract's limit."""

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
    @decoder
    def from_body(cls, body: dict[str, Any]) -> FrameStamp:
        seq, index = whole_number(body.get("seq"), "frame seq"), whole_number(body.get("index"), "frame index")
        return cls(
            seq,
            index,
            epoch_seconds(body.get("captured_at"), "captured_at"),
            epoch_seconds(body.get("read_at"), "read_at"),
        )


def epoch_seconds(value: Any, what: str) -> float:
    """``value`` as a UTC epoch time the event contract accepts (2000 to 2100); ``MessageError`` otherwise."""
    seconds = finite_number(value, what)
    if not MIN_TIMESTAMP_S <= seconds < MAX_TIMESTAMP_S:
        raise MessageError(f"{what} must be UTC epoch seconds between 2000 and 2100, got {seconds!r}")
    return seconds


def _image(arrays: tuple[npt.NDArray[Any], ...], at: int) -> Image:
    if len(arrays) <= at:
        raise MessageError("message carries no image buffer")
    image = arrays[at]
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3 or min(image.shape[:2]) < 8:
        raise MessageError(f"image must be (H, W, 3) uint8 with H, W >= 8, got {image.dtype} {image.shape}")
    if max(image.shape[:2]) > MAX_IMAGE_SIDE:
        raise MessageError(f"image sides must be at most {MAX_IMAGE_SIDE} pixels, got {image.shape[:2]}")
    return image


def _envelope(
    store_id: str,
    camera_id: str,
    stream: Stream,
    kind: str,
    seq: int,
    body: dict[str, Any],
    arrays: tuple[npt.NDArray[Any], ...] = (),
) -> Envelope:
    return Envelope(topic(store_id, camera_id, stream), kind, camera_id, seq, time.time(), body, arrays)


@dataclass(frozen=True)
class FrameMessage:
    """One camera frame on its way to the detector."""

    store_id: str
    camera_id: str
    stamp: FrameStamp
    image: Image

    def to_envelope(self) -> Envelope:
        return _envelope(
            self.store_id, self.camera_id, Stream.FRAMES, FRAME_KIND, self.stamp.seq, self.stamp.body(), (self.image,)
        )

    @classmethod
    @decoder
    def from_envelope(cls, envelope: Envelope, store_id: str) -> FrameMessage:
        expect_kind(envelope, FRAME_KIND)
        return cls(store_id, envelope.camera_id, FrameStamp.from_body(envelope.body), _image(envelope.arrays, 0))


@dataclass(frozen=True)
class DetectionsMessage:
    """A frame and the detector's findings for it, on their way to the camera's event stage.

    Attributes:
        image: The frame (the event stage reads shelf pixels and the tracker's ReID crops from it).
        detections: Boxes, scores, classes and, from a pose detector, keypoints (frame pixels), stamped with the
            camera, the frame's index and capture time; they travel losslessly (`shelfsight.transport.detections`).
        detector_ms: Milliseconds the detector call took, per frame (its batch's time / batch size).
    """

    store_id: str
    camera_id: str
    stamp: FrameStamp
    image: Image
    detections: FrameDetections
    detector_ms: float = 0.0

    def to_envelope(self) -> Envelope:
        columns, arrays = detections_to_wire(self.detections)
        body = {**self.stamp.body(), "detector_ms": self.detector_ms, "detections": columns}
        seq = self.stamp.seq
        return _envelope(
            self.store_id, self.camera_id, Stream.DETECTIONS, DETECTIONS_KIND, seq, body, (self.image, *arrays)
        )

    @classmethod
    @decoder
    def from_envelope(cls, envelope: Envelope, store_id: str) -> DetectionsMessage:
        expect_kind(envelope, DETECTIONS_KIND)
        image = _image(envelope.arrays, 0)
        detections = detections_from_wire(envelope.body.get("detections"), envelope.arrays[1:])
        if detections.camera_id != envelope.camera_id:
            raise MessageError(
                f"detections of camera {shown(detections.camera_id)} in a message of {envelope.camera_id!r}"
            )
        if detections.frame_size != image.shape[:2]:
            raise MessageError(f"detections of a {detections.frame_size} frame came with a {image.shape[:2]} image")
        detector_ms = finite_number(envelope.body.get("detector_ms", 0.0), "detector_ms")
        stamp = FrameStamp.from_body(envelope.body)
        return cls(store_id, envelope.camera_id, stamp, image, detections, detector_ms)


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
    @decoder
    def from_envelope(cls, envelope: Envelope, store_id: str) -> StatusMessage:
        body = envelope.body
        status, reason = body.get("status"), body.get("reason")
        if not isinstance(status, str) or status not in CAMERA_STATUSES or not isinstance(reason, str):
            raise MessageError(f"status must be one of {CAMERA_STATUSES} with a reason, got {shown(body)}")
        if len(reason) > MAX_REASON_CHARS:
            raise MessageError(f"a status reason has at most {MAX_REASON_CHARS} characters, got {len(reason)}")
        return cls(store_id, envelope.camera_id, status, reason, epoch_seconds(body.get("ts"), "status ts"))


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
