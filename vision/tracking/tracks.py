"""The tracker's live tracks as one table of numpy columns (one row per track), so every per-frame step is a
handful of array operations over all tracks rather than a Python loop over track objects."""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from shelfsight.vision.detections import FrameDetections
from shelfsight.vision.tracking import colour, kalman

NO_ID = -1  # tracker_id of a tentative track: public ids are handed out only on confirmation


class TrackState(IntEnum):
    """Where a track is in its life; the values are what the ``state`` output column holds.

    TENTATIVE: born from a detection, not yet seen in enough consecutive frames; has no public id.
    TRACKED: confirmed and matched to a detection in the latest frame.
    LOST: confirmed, unmatched in the latest frame; predicted forward until re-found or dropped.
    """

    TENTATIVE = 0
    TRACKED = 1
    LOST = 2


@dataclass
class TrackTable:
    """Live tracks, column-wise; every column has one row per track.

    Attributes:
        tracker_id: (n,) int64 public id, ``NO_ID`` while tentative.
        state: (n,) int8 ``TrackState`` values.
        mean: (n, 8) float64 Kalman state (cx, cy, w, h and rates per second).
        covariance: (n, 8, 8) float64 Kalman covariance.
        xyxy: (n, 4) float32 the last matched detection box, frame pixels.
        confidence: (n,) float32 score of the last matched detection.
        class_id: (n,) int64 class of the last matched detection.
        hits: (n,) int64 consecutive frames matched (counts towards confirmation).
        first_xyxy: (n, 4) float32 the first detection box (where the track entered the picture).
        first_seen_s: (n,) float64 ``captured_at`` of the first detection, seconds.
        last_seen_s: (n,) float64 ``captured_at`` of the latest matched detection, seconds.
        detection_index: (n,) int64 row of the input detection matched in the current frame, -1 if none.
        signature: (n, colour.SIZE) float32 clothing colour signature, taken while the shopper stood clear of
            others (zeros until then).
        signature_s: (n,) float64 ``captured_at`` of the latest signature refresh, -inf when there is none.
    """

    tracker_id: npt.NDArray[np.int64]
    state: npt.NDArray[np.int8]
    mean: kalman.Mean
    covariance: kalman.Covariance
    xyxy: npt.NDArray[np.float32]
    confidence: npt.NDArray[np.float32]
    class_id: npt.NDArray[np.int64]
    hits: npt.NDArray[np.int64]
    first_xyxy: npt.NDArray[np.float32]
    first_seen_s: npt.NDArray[np.float64]
    last_seen_s: npt.NDArray[np.float64]
    detection_index: npt.NDArray[np.int64]
    signature: npt.NDArray[np.float32]
    signature_s: npt.NDArray[np.float64]

    @classmethod
    def empty(cls) -> TrackTable:
        """A table with no tracks."""
        return cls(
            tracker_id=np.zeros((0,), np.int64),
            state=np.zeros((0,), np.int8),
            mean=np.zeros((0, 8), np.float64),
            covariance=np.zeros((0, 8, 8), np.float64),
            xyxy=np.zeros((0, 4), np.float32),
            confidence=np.zeros((0,), np.float32),
            class_id=np.zeros((0,), np.int64),
            hits=np.zeros((0,), np.int64),
            first_xyxy=np.zeros((0, 4), np.float32),
            first_seen_s=np.zeros((0,), np.float64),
            last_seen_s=np.zeros((0,), np.float64),
            detection_index=np.zeros((0,), np.int64),
            signature=np.zeros((0, colour.SIZE), np.float32),
            signature_s=np.zeros((0,), np.float64),
        )

    @classmethod
    def born(
        cls, detections: FrameDetections, index: npt.NDArray[np.int64], now_s: float, noise: kalman.MotionNoise
    ) -> TrackTable:
        """Tentative tracks, one per detection row in ``index``."""
        n = len(index)
        xyxy = detections.xyxy[index]
        confidence = detections.confidence[index]
        class_id = detections.class_id[index]
        mean, covariance = kalman.initiate(xyxy, noise)
        return cls(
            tracker_id=np.full((n,), NO_ID, np.int64),
            state=np.full((n,), TrackState.TENTATIVE, np.int8),
            mean=mean,
            covariance=covariance,
            xyxy=np.asarray(xyxy, np.float32).copy(),
            confidence=np.asarray(confidence, np.float32).copy(),
            class_id=np.asarray(class_id, np.int64).copy(),
            hits=np.ones((n,), np.int64),
            first_xyxy=np.asarray(xyxy, np.float32).copy(),
            first_seen_s=np.full((n,), now_s, np.float64),
            last_seen_s=np.full((n,), now_s, np.float64),
            detection_index=np.asarray(index, np.int64).copy(),
            signature=np.zeros((n, colour.SIZE), np.float32),
            signature_s=np.full((n,), -np.inf, np.float64),
        )

    def __len__(self) -> int:
        return len(self.tracker_id)

    def take(self, index: npt.NDArray[np.int64] | npt.NDArray[np.bool_]) -> TrackTable:
        """The rows selected by an index array or boolean mask, as a new table."""
        return TrackTable(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def extend(self, other: TrackTable) -> TrackTable:
        """This table with ``other``'s rows appended, as a new table."""
        if len(other) == 0:
            return self
        if len(self) == 0:
            return other
        return TrackTable(
            **{f.name: np.concatenate([getattr(self, f.name), getattr(other, f.name)]) for f in fields(self)}
        )

    def predicted_xyxy(self) -> npt.NDArray[np.float32]:
        """(n, 4) float32 boxes where the motion model expects each track now."""
        return kalman.state_to_xyxy(self.mean)
