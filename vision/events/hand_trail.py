"""Where each standing shopper's hands have been: who made a shelf change that no reach claimed.

A reach low beside the hip (the bottom boards, the facing next to the shopper) barely moves the arm away from where
a hanging arm is, and a passer-by in front makes the pose put the hand anywhere: no reach is seen, or one a facing
off. The change it made is then seen by nobody's spot check and, after ``relearn_s``, would be learned into the
picture in silence (`shelfsight.vision.events.shelf_state.ShelfState.unclaimed`). The hand trail gives it to the
shopper whose hand came near it while standing at that shelf in the last ``window_s`` (when only one did: with two,
whose it was is a guess), and places the reach around the moment that hand was stretched out furthest there.

Reference pixels; epoch seconds. Pure bookkeeping: numbers in, a `Reach` (or None) out.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from shelfsight.vision.events.reach import Box, Reach
from shelfsight.vision.events.wrists import Hands

MAX_REACH_S = 2.4
"""A claimed reach longer than this (a hand resting beside the facing all along) is cut to `MAX_REACH_S` around the
moment the arm was out furthest, seconds."""

SAME_RUN_S = 0.6
"""Two sightings of a hand near the change this far apart or less are one reach, seconds."""


@dataclass(frozen=True)
class HandSighting:
    """One hand of one standing shopper in one frame.

    Attributes:
        t: Frame time, epoch seconds.
        track_id: The shopper.
        shelf_id: The shelf they stood at.
        tip: (x, y) where the hand touches, reference pixels.
        radius: Half the side of the hand's region, reference pixels.
        extension: How far the hand was from a hanging hand, torso lengths.
    """

    t: float
    track_id: int
    shelf_id: str
    tip: tuple[float, float]
    radius: float
    extension: float


class HandTrail:
    """The hands of the shoppers standing at each shelf over the last ``window_s`` seconds.

    Args:
        window_s: How long a sighting is kept, seconds: the longest time from a take to its change being claimed.
        margin: A hand within this many hand widths of a change may have made it.
    """

    def __init__(self, *, window_s: float, margin: float) -> None:
        self.window_s = window_s
        self.margin = margin
        self._seen: deque[HandSighting] = deque()

    def add(
        self, t: float, track_ids: npt.NDArray[np.int64], hands: Hands, standing: Mapping[str, Collection[int]]
    ) -> None:
        """Note the seen hands of the rows standing at each shelf (``standing``: {shelf id: rows})."""
        while self._seen and t - self._seen[0].t > self.window_s:
            self._seen.popleft()
        for shelf_id, rows in standing.items():
            for row in rows:
                for side in (0, 1):
                    if not hands.seen[row, side]:
                        continue
                    x, y = hands.tip[row, side]
                    self._seen.append(
                        HandSighting(
                            t,
                            int(track_ids[row]),
                            shelf_id,
                            (float(x), float(y)),
                            float(hands.radius[row]),
                            float(hands.extension[row, side]),
                        )
                    )

    def claim(self, shelf_id: str, box: Box) -> Reach | None:
        """The reach that most likely made a change over ``box`` of ``shelf_id``: of the one shopper whose hand came
        near it (within ``margin`` hand widths), around when that hand was stretched out furthest near it; None when
        no standing shopper's hand came near, or more than one's did."""
        if self.margin <= 0:
            return None
        near: dict[int, list[tuple[float, HandSighting]]] = {}
        for seen in self._seen:
            if seen.shelf_id != shelf_id:
                continue
            distance = _distance(seen.tip, box)
            if distance <= self.margin * 2.0 * seen.radius:
                near.setdefault(seen.track_id, []).append((distance, seen))
        if len(near) != 1:  # nobody, or two shoppers' hands came near it: whose is a guess
            return None
        (track_id,) = near
        sightings = sorted((seen for _, seen in near[track_id]), key=lambda s: s.t)
        peak = max(sightings, key=lambda s: s.extension)
        start, end = _run_around(sightings, peak.t)
        if end - start > MAX_REACH_S:
            start, end = max(start, peak.t - MAX_REACH_S / 2), min(end, peak.t + MAX_REACH_S / 2)
        x, y, r = peak.tip[0], peak.tip[1], peak.radius
        return Reach(track_id, shelf_id, start, end, (x - r, y - r, x + r, y + r), source="pose")


def _distance(point: tuple[float, float], box: Box) -> float:
    """Pixels from ``point`` to the nearest point of ``box`` (0 inside it)."""
    dx = max(box[0] - point[0], 0.0, point[0] - box[2])
    dy = max(box[1] - point[1], 0.0, point[1] - box[3])
    return float(np.hypot(dx, dy))


def _run_around(sightings: list[HandSighting], t: float) -> tuple[float, float]:
    """The first and last time of the run of ``sightings`` (time-sorted) without a gap over `SAME_RUN_S` that holds
    ``t``."""
    times = [s.t for s in sightings]
    i = times.index(t)
    start = end = i
    while start > 0 and times[start] - times[start - 1] <= SAME_RUN_S:
        start -= 1
    while end < len(times) - 1 and times[end + 1] - times[end] <= SAME_RUN_S:
        end += 1
    return times[start], times[end]
