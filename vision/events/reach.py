"""Reaches into a shelf: from a pose model's wrists, or (with no pose model) from the arm seen in pixels.

Pose: a hand (the wrist, or the mean of its finger points) inside the shelf polygon on an arm that is stretched
out or lifted (`vision.events.wrists`). Motion fallback (no keypoints): shelf pixels beside a shopper's box that
differ from the shelf's stable picture and move (``ShelfState.arms``). Either way a reach must come from a shopper
standing still in front of the shelf (walking arms swing), turns on once the signal has held ``start_s``, lasts
``min_reach_s``, and survives ``end_grace_s`` without the signal and ``hidden_grace_s`` while the shopper is not
seen at all (someone walked in front). A reach whose shopper starts walking before the signal has gone is marked
``walked_off``: swinging arms at the start of a walk look like a short reach. Each reach says which signal made it
(``source``) and where the hand went: the region its hand covered when the arm was out furthest, which is where
the shelf is looked at afterwards.

``update`` returns the reaches that ended on this frame; ``flush`` ends the ones still going (end of stream).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from vision.detections import FrameDetections
from vision.events.wrists import Hands
from vision.zones import Zone

Box = tuple[float, float, float, float]
ReachSource = Literal["pose", "motion"]


@dataclass(frozen=True)
class ReachSettings:
    """Tuning of reach detection, seconds.

    Attributes:
        max_speed_hps: Box-heights per second the foot point may move during a reach: shoppers stand still to
            reach; raise it and walkers' swinging arms count, lower it and a shopper shifting weight is missed.
        start_s: How long the signal must hold before a reach starts (its start is still the first frame the
            signal was on): 0 starts on the first frame; higher ignores a one-frame flicker.
        min_reach_s: Shorter reaches are ignored (a flicker of the signal).
        end_grace_s: A reach survives this long without the signal (a frame where the hand was missed).
        hidden_grace_s: A reach survives this long while its shopper is not seen at all (the track is missing:
            someone walked in front); it goes on if the hand is there when the shopper is seen again.
        spot_share: The reach's spot is where the hand was when its extension was at least this share of the
            furthest it got: the end of the reach, not the path to it.
    """

    max_speed_hps: float = 0.35
    start_s: float = 0.0
    min_reach_s: float = 0.4
    end_grace_s: float = 0.5
    hidden_grace_s: float = 1.5
    spot_share: float = 0.75


@dataclass(frozen=True)
class Reach:
    """One reach of one track into one shelf.

    Attributes:
        track_id: The reaching track.
        shelf_id: The shelf zone.
        start: First frame time with the signal on, epoch seconds.
        end: Last frame time with the signal on, epoch seconds.
        hand_box: (x1, y1, x2, y2) reference pixels: where the hand was when the arm was out furthest.
        walked_off: The shopper started walking before the signal had gone: the arms swinging into a walk, or a
            reach cut short by leaving. Such a reach can explain a shelf change but is never a touch by itself.
        source: ``pose`` (wrist keypoints) or ``motion`` (pixels beside the box, no pose model).
    """

    track_id: int
    shelf_id: str
    start: float
    end: float
    hand_box: Box
    walked_off: bool = False
    source: ReachSource = "motion"


@dataclass
class _TrackReach:
    foot: tuple[float, float, float]  # x, y pixels and time of the last sighting
    speed_hps: float = 0.0
    first_on: float | None = None  # the signal's first frame of the current run, before the reach started
    start: float | None = None
    last_on: float = 0.0
    source: ReachSource = "motion"
    hands: list[tuple[Box, float]] = field(default_factory=list)  # (hand box, extension) while on
    walked: bool = False  # moved faster than a standing shopper since the signal was last on


def _union(boxes: Sequence[Box]) -> Box:
    array = np.asarray(boxes, np.float64)
    return float(array[:, 0].min()), float(array[:, 1].min()), float(array[:, 2].max()), float(array[:, 3].max())


class ReachDetector:
    """Reach state of every track at one shelf. Call ``update`` every frame, in time order."""

    def __init__(self, shelf: Zone, settings: ReachSettings | None = None) -> None:
        self.shelf = shelf
        self.settings = settings or ReachSettings()
        self._tracks: dict[int, _TrackReach] = {}

    def active(self) -> dict[int, tuple[float, Box]]:
        """{track id: (start, hand region so far)} of the reaches on now."""
        return {
            tid: (s.start, _union([box for box, _ in s.hands]))
            for tid, s in self._tracks.items()
            if s.start is not None and s.hands
        }

    def update(
        self,
        tracks: FrameDetections,
        t: float,
        *,
        arms: Sequence[Box | None] = (),
        hands: Hands | None = None,
        standing: set[int] | None = None,
    ) -> list[Reach]:
        """Advance to time ``t``.

        Args:
            tracks: The frame's tracks, reference pixels.
            t: Frame time, epoch seconds.
            arms: Motion fallback: ``arms[i]`` is the arm box beside ``tracks[i]`` (``ShelfState.arms``).
            hands: Pose: the hands of every row of ``tracks`` (`vision.events.wrists.find_hands`); rows whose
                hands were not seen give no signal. When given, ``arms`` is not used.
            standing: Rows standing in front of the shelf (the others cannot reach it); None: every row.
        """
        assert tracks.tracker_id is not None
        ended: list[Reach] = []
        present = set()
        source: ReachSource = "motion" if hands is None else "pose"
        for row, track_id in enumerate(tracks.tracker_id.tolist()):
            present.add(track_id)
            state = self._sighting(track_id, tracks.xyxy[row], t)
            at_shelf = standing is None or row in standing
            hand = None
            if at_shelf:
                hand = self._pose_hand(hands, row) if hands is not None else self._arm(arms, row)
            still = state.speed_hps <= self.settings.max_speed_hps
            if hand is not None and still:
                self._on(state, hand, t, source)
            elif state.start is None:
                state.first_on, state.hands = None, []  # a run too short to start a reach
            else:
                state.walked = state.walked or not still
                if t - state.last_on > self.settings.end_grace_s:
                    ended.extend(self._finish(track_id, state))
        for track_id in [tid for tid in self._tracks if tid not in present]:
            state = self._tracks[track_id]
            if state.start is None or t - state.last_on > self.settings.hidden_grace_s:
                ended.extend(self._finish(track_id, state))
                del self._tracks[track_id]
        return ended

    def flush(self) -> list[Reach]:
        """End every reach still going (the stream ended): they are reaches all the same."""
        ended = [reach for track_id, state in self._tracks.items() for reach in self._finish(track_id, state)]
        self._tracks.clear()
        return ended

    def _on(self, state: _TrackReach, hand: tuple[Box, float], t: float, source: ReachSource) -> None:
        if state.start is None:
            state.first_on = t if state.first_on is None else state.first_on
            if t - state.first_on < self.settings.start_s:
                state.hands.append(hand)
                return
            state.start, state.source = state.first_on, source
        state.last_on, state.walked = t, False
        state.hands.append(hand)

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

    def _pose_hand(self, hands: Hands, row: int) -> tuple[Box, float] | None:
        """The reaching hand of ``row`` inside the shelf polygon (the further out of two), or None."""
        on = hands.reaching[row] & self.shelf.contains(hands.tip[row])
        if not on.any():
            return None
        side = int(np.argmax(np.where(on, hands.extension[row], -np.inf)))
        x, y = (float(v) for v in hands.tip[row, side])
        r = float(hands.radius[row])
        return (x - r, y - r, x + r, y + r), float(hands.extension[row, side])

    @staticmethod
    def _arm(arms: Sequence[Box | None], row: int) -> tuple[Box, float] | None:
        arm = arms[row] if row < len(arms) else None
        return None if arm is None else (arm, 1.0)

    def _finish(self, track_id: int, state: _TrackReach) -> list[Reach]:
        start, hands, walked = state.start, state.hands, state.walked
        state.start, state.first_on, state.hands, state.walked = None, None, [], False
        if start is None or not hands or state.last_on - start < self.settings.min_reach_s:
            return []
        furthest = max(extension for _, extension in hands)
        spot = _union([box for box, extension in hands if extension >= self.settings.spot_share * furthest])
        return [Reach(track_id, self.shelf.zone_id, start, state.last_on, spot, walked, state.source)]
