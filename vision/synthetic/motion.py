"""From a shopper's script to where they are and what they do at any scene time.

`plan_shopper` lays the script out as timed segments (walk, stand, stand-and-reach) on the floor; a plan's
`ShopperPlan.state_at` then answers for any time ``t`` without stepping through earlier frames, so frames can
be rendered in any order (every 5th for a test, all for a video) with identical results.
"""

from __future__ import annotations

import bisect
import logging
import math
from dataclasses import dataclass
from typing import Final, Literal

from shelfsight.vision.synthetic.figure import Facing
from shelfsight.vision.synthetic.layout import SceneLayout
from shelfsight.vision.synthetic.look import Look
from shelfsight.vision.synthetic.scenario import Leave, Reach, ReachAction, ShopperSpec, Side, Step, Wait, Walk

logger = logging.getLogger(__name__)

STRIDE_PER_HEIGHT: Final = 0.8
"""Length of one gait cycle (two steps) per metre of body height: 1.4 m for a 1.75 m shopper."""

EXTEND_SHARE: Final = 0.4
"""Share of a reach spent moving the hand to the shelf (and again back); the middle 20 % it rests there."""

SIDEWAYS_RATIO: Final = 0.6
"""A walk is seen from the side when its sideways motion is at least this share of its depth motion."""


@dataclass(frozen=True)
class ReachPlan:
    """One reach into a shelf spot.

    Attributes:
        shelf_id: Shelf reached into.
        spot_id: Spot the hand goes to.
        action: touch, take or return.
        t_start: Scene time the arm starts to move, seconds.
        t_end: Scene time the arm is back down.
        target_m: World point the hand reaches (the spot's front centre).
        side: Image side of the reaching arm: -1 left, +1 right.
        stand_m: Floor point (x, z) the shopper reaches from.
        step: Index of the script step, for error messages.
    """

    shelf_id: str
    spot_id: str
    action: ReachAction
    t_start: float
    t_end: float
    target_m: tuple[float, float, float]
    side: int
    stand_m: tuple[float, float]
    step: int

    @property
    def t_peak(self) -> float:
        """Scene time the hand is deepest in the shelf: the item leaves or arrives then."""
        return (self.t_start + self.t_end) / 2.0

    def extension(self, t: float) -> float:
        """How far the arm is out at time ``t``: 0 down, 1 hand at the spot (smooth in and out)."""
        u = (t - self.t_start) / (self.t_end - self.t_start)
        if u <= 0.0 or u >= 1.0:
            return 0.0
        ramp = min(u, 1.0 - u) / EXTEND_SHARE
        if ramp >= 1.0:
            return 1.0
        return ramp * ramp * (3.0 - 2.0 * ramp)


@dataclass(frozen=True)
class Segment:
    """A stretch of a shopper's time: walking from ``start`` to ``end``, or standing (maybe reaching)."""

    kind: Literal["walk", "stand"]
    t0: float
    t1: float
    start: tuple[float, float]
    end: tuple[float, float]
    distance0: float
    facing: Facing
    reach: ReachPlan | None = None


@dataclass(frozen=True)
class ShopperState:
    """A shopper at one instant: floor position (metres), facing, gait and reach."""

    shopper_id: int
    x_m: float
    z_m: float
    facing: Facing
    walking: bool
    gait_phase: float
    reach: ReachPlan | None
    extension: float


@dataclass(frozen=True)
class ShopperPlan:
    """A shopper's whole timeline.

    Attributes:
        spec: The scenario entry.
        look: How they look.
        segments: Consecutive segments from entering to leaving.
        reaches: Every reach, in time order.
    """

    spec: ShopperSpec
    look: Look
    segments: tuple[Segment, ...]
    reaches: tuple[ReachPlan, ...]

    @property
    def t_enter(self) -> float:
        """Scene time the shopper starts walking in (from off-screen)."""
        return self.segments[0].t0

    @property
    def t_exit(self) -> float:
        """Scene time the shopper has walked off-screen."""
        return self.segments[-1].t1

    def state_at(self, t: float) -> ShopperState | None:
        """Where the shopper is at scene time ``t``; None before they enter or after they left."""
        if not self.t_enter <= t < self.t_exit:
            return None
        starts = [s.t0 for s in self.segments]
        seg = self.segments[bisect.bisect_right(starts, t) - 1]
        u = 0.0 if seg.t1 <= seg.t0 else (t - seg.t0) / (seg.t1 - seg.t0)
        x = seg.start[0] + (seg.end[0] - seg.start[0]) * u
        z = seg.start[1] + (seg.end[1] - seg.start[1]) * u
        walked = seg.distance0 + math.dist(seg.start, seg.end) * u
        phase = 2.0 * math.pi * walked / (STRIDE_PER_HEIGHT * self.look.height_m)
        extension = seg.reach.extension(t) if seg.reach is not None else 0.0
        return ShopperState(self.spec.id, x, z, seg.facing, seg.kind == "walk", phase, seg.reach, extension)


