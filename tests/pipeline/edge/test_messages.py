"""Edge stage messages survive the wire unchanged, and anything malformed is a `MessageError`."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from shelfsight.pipeline.edge.messages import DetectionsMessage, FrameMessage, FrameStamp, StatusMessage
from shelfsight.transport.envelope import Envelope, MessageError, decode, encode
from shelfsight.vision.detections import FrameDetections

STAMP = FrameStamp(seq=3, index=6, captured_at=1767603600.6, read_at=1767603600.61)


def _wire(envelope: Envelope) -> Envelope:
    return decode([bytes(frame) for frame in encode(envelope)])


def test_frame_round_trip_keeps_pixels_and_stamp() -> None:
    image = np.random.default_rng(1).integers(0, 255, (48, 64, 3), dtype=np.uint8)
    back = FrameMessage.from_envelope(_wire(FrameMessage("s", "cam", STAMP, image).to_envelope()), "s")
    assert back.stamp == STAMP and back.camera_id == "cam"
    np.testing.assert_array_equal(back.image, image)


def _found(n: int, **columns: object) -> FrameDetections:
    xyxy = np.arange(n * 4, dtype=np.float32).reshape(n, 4)
    found = FrameDetections(xyxy, np.full(n, 0.5, np.float32), np.zeros(n, np.int64), camera_id="cam", frame_seq=6)
    return replace(found, captured_at=STAMP.captured_at, frame_size=(32, 32), **columns)  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [0, 3])
def test_detections_round_trip_including_none_found(n: int) -> None:
    image = np.zeros((32, 32, 3), np.uint8)
    message = DetectionsMessage("s", "cam", STAMP, image, _found(n), 4.5)
    back = DetectionsMessage.from_envelope(_wire(message.to_envelope()), "s")
    np.testing.assert_array_equal(back.detections.xyxy, message.detections.xyxy)
    assert back.detections.confidence.shape == (n,) and back.detections.class_id.dtype == np.int64
    assert back.detector_ms == 4.5 and back.stamp == STAMP and back.detections.frame_size == (32, 32)


def test_status_round_trip() -> None:
    status = StatusMessage("s", "cam", "offline", "stream lost: timeout", 1767603601.0)
    assert StatusMessage.from_envelope(_wire(status.to_envelope()), "s") == status


def _frame_envelope(**changes: object) -> Envelope:
    image = np.zeros((16, 16, 3), np.uint8)
    envelope = FrameMessage("s", "cam", STAMP, image).to_envelope()
    return Envelope(**{**envelope.__dict__, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "envelope",
    [
        _frame_envelope(kind="detections"),
        _frame_envelope(arrays=()),
        _frame_envelope(arrays=(np.zeros((16, 16), np.uint8),)),
        _frame_envelope(arrays=(np.zeros((16, 16, 3), np.float32),)),
        _frame_envelope(body={"seq": "x", "index": 1, "captured_at": 1.0, "read_at": 1.0}),
        _frame_envelope(body={}),
    ],
    ids=["wrong-kind", "no-image", "grey-image", "float-image", "bad-seq", "no-stamp"],
)
def test_malformed_frames_are_message_errors(envelope: Envelope) -> None:
    with pytest.raises(MessageError):
        FrameMessage.from_envelope(envelope, "s")


def test_malformed_status_and_detections_are_message_errors() -> None:
    status = StatusMessage("s", "cam", "online", "ok", 1.0).to_envelope()
    with pytest.raises(MessageError):
        StatusMessage.from_envelope(Envelope(**{**status.__dict__, "body": {"status": "exploded", "reason": "x"}}), "s")
    with pytest.raises(MessageError):
        DetectionsMessage.from_envelope(_frame_envelope(kind="detections"), "s")


@pytest.mark.parametrize("n", [0, 2])
def test_a_pose_detectors_keypoints_travel_with_its_boxes(n: int) -> None:
    image = np.zeros((32, 32, 3), np.uint8)
    keypoints = np.random.default_rng(2).uniform(0, 32, (n, 17, 3)).astype(np.float32)
    message = DetectionsMessage("s", "cam", STAMP, image, _found(n, keypoints=keypoints), 4.5)
    back = DetectionsMessage.from_envelope(_wire(message.to_envelope()), "s")
    assert back.detections.keypoints is not None
    np.testing.assert_array_equal(back.detections.keypoints, keypoints)
    plain = DetectionsMessage("s", "cam", STAMP, image, _found(n))
    assert DetectionsMessage.from_envelope(_wire(plain.to_envelope()), "s").detections.keypoints is None


@pytest.mark.parametrize(
    "keypoints",
    [
        np.zeros((3, 17, 3), np.float32),
        np.zeros((2, 17, 2), np.float32),
        np.zeros((2, 17, 3), np.float64),
        np.zeros((2, 51), np.float32),
        np.zeros((2, 5, 3), np.float32),
        np.full((2, 17, 3), np.nan, np.float32),
    ],
    ids=["rows-disagree", "no-score", "float64", "flat", "unknown-layout", "nan"],
)
def test_malformed_keypoints_are_message_errors(keypoints: np.ndarray) -> None:
    image = np.zeros((32, 32, 3), np.uint8)
    envelope = DetectionsMessage("s", "cam", STAMP, image, _found(2)).to_envelope()
    body = {**envelope.body, "detections": {**envelope.body["detections"], "columns": ["keypoints"]}}
    forged = Envelope(**{**envelope.__dict__, "body": body, "arrays": (*envelope.arrays, keypoints)})
    with pytest.raises(MessageError, match="keypoints"):
        DetectionsMessage.from_envelope(_wire(forged), "s")


def test_detections_of_another_camera_or_frame_size_are_message_errors() -> None:
    image = np.zeros((32, 32, 3), np.uint8)
    other_camera = DetectionsMessage("s", "cam", STAMP, image, replace(_found(1), camera_id="other-cam"))
    with pytest.raises(MessageError, match="other-cam"):
        DetectionsMessage.from_envelope(_wire(other_camera.to_envelope()), "s")
    other_size = DetectionsMessage("s", "cam", STAMP, image, replace(_found(1), frame_size=(16, 32)))
    with pytest.raises(MessageError, match="frame"):
        DetectionsMessage.from_envelope(_wire(other_size.to_envelope()), "s")
