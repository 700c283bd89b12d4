"""Reaches into a shelf: from the arm seen beside a shopper's box, or from wrist keypoints with a pose model.

Plain detector: person boxes hug the body and leave out a stretched arm, so the arm shows as shelf pixels
beside the box that differ from the shelf's stable picture (``ShelfState.arms``). Pose model: a wrist
keypoint (score >= ``keypoint_min_score``) inside the shelf polygon. Either way a reach must come from a
shopper standing still (walking arms swing) and last ``min_reach_s``; it survives ``end_grace_s`` without
the signal. ``update`` returns the reaches that ended on this frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from vision.detections import FrameDetections
from vision.zones import Zone

COCO_WRISTS = (9, 10)
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class ReachSettings:
    """Tuning of reach detection.

    Attributes:
        max_speed_hps: Box-heights per second the foot point may move during a reach: shoppers stand still to
            reach; raise it and walkers' swinging arms count, lower it and a shopper shifting weight is missed.
        min_reach_s: Shorter reaches are ignored (a flicker of the arm signal).
        end_grace_s: A reach survives this long without the signal (a frame where the arm was missed).
        keypoint_min_score: Wrist keypoint confidence needed in pose mode.
    """

    max_speed_hps: float = 0.35
    min_reach_s: float = 0.6
    end_grace_s: float = 0.5
    keypoint_min_score: float = 0.5


@dataclass(frozen=True)
class Reach:
    """One reach of one track into one shelf.

    Attributes:
        track_id: The reaching track.
        shelf_id: The shelf zone.
        start: First frame time with the reach on, epoch seconds.
        end: Last frame time with the reach on, epoch seconds.
        hand_box: (x1, y1, x2, y2) frame pixels the hand covered (the union over the reach).
    """

    track_id: int
    shelf_id: str
    start: float
    end: float
    hand_box: Box


@dataclass
class _TrackReach:
    foot: tuple[float, float, float]  # x, y pixels and time of the last sighting
    speed_hps: float = 0.0
    start: float | None = None
    last_on: float = 0.0
    hand_box: Box | None = None


def _union(a: Box | None, b: Box) -> Box:
    return b if a is None else (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


class ReachDetector:
    """Reach state of every track at one shelf. Call ``update`` every frame, in time order."""

    def __init__(self, shelf: Zone, settings: ReachSettings | None = None) -> None:
        self.shelf = shelf
        self.settings = settings or ReachSettings()
        self._tracks: dict[int, _TrackReach] = {}

    def active(self) -> dict[int, tuple[float, Box]]:
        """{track id: (start, hand box so far)} of the reaches on now."""
        return {
            tid: (s.start, s.hand_box)
            for tid, s in self._tracks.items()
            if s.start is not None and s.hand_box is not None
        }

    def update(self, tracks: FrameDetections, arms: Sequence[Box | None], t: float) -> list[Reach]:
        """Advance to time ``t``; ``arms[i]`` is the arm box beside ``tracks[i]`` (``ShelfState.arms``)."""
        assert tracks.tracker_id is not None
        ended: list[Reach] = []
        present = set()
        for row, track_id in enumerate(tracks.tracker_id.tolist()):
            present.add(track_id)
            state = self._sighting(track_id, tracks.xyxy[row], t)
            hand = self._hand(tracks, row, arms[row] if row < len(arms) else None)
            if hand is not None and state.speed_hps <= self.settings.max_speed_hps:
                if state.start is None:
                    state.start = t
                state.last_on, state.hand_box = t, _union(state.hand_box, hand)
            elif state.start is not None and t - state.last_on > self.settings.end_grace_s:
                ended.extend(self._finish(track_id, state))
        for track_id in [tid for tid in self._tracks if tid not in present]:
            state = self._tracks[track_id]
            if state.start is None or t - state.last_on > self.settings.end_grace_s:
                ended.extend(self._finish(track_id, state))
                del self._tracks[track_id]
        return ended

    def _sighting(self, track_id: int, box: npt.NDArray[np.float32], t: float) -> _TrackReach:
        foot = (float(box[0] + box[2]) / 2, float(box[3]), t)
        state = self._tracks.get(track_id)
        if state is None:
            state = self._tracks[track_id] = _TrackReach(foot=foot)
            return state
        x, y, last_t = state.foot
        if t > last_t:
            height = max(float(box[3] - box[1]), 1.0)
            speed = float(np.hypot(foot[0] - x, foot[1] - y)) / height / (t - last_t)
            state.speed_hps += 0.5 * (speed - state.speed_hps)
        state.foot = foot
        return state

    def _hand(self, tracks: FrameDetections, row: int, arm: Box | None) -> Box | None:
        if tracks.keypoints is None:
            return arm
        wrists = tracks.keypoints[row, list(COCO_WRISTS)]
        good = wrists[wrists[:, 2] >= self.settings.keypoint_min_score, :2].astype(np.float32)
        inside = good[self.shelf.contains(good)] if len(good) else good
        if not len(inside):
            return arm
        x, y = (float(v) for v in inside[0])
        half = 0.06 * float(tracks.xyxy[row, 3] - tracks.xyxy[row, 1])
        return (x - half, y - half, x + half, y + half)

    def _finish(self, track_id: int, state: _TrackReach) -> list[Reach]:
        start, hand = state.start, state.hand_box
        state.start, state.hand_box = None, None
        if start is None or hand is None or state.last_on - start < self.settings.min_reach_s:
            return []
        return [Reach(track_id, self.shelf.zone_id, start, state.last_on, hand)]
