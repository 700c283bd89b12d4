"""Reaches into a shelf, from a plain detector's boxes or, when a pose model runs, from wrist keypoints.

Box mode: a shopper standing at a shelf has a steady box shape; an arm stretched towards a facing makes
the box wider (or taller) than that rest shape. A reach is on while the box's width-to-height ratio exceeds
the track's rest ratio by ``extension`` and the box overlaps the shelf, and the reaching side is the side
that grew. Pose mode: a reach is on while a wrist keypoint (score >= ``keypoint_min_score``) is inside the
shelf polygon.

Each ``update`` returns the reaches that ended on this frame; ``active`` says who is reaching now.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from vision.detections import FrameDetections
from vision.zones import Zone

COCO_WRISTS = (9, 10)


@dataclass(frozen=True)
class ReachSettings:
    """Tuning of reach detection.

    Attributes:
        extension: Relative growth of width/height over the rest ratio that counts as an arm out. Lower
            catches small reaches and also walking strides; higher misses reaches close to the body.
        rest_blend: Per-frame blend of the current ratio into the rest ratio while not reaching.
        min_shelf_overlap: Share of the box that must overlap the shelf polygon.
        max_speed_hps: Box-heights per second the foot point may move during a reach: shoppers stand still to
            reach, while a walking stride also widens the box.
        min_reach_s: Shorter reaches are ignored (a swinging arm while walking).
        end_grace_s: A reach survives this long without the signal (a frame of missed extension).
        keypoint_min_score: Wrist keypoint confidence needed in pose mode.
    """

    extension: float = 0.22
    rest_blend: float = 0.1
    min_shelf_overlap: float = 0.05
    max_speed_hps: float = 0.35
    min_reach_s: float = 0.3
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
        hand_box: (x1, y1, x2, y2) frame pixels of the region the hand went to (the part of the box that grew,
            or around the wrist).
    """

    track_id: int
    shelf_id: str
    start: float
    end: float
    hand_box: tuple[float, float, float, float]


@dataclass
class _TrackReach:
    rest_ratio: float
    start: float | None = None
    last_on: float = 0.0
    hand_box: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    rest_box: npt.NDArray[np.float32] = field(default_factory=lambda: np.zeros(4, np.float32))
    foot: tuple[float, float, float] = (0.0, 0.0, 0.0)  # x, y pixels and time of the last sighting
    speed_hps: float = 0.0


class ReachDetector:
    """Reach state of every track at one shelf. Call ``update`` every frame, in time order."""

    def __init__(self, shelf: Zone, settings: ReachSettings | None = None) -> None:
        self.shelf = shelf
        self.settings = settings or ReachSettings()
        self._tracks: dict[int, _TrackReach] = {}

    def active(self) -> dict[int, tuple[float, float, float, float]]:
        """{track id: hand box} of the reaches on now."""
        return {tid: s.hand_box for tid, s in self._tracks.items() if s.start is not None}

    def update(self, tracks: FrameDetections, t: float) -> list[Reach]:
        """Advance to time ``t`` with this frame's tracks; returns the reaches that ended."""
        assert tracks.tracker_id is not None
        overlap = self.shelf.overlap_share(tracks.xyxy)
        ended: list[Reach] = []
        present = set()
        for row, track_id in enumerate(tracks.tracker_id.tolist()):
            present.add(track_id)
            self._measure_speed(track_id, tracks.xyxy[row], t)
            hand = self._signal(tracks, row, float(overlap[row]))
            ended.extend(self._advance(track_id, tracks.xyxy[row], hand, t))
        for track_id in [tid for tid in self._tracks if tid not in present]:
            state = self._tracks[track_id]
            if state.start is None or t - state.last_on > self.settings.end_grace_s:
                ended.extend(self._finish(track_id, state))
                del self._tracks[track_id]
        return ended

    def _measure_speed(self, track_id: int, box: npt.NDArray[np.float32], t: float) -> None:
        state = self._tracks.get(track_id)
        foot_x, foot_y = float(box[0] + box[2]) / 2, float(box[3])
        if state is not None:
            x, y, last_t = state.foot
            if t > last_t:
                height = max(float(box[3] - box[1]), 1.0)
                speed = float(np.hypot(foot_x - x, foot_y - y)) / height / (t - last_t)
                state.speed_hps += 0.5 * (speed - state.speed_hps)
            state.foot = (foot_x, foot_y, t)

    def _signal(self, tracks: FrameDetections, row: int, overlap: float) -> tuple[float, float, float, float] | None:
        """The hand box if this track reaches on this frame, else None."""
        if tracks.keypoints is not None:
            wrists = tracks.keypoints[row, list(COCO_WRISTS)]
            good = wrists[wrists[:, 2] >= self.settings.keypoint_min_score, :2]
            inside = good[self.shelf.contains(good.astype(np.float32))] if len(good) else good
            if len(inside):
                x, y = inside[0]
                half = 0.06 * float(tracks.xyxy[row, 3] - tracks.xyxy[row, 1])
                return (float(x - half), float(y - half), float(x + half), float(y + half))
            return None
        if overlap < self.settings.min_shelf_overlap:
            return None
        return self._box_signal(tracks.tracker_id[row] if tracks.tracker_id is not None else -1, tracks.xyxy[row])

    def _box_signal(self, track_id: int, box: npt.NDArray[np.float32]) -> tuple[float, float, float, float] | None:
        width, height = float(box[2] - box[0]), float(box[3] - box[1])
        ratio = width / max(height, 1.0)
        state = self._tracks.get(int(track_id))
        if state is None or state.speed_hps > self.settings.max_speed_hps:
            return None  # the first sight sets the rest shape; a walking shopper is not reaching
        if ratio <= state.rest_ratio * (1.0 + self.settings.extension):
            return None
        rest_width = state.rest_ratio * height
        grew_left = state.rest_box[0] - box[0] > box[2] - state.rest_box[2]
        if grew_left:
            return (float(box[0]), float(box[1]), float(box[0] + (width - rest_width)), float(box[3]))
        return (float(box[2] - (width - rest_width)), float(box[1]), float(box[2]), float(box[3]))

    def _advance(
        self, track_id: int, box: npt.NDArray[np.float32], hand: tuple[float, float, float, float] | None, t: float
    ) -> list[Reach]:
        ratio = float(box[2] - box[0]) / max(float(box[3] - box[1]), 1.0)
        state = self._tracks.get(track_id)
        if state is None:
            foot = (float(box[0] + box[2]) / 2, float(box[3]), t)
            self._tracks[track_id] = _TrackReach(rest_ratio=ratio, rest_box=box.copy(), foot=foot)
            return []
        if hand is not None:
            if state.start is None:
                state.start = t
            state.last_on, state.hand_box = t, hand
            return []
        state.rest_ratio += self.settings.rest_blend * (ratio - state.rest_ratio)
        state.rest_box = box.copy()
        if state.start is not None and t - state.last_on > self.settings.end_grace_s:
            return self._finish(track_id, state)
        return []

    def _finish(self, track_id: int, state: _TrackReach) -> list[Reach]:
        start, state.start = state.start, None
        if start is None or state.last_on - start < self.settings.min_reach_s:
            return []
        return [Reach(track_id, self.shelf.zone_id, start, state.last_on, state.hand_box)]