def _walk_facing(start: tuple[float, float], end: tuple[float, float]) -> Facing:
    dx, dz = end[0] - start[0], end[1] - start[1]
    if abs(dx) >= SIDEWAYS_RATIO * abs(dz):
        return "right" if dx > 0 else "left"
    return "away" if dz > 0 else "toward"


class _Planner:
    """Accumulates segments while walking through a script."""

    def __init__(self, spec: ShopperSpec, layout: SceneLayout) -> None:
        self.spec, self.layout = spec, layout
        self.lane_z = layout.lane_z(spec.lane_m)
        self.pos = (layout.offscreen_x(spec.side, self.lane_z), self.lane_z)
        self.t = spec.enter_s
        self.walked = 0.0
        self.segments: list[Segment] = []
        self.reaches: list[ReachPlan] = []
        self.shelf: str | None = None

    def walk_to(self, target: tuple[float, float]) -> None:
        distance = math.dist(self.pos, target)
        if distance < 1e-6:
            return
        t1 = self.t + distance / self.spec.speed_mps
        self.segments.append(Segment("walk", self.t, t1, self.pos, target, self.walked, _walk_facing(self.pos, target)))
        self.t, self.pos, self.walked = t1, target, self.walked + distance

    def stand(self, seconds: float, reach: ReachPlan | None = None) -> None:
        if seconds <= 0:
            return
        at_shelf = self.layout.standing_shelf_at(*self.pos) is not None
        facing: Facing = "away" if at_shelf or reach is not None else "toward"
        self.segments.append(Segment("stand", self.t, self.t + seconds, self.pos, self.pos, self.walked, facing, reach))
        self.t += seconds

    def reach(self, step: Reach, index: int) -> None:
        shelf_id = step.shelf or self.shelf or ""
        spot = self.layout.shelf(shelf_id).spots[step.spot]
        target = spot.centre_m
        side = 1 if target[0] >= self.pos[0] else -1
        plan = ReachPlan(shelf_id, step.spot, step.action, self.t, self.t + step.seconds, target, side, self.pos, index)
        self.reaches.append(plan)
        self.stand(step.seconds, plan)

    def leave(self, side: Side | None) -> None:
        out: Side = side or ("right" if self.spec.side == "left" else "left")
        self.walk_to((self.layout.offscreen_x(out, self.lane_z), self.lane_z))

    def run(self, steps: tuple[Step, ...]) -> None:
        for index, step in enumerate(steps):
            if isinstance(step, Walk):
                self.walk_to(self.layout.stand_point(step, self.pos[0]))
                self.shelf = step.shelf
            elif isinstance(step, Wait):
                self.stand(step.seconds)
            elif isinstance(step, Reach):
                self.reach(step, index)
            else:
                self.leave(step.side)
        if not steps or not isinstance(steps[-1], Leave):
            self.leave(None)


def time_to_first_stop(spec: ShopperSpec, layout: SceneLayout) -> float:
    """Seconds from entering to standing still for the first time (the end of the first walk)."""
    planner = _Planner(spec, layout)
    planner.run(spec.script)
    first = next((s for s in planner.segments if s.kind == "stand"), planner.segments[0])
    return first.t0 - spec.enter_s


def plan_shopper(spec: ShopperSpec, look: Look, layout: SceneLayout) -> ShopperPlan:
    """Lay a shopper's script out in time and space.

    The shopper appears off-screen on ``spec.side`` in their lane at ``spec.enter_s``, walks at
    ``spec.speed_mps`` between points, stands for waits and reaches, and walks off-screen at the end (to the
    opposite side unless the last step says otherwise).
    """
    planner = _Planner(spec, layout)
    planner.run(spec.script)
    return ShopperPlan(spec, look, tuple(planner.segments), tuple(planner.reaches))
