"""Reaches into a shelf: from a pose model's wrists, or (with no pose model) from the arm seen in pixels.

Pose: a hand (the wrist, or the mean of its finger points) inside the shelf polygon on an arm that is stretched
out or lifted (`shelfsight.vision.events.wrists`). Motion fallback (no keypoints): shelf pixels beside a shopper's box
that differ from the shelf's stable picture and move (``ShelfState.arms``). Either way a reach must come from a shopper
standing still in front of the shelf (walking arms swing), turns on once the signal has held ``start_s``, and lasts
``min_reach_s``. It ends when the hand has been seen back at the body for ``end_grace_s``; while the hand is not seen
(its keypoints score low, or the shopper is hidden) it survives ``hidden_grace_s``: losing sight of a hand is no sign
that it left the shelf. A reach whose shopper starts walking before the signal has gone is marked
``walked_off``: swinging arms at the start of a walk look like a short reach. A reach whose hand was mostly seen
with someone nearer the camera standing in front of it is not ``clear``: a pose fitted to a crop of two people puts
the arm of the one in front (a passer-by's swinging arm) on the one behind. Each reach says which signal made it
(``source``) and where the hand went: the region its hand covered when the arm was out furthest, which is where
the shelf is looked at afterwards.

``update`` returns the reaches that ended on this frame; ``flush`` ends the ones still going (end of stream).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from shelfsight.vision.detections import FrameDetections
from shelfsight.vision.events.wrists import Hands
from shelfsight.vision.frames import TIME_TOLERANCE_S
from shelfsight.vision.zones import Zone

Box = tuple[float, float, float, float]
ReachSource = Literal["pose", "motion"]


@dataclass(frozen=True)
class ReachSettings:
    """Tuning of reach detection, seconds.

    Attributes:
        max_speed_hps: Box-heights per second a shopper may move during a reach (the slower of the head and the
            feet: someone passing in front hides one of them): shoppers stand still to reach; raise it and walkers'
            swinging arms count, lower it and a shopper shifting weight is missed.
        start_s: How long the signal must hold before a reach starts (its start is still the first frame the
            signal was on): 0 starts on the first frame; higher ignores a one-frame flicker.
        min_reach_s: Shorter reaches are ignored (a flicker of the signal).
        end_grace_s: A reach ends once its hand has been seen away from the shelf (back at the body) for longer than
            this: at 5 fps, 0.15 ends it at the second frame in a row that sees the hand back, so a one-frame
            misplaced keypoint does not split a reach, while a shopper who takes an item, looks at it for a second
            and puts it back makes two reaches (a take and a return), not one long touch.
        hidden_grace_s: A reach survives this long without the signal while there is no sign it is over: its
            hand is not seen (low keypoint scores: someone in front, motion blur) or the shopper is not seen at all
            (the track is missing); it goes on if the hand is at the shelf when seen again.
        spot_share: The reach's spot is where the hand was when its extension was at least this share of the
            furthest it got: the end of the reach, not the path to it.
        shelf_margin_px: A hand stays in the reach it started while within this many pixels of that shelf's zone
            (a hand on the line between two boards of one unit does not flip between them).
        front_cover: A hand is seen *behind* someone when another shopper's box, nearer the camera (its bottom
            lower), spans at least this share of the reaching shopper's box width and rises above the hand: a pose
            fitted to that crop may put the arm of the one in front (a passer-by's swinging arm) on the one behind.
            0 never counts a hand as behind.
        min_clear_share: A reach needs more than this share of its frames with the hand not behind anyone to be a
            touch by itself (``Reach.clear``).
    """

    max_speed_hps: float = 0.35
    start_s: float = 0.0
    min_reach_s: float = 0.4
    end_grace_s: float = 0.15
    hidden_grace_s: float = 1.5
    spot_share: float = 0.75
    shelf_margin_px: float = 12.0
    front_cover: float = 0.2
    min_clear_share: float = 0.34


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
        clear: More than ``ReachSettings.min_clear_share`` of its frames saw the hand with nobody in front of it. A
            reach seen mostly behind a passer-by is often the passer-by's arm: it may explain a shelf change, but is
            never a touch by itself.
    """

    track_id: int
    shelf_id: str
    start: float
    end: float
    hand_box: Box
    walked_off: bool = False
    source: ReachSource = "motion"
    clear: bool = True

    @property
    def doubtful(self) -> bool:
        """Walked off or seen mostly behind someone: it may explain a shelf change, but is never a touch by itself
        nor half of an unseen take-and-return."""
        return self.walked_off or not self.clear


@dataclass
class _TrackReach:
    last: tuple[float, float, float, float]  # centre x, top y, bottom y (pixels) and time of the last sighting
    speed_hps: float = 0.0
    off_since: float | None = None  # since when the hand is seen away from the shelf during a reach
    shelf_id: str | None = None  # the shelf of the reach going on (or starting)
    first_on: float | None = None  # the signal's first frame of the current run, before the reach started
    start: float | None = None
    last_on: float = 0.0
    source: ReachSource = "motion"
    # (hand box, extension, shelf, trusted, behind) while on; trusted: the whole shopper was seen (feet not hidden),
    # nobody in front of the hand; behind: someone nearer the camera stood in front of the hand
    hands: list[tuple[Box, float, str, bool, bool]] = field(default_factory=list)
    walked: bool = False  # moved faster than a standing shopper since the signal was last on


def hand_behind(boxes: npt.NDArray[np.float32], row: int, hand: Box, cover: float) -> bool:
    """Whether another of the (n, 4) boxes (pixels), nearer the camera than ``boxes[row]`` (a lower bottom), spans
    at least ``cover`` of its width and rises above the middle of ``hand``: someone stands in front of that hand."""
    if cover <= 0 or len(boxes) < 2:
        return False
    own = boxes[row]
    across = np.minimum(boxes[:, 2], own[2]) - np.maximum(boxes[:, 0], own[0])
    in_front = (boxes[:, 3] > own[3]) & (across >= cover * max(float(own[2] - own[0]), 1.0))
    return bool((in_front & (boxes[:, 1] <= (hand[1] + hand[3]) / 2)).any())


def _union(boxes: Sequence[Box]) -> Box:
    array = np.asarray(boxes, np.float64)
    return float(array[:, 0].min()), float(array[:, 1].min()), float(array[:, 2].max()), float(array[:, 3].max())


class ReachDetector:
    """Reach state of every track of one camera. Call ``update`` every frame, in time order.

    A track makes one reach at a time, however many shelf zones its hand passes (a hand on its way to an upper
    board crosses the lower ones; a hand on the line between two boards): the reach goes to the shelf where the
    hand was when the arm was out furthest. The shelf the hand is in is asked first, with ``shelf_margin_px``.

    Args:
        shelves: The camera's shelf zones (reference pixels).
        settings: Tuning.
    """

    def __init__(self, shelves: Sequence[Zone], settings: ReachSettings | None = None) -> None:
        self.shelves = {zone.zone_id: zone for zone in shelves}
        self.settings = settings or ReachSettings()
        self._tracks: dict[int, _TrackReach] = {}

    def active(self) -> dict[int, tuple[str, float, Box]]:
        """{track id: (shelf id, start, hand region so far)} of the reaches on now."""
        return {
            tid: (s.shelf_id, s.start, _union([box for box, _, shelf, *_ in s.hands if shelf == s.shelf_id]))
            for tid, s in self._tracks.items()
            if s.start is not None and s.hands and s.shelf_id is not None
        }

    def update(
        self,
        tracks: FrameDetections,
        t: float,
        *,
        arms: Mapping[str, Sequence[Box | None]] | None = None,
        hands: Hands | None = None,
        standing: Mapping[str, set[int]] | None = None,
        feet_hidden: npt.NDArray[np.bool_] | None = None,
    ) -> list[Reach]:
        """Advance to time ``t``.

        Args:
            tracks: The frame's tracks, reference pixels.
            t: Frame time, epoch seconds.
            arms: Motion fallback: {shelf id: ``arms[i]``, the arm box beside ``tracks[i]`` at that shelf}
                (``ShelfState.arms``).
            hands: Pose: the hands of every row of ``tracks`` (`shelfsight.vision.events.wrists.find_hands`); rows whose
                hands were not seen give no signal. When given, ``arms`` is not used.
            standing: {shelf id: rows standing in front of it}; a shelf missing from it can be reached by anyone.
            feet_hidden: Rows whose boxes are cut short from below (`shelfsight.vision.events.feet`): a pose fitted to
                half a body may still show a hand at the shelf, but a hand it places elsewhere is no sign the reach
                ended.
        """
        assert tracks.tracker_id is not None
        ended: list[Reach] = []
        present = set()
        source: ReachSource = "motion" if hands is None else "pose"
        for row, track_id in enumerate(tracks.tracker_id.tolist()):
            present.add(track_id)
            state = self._sighting(track_id, tracks.xyxy[row], t)
            shelf_id, hand, seen = self._signal(state, row, arms, hands, standing)
            cut = feet_hidden is not None and bool(feet_hidden[row])
            seen = seen and not (cut and hands is not None)
            still = state.speed_hps <= self.settings.max_speed_hps
            if hand is not None and still and shelf_id is not None:
                behind = hand_behind(tracks.xyxy, row, hand[0], self.settings.front_cover)
                self._on(state, shelf_id, hand, t, source, trusted=not (cut or behind), behind=behind)
            elif state.start is None:
                state.first_on, state.hands, state.shelf_id = None, [], None  # a run too short to start a reach
            else:
                state.walked = state.walked or not still
                if seen and state.off_since is None:
                    state.off_since = t  # the hand is seen, and not at the shelf
                off_for = 0.0 if state.off_since is None else t - state.off_since
                if off_for > self.settings.end_grace_s or t - state.last_on > self.settings.hidden_grace_s:
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

    def _signal(
        self,
        state: _TrackReach,
        row: int,
        arms: Mapping[str, Sequence[Box | None]] | None,
        hands: Hands | None,
        standing: Mapping[str, set[int]] | None,
    ) -> tuple[str | None, tuple[Box, float] | None, bool]:
        """(shelf, hand, whether a hand was seen) of one row this frame. The shelf of the reach going on is asked
        first (with ``shelf_margin_px``), then the others in order."""
        order = sorted(self.shelves, key=lambda shelf_id: shelf_id != state.shelf_id)
        seen = False
        for shelf_id in order:
            if standing is not None and shelf_id in standing and row not in standing[shelf_id]:
                continue
            if hands is not None:
                margin = self.settings.shelf_margin_px if shelf_id == state.shelf_id else 0.0
                hand, seen_here = self._pose_hand(hands, row, self.shelves[shelf_id], margin)
                seen = seen or seen_here
            else:
                hand, seen = self._arm((arms or {}).get(shelf_id, ()), row), True
            if hand is not None:
                return shelf_id, hand, True
        return None, None, seen

    def _on(
        self,
        state: _TrackReach,
        shelf_id: str,
        hand: tuple[Box, float],
        t: float,
        source: ReachSource,
        *,
        trusted: bool,
        behind: bool,
    ) -> None:
        state.shelf_id = shelf_id  # where the hand is now (asked first next frame)
        sample = (*hand, shelf_id, trusted, behind)
        if state.start is None:
            state.first_on = t if state.first_on is None else state.first_on
            if t - state.first_on < self.settings.start_s:
                state.hands.append(sample)
                return
            state.start, state.source = state.first_on, source
        state.last_on, state.walked, state.off_since = t, False, None
        state.hands.append(sample)

    def _sighting(self, track_id: int, box: npt.NDArray[np.float32], t: float) -> _TrackReach:
        """Note where the track is; its speed is the slower of its head and its feet: someone walking in front
        hides the feet (the box shrinks from below) or the head, never both, while a walker moves both."""
        ends = (float(box[0] + box[2]) / 2, float(box[1]), float(box[3]))
        state = self._tracks.get(track_id)
        if state is None:
            state = self._tracks[track_id] = _TrackReach(last=(*ends, t))
            return state
        x, top, bottom, last_t = state.last
        if t > last_t:
            height = max(float(box[3] - box[1]), 1.0)
            head = float(np.hypot(ends[0] - x, ends[1] - top))
            feet = float(np.hypot(ends[0] - x, ends[2] - bottom))
            speed = min(head, feet) / height / (t - last_t)
            state.speed_hps += 0.5 * (speed - state.speed_hps)
        state.last = (*ends, t)
        return state

    @staticmethod
    def _pose_hand(hands: Hands, row: int, shelf: Zone, margin: float) -> tuple[tuple[Box, float] | None, bool]:
        """(the reaching hand of ``row`` inside ``shelf`` (or within ``margin`` pixels of it; the further out of
        two) or None, whether a hand was seen at all): a hand seen elsewhere says the reach is over, a hand not
        seen says nothing."""
        inside = shelf.contains(hands.tip[row]) if margin <= 0 else shelf.distance_inside(hands.tip[row]) >= -margin
        on = hands.reaching[row] & inside
        seen = bool(hands.seen[row].any())
        if not on.any():
            return None, seen
        side = int(np.argmax(np.where(on, hands.extension[row], -np.inf)))
        x, y = (float(v) for v in hands.tip[row, side])
        r = float(hands.radius[row])
        return ((x - r, y - r, x + r, y + r), float(hands.extension[row, side])), seen

    @staticmethod
    def _arm(arms: Sequence[Box | None], row: int) -> tuple[Box, float] | None:
        arm = arms[row] if row < len(arms) else None
        return None if arm is None else (arm, 1.0)

    def _finish(self, track_id: int, state: _TrackReach) -> list[Reach]:
        """The reach of ``state`` as it ends (none if it was too short). Its shelf is where the hand was when the
        arm was out furthest: a hand reaching for an upper board passes the lower ones on its way."""
        start, hands, walked = state.start, state.hands, state.walked
        state.start, state.first_on, state.hands, state.walked, state.shelf_id = None, None, [], False, None
        state.off_since = None
        if start is None or not hands or state.last_on - start < self.settings.min_reach_s - TIME_TOLERANCE_S:
            return []
        # A pose fitted to a box cut short or hidden behind someone keeps a reach going but does not place it.
        placing = [sample for sample in hands if sample[3]] or hands
        _, furthest, shelf_id, *_ = max(placing, key=lambda sample: sample[1])
        spot = _union(
            [
                box
                for box, extension, shelf, *_ in placing
                if shelf == shelf_id and extension >= self.settings.spot_share * furthest
            ]
        )
        clear = sum(not sample[4] for sample in hands) > self.settings.min_clear_share * len(hands)
        return [Reach(track_id, shelf_id, start, state.last_on, spot, walked, state.source, clear)]
