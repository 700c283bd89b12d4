"""The lossless wire codec of `shelfsight.vision.detections.FrameDetections`: every column and frame field, bit for bit.

A frame's detections cross a socket as a small msgpack map (camera, frame number, capture time, frame size and
which optional columns follow) plus one raw buffer per column, so what the detector stage sends is exactly what
the track+events stage steps with, and the edge and ``run-offline`` feed their `shelfsight.pipeline.camera_pipeline` the
same input. Nothing is cast or dropped on the way: a column of the wrong dtype is refused when it is sent
(``ValueError``), and anything malformed that is received is a ``MessageError`` (finite boxes, scores and
keypoints, columns of one length, a keypoint layout `shelfsight.vision.pose.keypoints` knows).

Buffers, in order: ``xyxy`` (n, 4) float32, ``confidence`` (n,) float32, ``class_id`` (n,) int64, then the
optional columns the map names: ``keypoints`` (n, K, 3) float32, ``tracker_id`` (n,) int64, and ``data.<key>``
for each extra per-row column (any plain bool, integer or float dtype).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from shelfsight.transport.envelope import MessageError, finite_number, shown, whole_number
from shelfsight.vision.detections import FrameDetections
from shelfsight.vision.pose.keypoints import LAYOUTS

Array = npt.NDArray[Any]
DATA_PREFIX = "data."
MAX_ID_CHARS = 200
"""A camera id's length on the wire (ids in the config are far shorter)."""
REQUIRED: tuple[tuple[str, np.dtype[Any]], ...] = (
    ("xyxy", np.dtype(np.float32)),
    ("confidence", np.dtype(np.float32)),
    ("class_id", np.dtype(np.int64)),
)
TYPED_OPTIONAL: dict[str, np.dtype[Any]] = {"keypoints": np.dtype(np.float32), "tracker_id": np.dtype(np.int64)}


def detections_to_wire(detections: FrameDetections) -> tuple[dict[str, Any], tuple[Array, ...]]:
    """The map and buffers that carry ``detections``; ``ValueError`` when a column's dtype is not the declared one
    (casting it would make the receiver see other numbers than the sender)."""
    columns: list[tuple[str, Array]] = [(name, getattr(detections, name)) for name, _ in REQUIRED]
    columns += [(name, value) for name in TYPED_OPTIONAL if (value := getattr(detections, name)) is not None]
    columns += [(DATA_PREFIX + key, np.asarray(value)) for key, value in detections.data.items()]
    for name, value in columns:
        expected = dict(REQUIRED).get(name) or TYPED_OPTIONAL.get(name)
        if expected is not None and value.dtype != expected:
            raise ValueError(f"FrameDetections.{name} must be {expected} to travel, got {value.dtype}")
    body = {
        "camera_id": detections.camera_id,
        "frame_seq": detections.frame_seq,
        "captured_at": detections.captured_at,
        "frame_size": list(detections.frame_size),
        "columns": [name for name, _ in columns[len(REQUIRED) :]],
    }
    return body, tuple(np.ascontiguousarray(value) for _, value in columns)


def detections_from_wire(body: Any, arrays: tuple[Array, ...]) -> FrameDetections:
    """The `FrameDetections` that ``detections_to_wire`` encoded; ``MessageError`` on anything malformed."""
    if not isinstance(body, dict):
        raise MessageError(f"detections must be described by a map, got {shown(body)}")
    names = body.get("columns")
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise MessageError(f"detections 'columns' must be a list of column names, got {shown(names)}")
    if len(names) != len(set(names)) or len(arrays) != len(REQUIRED) + len(names):
        raise MessageError(
            f"detections need {len(REQUIRED)} buffers (boxes, scores, classes) and one per named column "
            f"{shown(names)}, got {len(arrays)} buffers"
        )
    xyxy, confidence, class_id = arrays[: len(REQUIRED)]
    n = len(xyxy)
    for (name, dtype), value, shape in zip(REQUIRED, arrays[: len(REQUIRED)], ((n, 4), (n,), (n,)), strict=True):
        if value.dtype != dtype or value.shape != shape:
            raise MessageError(f"detections {name} must be {shape} {dtype}, got {value.shape} {value.dtype}")
    if not (np.isfinite(xyxy).all() and np.isfinite(confidence).all()):
        raise MessageError("detection boxes and scores must be finite numbers")
    optional: dict[str, Array] = {}
    data: dict[str, Array] = {}
    for name, value in zip(names, arrays[len(REQUIRED) :], strict=True):
        if name.startswith(DATA_PREFIX) and len(name) > len(DATA_PREFIX):
            if value.ndim < 1 or value.shape[0] != n:
                raise MessageError(f"detections column {shown(name)} must have {n} rows, got shape {value.shape}")
            data[name[len(DATA_PREFIX) :]] = value
        elif name == "keypoints":
            optional[name] = _keypoints(value, n)
        elif name == "tracker_id":
            if value.dtype != np.int64 or value.shape != (n,):
                raise MessageError(f"detections tracker_id must be ({n},) int64, got {value.shape} {value.dtype}")
            optional[name] = value
        else:
            raise MessageError(f"unknown detections column {shown(name)}")
    return FrameDetections(
        xyxy=xyxy,
        confidence=confidence,
        class_id=class_id,
        keypoints=optional.get("keypoints"),
        tracker_id=optional.get("tracker_id"),
        camera_id=_camera_id(body.get("camera_id")),
        frame_seq=whole_number(body.get("frame_seq"), "detections frame_seq"),
        captured_at=finite_number(body.get("captured_at"), "detections captured_at"),
        frame_size=_frame_size(body.get("frame_size")),
        data=data,
    )


def _keypoints(value: Array, n: int) -> Array:
    """(n, K, 3) float32 with K a layout reach detection knows, finite; else `MessageError`."""
    if value.dtype != np.float32 or value.ndim != 3 or value.shape[0] != n or value.shape[2] != 3:
        raise MessageError(f"keypoints must be ({n}, K, 3) float32, got {value.dtype} {value.shape}")
    if value.shape[1] not in LAYOUTS:
        raise MessageError(f"keypoints per person must be one of {sorted(LAYOUTS)}, got {value.shape[1]}")
    if not np.isfinite(value).all():
        raise MessageError("keypoints must be finite numbers")
    return value


def _camera_id(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_ID_CHARS:
        raise MessageError(
            f"detections camera_id must be text of at most {MAX_ID_CHARS} characters, got {shown(value)}"
        )
    return value


def _frame_size(value: Any) -> tuple[int, int]:
    if not isinstance(value, list) or len(value) != 2:
        raise MessageError(f"detections frame_size must be [height, width], got {shown(value)}")
    height, width = (whole_number(side, "detections frame size") for side in value)
    return height, width
