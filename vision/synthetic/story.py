"""What happens in a scenario, worked out before anything is drawn: every shopper's timeline and the shelf.

`build_story` plans each shopper (scripted ones and the seeded crowd), stocks the shelves, then replays every
reach in time order against the shelf: a take empties a filled spot and puts the item in the hand, a return
fills an empty spot with the held item, a touch changes nothing. A script that takes from an empty spot,
returns into a filled one, or reaches from outside the shelf's standing area is an error that names the
shopper, the step and the time. Rendering and ground truth both read the resulting `Story`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from typing import Final

import numpy as np

from shelfsight.vision.synthetic.checks import check_scenario
from shelfsight.vision.synthetic.layout import ARM_REACH_M, SceneLayout
from shelfsight.vision.synthetic.look import Look, random_look
from shelfsight.vision.synthetic.motion import ReachPlan, ShopperPlan, plan_shopper, time_to_first_stop
from shelfsight.vision.synthetic.products import ProductLook, stock_shelf
from shelfsight.vision.synthetic.random_scenario import crowd_shoppers
from shelfsight.vision.synthetic.scenario import Scenario, ScenarioError, ShopperSpec, spot_ids

logger = logging.getLogger(__name__)

SpotKey = tuple[str, str]
"""(shelf_id, spot_id)."""

TAIL_S: Final = 1.0
"""Scene time kept after the last shopper has left, when the scenario sets no duration."""

EMPTY_SCENE_S: Final = 10.0
"""Length of a scenario without shoppers and without a duration."""

LOOK_STREAM: Final = 7
"""Separates the random stream of shopper looks from the others drawn from the same scenario seed."""

STOCK_STREAM: Final = 1000
"""Likewise for the shelf stock (plus the shelf's index)."""


@dataclass(frozen=True)
class ShelfChange:
    """A spot's content changing at ``t_s``: ``product`` arrives, or None (the facing is gone)."""

    t_s: float
    key: SpotKey
    product: ProductLook | None


@dataclass(frozen=True)
class ReachOutcome:
    """One reach and what it did.

    Attributes:
        shopper_id: Who reached.
        reach: The reach.
        product: The item taken or returned; None for a touch.
        take: For a return, the take it reverses (the item's origin); None otherwise.
    """

    shopper_id: int
    reach: ReachPlan
    product: ProductLook | None
    take: ReachPlan | None


@dataclass(frozen=True)
class Story:
    """A scenario worked out in time: timelines, shelf contents and reach outcomes.

    Attributes:
        scenario: The scenario, with its crowd expanded into ``shoppers`` (``crowd`` None).
        layout: Its geometry.
        shoppers: Every shopper's plan, by id.
        initial: Spot contents at scene time 0 (None = empty).
        changes: Every change of a spot, in time order.
        outcomes: Every reach, in time order of its peak.
        carried: Per shopper, (from, to, item) intervals during which an item is in the hand.
        frame_count: Frames of the video.
    """

    scenario: Scenario
    layout: SceneLayout
    shoppers: tuple[ShopperPlan, ...]
    initial: dict[SpotKey, ProductLook | None]
    changes: tuple[ShelfChange, ...]
    outcomes: tuple[ReachOutcome, ...]
    carried: dict[int, tuple[tuple[float, float, ProductLook], ...]]
    frame_count: int

    @property
    def fps(self) -> float:
        """Frames per second of the video."""
        return self.scenario.camera.fps

    def frame_time(self, index: int) -> float:
        """Scene time of frame ``index`` (0-based), seconds."""
        return index / self.fps

    def shelf_state_at(self, t: float) -> dict[SpotKey, ProductLook | None]:
        """Every spot's content at scene time ``t`` (changes at exactly ``t`` have happened)."""
        state = dict(self.initial)
        for change in self.changes:
            if change.t_s > t:
                break
            state[change.key] = change.product
        return state

    def carrying(self, shopper_id: int, t: float) -> ProductLook | None:
        """The item in a shopper's hand at scene time ``t``, if any."""
        return next((item for t0, t1, item in self.carried.get(shopper_id, ()) if t0 <= t < t1), None)


def _stock(scenario: Scenario) -> dict[SpotKey, ProductLook | None]:
    state: dict[SpotKey, ProductLook | None] = {}
    for index, shelf in enumerate(scenario.layout.shelves):
        rng = np.random.default_rng([scenario.seed, STOCK_STREAM + index])
        ids = spot_ids(shelf)
        products = stock_shelf(rng, ids, shelf.columns)
        gaps = rng.random(len(ids)) < shelf.empty_share
        for spot_id, gap in zip(ids, gaps, strict=True):
            empty = gap or spot_id in shelf.empty
            state[(shelf.id, spot_id)] = None if empty else products[spot_id]
    return state


def _all_shoppers(
    scenario: Scenario, layout: SceneLayout, initial: dict[SpotKey, ProductLook | None]
) -> tuple[ShopperSpec, ...]:
    shoppers = scenario.shoppers
    if scenario.crowd is not None:
        filled = {key for key, product in initial.items() if product is not None}
        crowd = crowd_shoppers(
            scenario.crowd,
            scenario.layout.shelves,
            filled,
            layout.preset.lanes_m,
            lambda spec: time_to_first_stop(spec, layout),
        )
        clash = {s.id for s in shoppers} & {s.id for s in crowd}
        if clash:
            raise ScenarioError(
                [f"crowd.first_id: crowd ids {sorted(clash)} clash with scripted shoppers"], scenario.name
            )
        shoppers = shoppers + crowd
    return shoppers


def _where(plan: ShopperPlan, reach: ReachPlan) -> str:
    what = f"{reach.action} {reach.shelf_id}/{reach.spot_id} at {reach.t_start:.2f} s"
    return f"shopper {plan.spec.id}, script[{reach.step}] ({what})"


def _check_reach(plan: ShopperPlan, reach: ReachPlan, layout: SceneLayout) -> list[str]:
    unit = layout.shelf(reach.shelf_id)
    x, z = reach.stand_m
    problems = []
    if not unit.in_standing_area(x, z):
        problems.append(
            f"{_where(plan, reach)}: reaches from x {x:.2f} m, {layout.shelf_z - z:.2f} m from the "
            f"shelves, outside the standing area of {unit.spec.id!r}; walk to that shelf first"
        )
    if abs(reach.target_m[0] - x) > ARM_REACH_M:
        problems.append(
            f"{_where(plan, reach)}: the spot is {abs(reach.target_m[0] - x):.2f} m to the side, beyond"
            f" arm's reach ({ARM_REACH_M} m); walk to the spot first"
        )
    return problems


class _ShelfReplay:
    """Replays reaches against the shelf contents, collecting outcomes, changes, items in hand and problems."""

    def __init__(self, initial: dict[SpotKey, ProductLook | None], layout: SceneLayout) -> None:
        self.state, self.layout = dict(initial), layout
        self.since: dict[SpotKey, str] = {}
        self.changes: list[ShelfChange] = []
        self.outcomes: list[ReachOutcome] = []
        self.held: dict[int, tuple[float, ProductLook, ReachPlan]] = {}
        self.carried: dict[int, list[tuple[float, float, ProductLook]]] = {}
        self.problems: list[str] = []

    def apply(self, plan: ShopperPlan, reach: ReachPlan) -> None:
        self.problems += _check_reach(plan, reach, self.layout)
        key, sid, t = (reach.shelf_id, reach.spot_id), plan.spec.id, reach.t_peak
        if reach.action == "touch":
            self.outcomes.append(ReachOutcome(sid, reach, None, None))
            return
        product = self.state[key]
        if reach.action == "take":
            if product is None:
                self.problems.append(f"{_where(plan, reach)}: the spot is empty then{self.since.get(key, '')}")
                return
            self.held[sid] = (t, product, reach)
            self.outcomes.append(ReachOutcome(sid, reach, product, None))
            self._change(t, key, None, f" (emptied by shopper {sid} at {t:.2f} s)")
            return
        start, item, take = self.held.pop(sid)
        if product is not None:
            self.problems.append(f"{_where(plan, reach)}: the spot is filled then{self.since.get(key, '')}")
        self.carried.setdefault(sid, []).append((start, t, item))
        self.outcomes.append(ReachOutcome(sid, reach, item, take))
        self._change(t, key, item, f" (filled by shopper {sid} at {t:.2f} s)")

    def _change(self, t: float, key: SpotKey, product: ProductLook | None, why: str) -> None:
        self.state[key] = product
        self.since[key] = why
        self.changes.append(ShelfChange(t, key, product))

    def finish(self) -> None:
        """Items still in hand leave the store with the shopper (takes)."""
        for sid, (start, item, _) in self.held.items():
            self.carried.setdefault(sid, []).append((start, math.inf, item))
        self.held.clear()
        for sid in self.carried:
            self.carried[sid].sort(key=lambda c: c[0])


def _look(scenario: Scenario, spec: ShopperSpec) -> Look:
    seed = spec.look_seed if spec.look_seed is not None else spec.id
    return random_look(np.random.default_rng([scenario.seed, seed, LOOK_STREAM]), spec.height_m)


def build_story(scenario: Scenario) -> Story:
    """Work a scenario out in time.

    Raises:
        ScenarioError: When the layout does not fit the camera, or a reach is impossible (listing all).
    """
    check_scenario(scenario, scenario.name)
    layout = SceneLayout(scenario)
    initial = _stock(scenario)
    specs = _all_shoppers(scenario, layout, initial)
    plans = tuple(plan_shopper(spec, _look(scenario, spec), layout) for spec in specs)
    replay = _ShelfReplay(initial, layout)
    reaches = sorted(((p, r) for p in plans for r in p.reaches), key=lambda pr: (pr[1].t_peak, pr[0].spec.id))
    for plan, reach in reaches:
        replay.apply(plan, reach)
    if replay.problems:
        raise ScenarioError(replay.problems, scenario.name)
    replay.finish()
    duration = scenario.duration_s
    if duration is None:
        duration = max((p.t_exit for p in plans), default=EMPTY_SCENE_S - TAIL_S) + TAIL_S
    expanded = replace(scenario, shoppers=specs, crowd=None)
    return Story(
        scenario=expanded,
        layout=layout,
        shoppers=plans,
        initial=initial,
        changes=tuple(replay.changes),
        outcomes=tuple(replay.outcomes),
        carried={sid: tuple(c) for sid, c in replay.carried.items()},
        frame_count=max(1, math.ceil(duration * scenario.camera.fps - 1e-9)),
    )
