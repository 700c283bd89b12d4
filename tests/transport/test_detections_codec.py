"""The `FrameDetections` wire codec is lossless: every column, dtype and frame field comes back bit for bit
through a real envelope's bytes, and a column that could not is refused when sent, not cast."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from shelfsight.transport.detections import detections_from_wire, detections_to_wire
from shelfsight.transport.envelope import Envelope, MessageError, decode, encode
from shelfsight.vision.detections import FrameDetections

FLOATS = st.floats(width=32, allow_nan=False, allow_infinity=False)


def _through_the_wire(found: FrameDetections) -> FrameDetections:
    body, arrays = detections_to_wire(found)
    envelope = Envelope(b"t", "detections", "cam", 1, 1.7e9, {"detections": body}, arrays)
    back = decode([bytes(frame) for frame in encode(envelope)])
    return detections_from_wire(back.body["detections"], back.arrays)


def _assert_same(back: FrameDetections, found: FrameDetections) -> None:
    for name in ("xyxy", "confidence", "class_id", "keypoints", "tracker_id"):
        sent, got = getattr(found, name), getattr(back, name)
        if sent is None:
            assert got is None, name
            continue
        assert got.dtype == sent.dtype and got.shape == sent.shape, name
        assert got.tobytes() == sent.tobytes(), name  # bit for bit: -0.0 and the last float32 digit included
    assert back.data.keys() == found.data.keys()
    for key, column in found.data.items():
        assert back.data[key].dtype == column.dtype and back.data[key].tobytes() == column.tobytes(), key
    frame_fields = ("camera_id", "frame_seq", "captured_at", "frame_size")
    assert [getattr(back, f) for f in frame_fields] == [getattr(found, f) for f in frame_fields]


@st.composite
def frame_detections(draw: st.DrawFn) -> FrameDetections:
    n = draw(st.integers(0, 6))
    keypoints = draw(st.none() | hnp.arrays(np.float32, (n, draw(st.sampled_from([17, 33])), 3), elements=FLOATS))
    tracker_id = draw(st.none() | hnp.arrays(np.int64, (n,), elements=st.integers(1, 2**62)))
    data = draw(
        st.dictionaries(
            st.sampled_from(["reid_score", "anchor_y", "visible"]),
            hnp.arrays(st.sampled_from([np.float64, np.int32, np.bool_]), (n,)),
            max_size=3,
        )
    )
    return FrameDetections(
        xyxy=draw(hnp.arrays(np.float32, (n, 4), elements=FLOATS)),
        confidence=draw(hnp.arrays(np.float32, (n,), elements=st.floats(0, 1, width=32))),
        class_id=draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, 79))),
        keypoints=keypoints,
        tracker_id=tracker_id,
        camera_id=draw(st.text(max_size=20)),
        frame_seq=draw(st.integers(0, 2**62)),
        captured_at=draw(st.floats(946_684_800.0, 4_102_444_800.0)),
        frame_size=(draw(st.integers(8, 8192)), draw(st.integers(8, 8192))),
        data=data,
    )


@given(frame_detections())
def test_every_column_and_frame_field_survives_the_wire(found: FrameDetections) -> None:
    _assert_same(_through_the_wire(found), found)


def test_a_pose_detectors_keypoints_and_track_ids_travel() -> None:
    found = FrameDetections(
        xyxy=np.array([[1.5, 2.25, 30.0, 60.125]], np.float32),
        confidence=np.array([0.875], np.float32),
        class_id=np.array([0], np.int64),
        keypoints=np.arange(17 * 3, dtype=np.float32).reshape(1, 17, 3) / 7,
        tracker_id=np.array([41], np.int64),
        camera_id="endcap-cam",
        frame_seq=12,
        captured_at=1767603601.2,
        frame_size=(480, 640),
    )
    back = _through_the_wire(found)
    _assert_same(back, found)
    assert back.keypoints is not None and back.keypoints.shape == (1, 17, 3)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("xyxy", np.zeros((1, 4), np.float64)),
        ("confidence", np.zeros(1, np.float64)),
        ("class_id", np.zeros(1, np.int32)),
        ("keypoints", np.zeros((1, 17, 3), np.float64)),
        ("tracker_id", np.zeros(1, np.int32)),
    ],
)
def test_a_column_of_another_dtype_is_refused_not_cast(column: str, value: np.ndarray) -> None:
    columns = {"xyxy": np.zeros((1, 4), np.float32), "confidence": np.zeros(1, np.float32)}
    found = FrameDetections(**{**columns, "class_id": np.zeros(1, np.int64), column: value})
    with pytest.raises(ValueError, match=f"{column} must be"):
        detections_to_wire(found)


def _good() -> tuple[dict[str, object], tuple[np.ndarray, ...]]:
    found = FrameDetections(np.zeros((2, 4), np.float32), np.zeros(2, np.float32), np.zeros(2, np.int64))
    return detections_to_wire(found)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"columns": ["keypoints"]}, "buffers"),
        ({"columns": ["tracker_id", "tracker_id"]}, "buffers"),
        ({"columns": None}, "columns"),
        ({"frame_size": [480]}, "frame_size"),
        ({"frame_seq": -1}, "frame_seq"),
        ({"captured_at": float("nan")}, "captured_at"),
        ({"camera_id": 7}, "camera_id"),
    ],
)
def test_a_malformed_map_is_a_message_error(change: dict[str, object], error: str) -> None:
    body, arrays = _good()
    with pytest.raises(MessageError, match=error):
        detections_from_wire({**body, **change}, arrays)


@pytest.mark.parametrize(
    ("at", "value", "error"),
    [
        (0, np.zeros((2, 4), np.float64), "xyxy"),
        (0, np.zeros((3, 4), np.float32), "confidence"),
        (1, np.full(2, np.inf, np.float32), "finite"),
        (2, np.zeros(2, np.uint8), "class_id"),
    ],
)
def test_a_malformed_column_is_a_message_error(at: int, value: np.ndarray, error: str) -> None:
    body, arrays = _good()
    forged = tuple(value if i == at else array for i, array in enumerate(arrays))
    with pytest.raises(MessageError, match=error):
        detections_from_wire(body, forged)


def test_unknown_columns_and_short_data_columns_are_message_errors() -> None:
    body, arrays = _good()
    with pytest.raises(MessageError, match="unknown"):
        detections_from_wire({**body, "columns": ["faces"]}, (*arrays, np.zeros(2, np.float32)))
    with pytest.raises(MessageError, match="rows"):
        detections_from_wire({**body, "columns": ["data.x"]}, (*arrays, np.zeros(3, np.float32)))
