"""Giving one camera's tracks keypoints from a top-down pose model, for the shoppers at its shelves.

Runs between the tracker and the event engine: tracks in, the same tracks out with ``keypoints`` (n, K, 3) set
for every row, score 0 on rows not estimated. Keypoints a pose *detector* gave the tracks are replaced, so one
camera's keypoints always have one layout (`shelfsight.vision.pose.keypoints.layout_for`).
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
import numpy.typing as npt

from shelfsight.vision.detections import FrameDetections
from shelfsight.vision.pose.blazepose import PoseEstimate
from shelfsight.vision.pose.selection import SelectionSettings, select_for_pose
from shelfsight.vision.zones import Zone


class PoseEstimator(Protocol):
    """A top-down pose model: person boxes of a frame in, their keypoints out."""

    @property
    def num_keypoints(self) -> int:
        """K, keypoints per person."""
        ...

    def estimate(self, image: npt.NDArray[np.uint8], xyxy: npt.NDArray[np.float32]) -> PoseEstimate:
        """(n, K, 3) keypoints in frame pixels of the people in (n, 4) frame-pixel boxes of a BGR frame."""
        ...


@dataclass(frozen=True)
class PoseCost:
    """What the latest frame's pose estimation cost.

    Attributes:
        people: People estimated.
        seconds: Wall time of selection, crops, inference and mapping back, seconds.
    """

    people: int = 0
    seconds: float = 0.0


class PoseAnnotator:
    """Keypoints for the tracks of one camera at its shelves; call ``annotate`` once per frame.

    Args:
        estimator: The pose model (may be shared by several cameras of one process).
        shelves: The camera's shelf zones in pixels.
        standing: {shelf id: its standing zone} in pixels.
        selection: Who is estimated (see `SelectionSettings`).

    Attributes:
        last: Cost of the latest ``annotate``.
    """

    def __init__(
        self,
        estimator: PoseEstimator,
        *,
        shelves: Sequence[Zone],
        standing: Mapping[str, Zone],
        selection: SelectionSettings | None = None,
    ) -> None:
        self.estimator = estimator
        self.shelves = tuple(shelves)
        self.standing = dict(standing)
        self.selection = selection or SelectionSettings()
        self.last = PoseCost()

    def annotate(
        self, tracks: FrameDetections, image: npt.NDArray[np.uint8], standing_ids: Collection[int] = ()
    ) -> FrameDetections:
        """``tracks`` with keypoints (n, K, 3) float32 in frame pixels; rows not estimated have all zeros.
        ``standing_ids``: tracks known to stand at a shelf whatever their feet show now (`select_for_pose`)."""
        started = time.perf_counter()
        rows = select_for_pose(tracks, self.shelves, self.standing, self.selection, standing_ids)
        keypoints = np.zeros((len(tracks), self.estimator.num_keypoints, 3), np.float32)
        if len(rows):
            keypoints[rows] = self.estimator.estimate(image, tracks.xyxy[rows]).keypoints
        self.last = PoseCost(len(rows), time.perf_counter() - started)
        return replace(tracks, keypoints=keypoints)
