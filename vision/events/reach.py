"""Reaches into a shelf: from the arm seen beside a shopper's box, or from wrist keypoints with a pose model.

Plain detector: person boxes hug the body and leave out a stretched arm, so the arm shows as shelf pixels
beside the box that differ from the shelf's stable picture (``ShelfState.arms``). Pose model: a wrist
keypoint (score >= ``keypoint_min_score``) inside the shelf polygon. Either way a reach must come from a
shopper standing still (walking arms swing) and last ``min_reach_s``; it survives ``end_grace_s`` without
the signal, and ``hidden_grace_s`` while the shopper is hidden (their track missing from the frame, someone
in front). A reach whose shopper starts walking before the signal has gone (within ``end_grace_s``) is
marked ``walked_off``: swinging arms at the start of a walk look like a short reach. ``update`` returns the
reaches that ended on this frame.
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
        hidden_grace_s: A reach survives this long while its shopper is not seen at all (the track is missing:
            someone walked in front); it goes on if the arm is there when the shopper is seen again.
        keypoint_min_score: Wrist keypoint confidence needed in pose mode.
    """

    max_speed_hps: float = 0.35
    min_reach_s: float = 0.6
    end_grace_s: float = 0.5
    hidden_grace_s: float = 1.5
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
        walked_off: The shopper started walking before the signal had gone: the arms swinging into a walk, or a
            reach cut short by leaving. Such a reach can explain a shelf change but is never a touch by itself.
    """

    track_id: int
    shelf_id: str
    start: float
    end: float
    hand_box: Box
    walked_off: bool = False


@dataclass
class _TrackReach:
    foot: tuple[float, float, float]  # x, y pixels and time of the last sighting
    speed_hps: float = 0.0
    start: float | None = None
    last_on: float = 0.0
    hand_box: Box | None = None
    walked: bool = False  # moved faster than a standing shopper since the signal was last on


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
            still = state.speed_hps <= self.settings.max_speed_hps
            if hand is not None and still:
                if state.start is None:
                    state.start = t
                state.last_on, state.hand_box, state.walked = t, _union(state.hand_box, hand), False
            elif state.start is not None:
                state.walked = state.walked or not still
                if t - state.last_on > self.settings.end_grace_s:
                    ended.extend(self._finish(track_id, state))
        for track_id in [tid for tid in self._tracks if tid not in present]:
            state = self._tracks[track_id]
            if state.start is None or t - state.last_on > self.settings.hidden_grace_s:
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
        start, hand, walked = state.start, state.hand_box, state.walked
        state.start, state.hand_box, state.walked = None, None, False
        if start is None or hand is None or state.last_on - start < self.settings.min_reach_s:
            return []
        return [Reach(track_id, self.shelf.zone_id, start, state.last_on, hand, walked)]
