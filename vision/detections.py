"""One columnar per-frame container, the lingua franca of ``vision/``.

Detector output, tracker input and output, and zone tests all speak ``FrameDetections``: parallel numpy
columns, one row per object, with frame-level facts (camera, sequence number, capture time) as attributes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


def _check_column(name: str, value: np.ndarray, shape: tuple[int | None, ...], n: int) -> None:
    expected = tuple(n if dim is None else dim for dim in shape)
    if value.shape[: len(expected)] != expected or value.ndim != len(expected):
        raise ValueError(f"FrameDetections.{name} must have shape {expected}, got {value.shape}")


@dataclass(frozen=True)
class FrameDetections:
    """Objects found in one frame.

    Attributes:
        xyxy: (n, 4) float32 boxes in frame pixels (x1, y1, x2, y2).
        confidence: (n,) float32 scores in 0..1.
        class_id: (n,) int64 class indices of the model's label set (0 = person for COCO).
        keypoints: (n, K, 3) float32 (x, y, score) in frame pixels when a pose model ran, else None.
        tracker_id: (n,) int64 track ids once a tracker has run, else None.
        camera_id: The camera the frame came from.
        frame_seq: Frame number within the camera's stream.
        captured_at: Wall-clock capture time, UTC Unix epoch seconds.
        frame_size: (height, width) of the frame in pixels.
        data: Extra per-row columns (each an array of length n).
    """

    xyxy: FloatArray
    confidence: FloatArray
    class_id: IntArray
    keypoints: FloatArray | None = None
    tracker_id: IntArray | None = None
    camera_id: str = ""
    frame_seq: int = 0
    captured_at: float = 0.0
    frame_size: tuple[int, int] = (0, 0)
    data: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.xyxy)
        _check_column("xyxy", self.xyxy, (None, 4), n)
        _check_column("confidence", self.confidence, (None,), n)
        _check_column("class_id", self.class_id, (None,), n)
        if self.keypoints is not None:
            kpt = self.keypoints
            if kpt.ndim != 3 or kpt.shape[0] != n or kpt.shape[2] != 3:
                raise ValueError(f"FrameDetections.keypoints must have shape ({n}, K, 3), got {kpt.shape}")
        if self.tracker_id is not None:
            _check_column("tracker_id", self.tracker_id, (None,), n)
        for key, column in self.data.items():
            if len(column) != n:
                raise ValueError(f"FrameDetections.data[{key!r}] must have length {n}, got {len(column)}")

    @classmethod
    def empty(cls, **frame_fields: Any) -> FrameDetections:
        """A frame with no objects; ``frame_fields`` sets camera_id, frame_seq, captured_at, frame_size."""
        return cls(
            xyxy=np.zeros((0, 4), np.float32),
            confidence=np.zeros((0,), np.float32),
            class_id=np.zeros((0,), np.int64),
            **frame_fields,
        )

    def __len__(self) -> int:
        return len(self.xyxy)

    def __getitem__(self, index: npt.NDArray[np.bool_] | npt.NDArray[np.integer[Any]] | slice) -> FrameDetections:
        """Rows selected by a boolean mask, an index array or a slice, as a new container."""
        return FrameDetections(
            xyxy=self.xyxy[index],
            confidence=self.confidence[index],
            class_id=self.class_id[index],
            keypoints=None if self.keypoints is None else self.keypoints[index],
            tracker_id=None if self.tracker_id is None else self.tracker_id[index],
            camera_id=self.camera_id,
            frame_seq=self.frame_seq,
            captured_at=self.captured_at,
            frame_size=self.frame_size,
            data={key: column[index] for key, column in self.data.items()},
        )

    @property
    def foot_points(self) -> FloatArray:
        """(n, 2) bottom-centre of each box in pixels: where a standing shopper touches the floor."""
        return np.stack([(self.xyxy[:, 0] + self.xyxy[:, 2]) / 2, self.xyxy[:, 3]], axis=1).astype(np.float32)

    @property
    def area(self) -> FloatArray:
        """(n,) box areas in square pixels."""
        return ((self.xyxy[:, 2] - self.xyxy[:, 0]) * (self.xyxy[:, 3] - self.xyxy[:, 1])).astype(np.float32)
