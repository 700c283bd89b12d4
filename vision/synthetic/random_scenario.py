"""Random scenarios: a crowd of shoppers drawn from a seed and a few rates, seen by a real camera's faults.

`crowd_shoppers` turns a `CrowdSpec` into scripted `ShopperSpec`s: arrival times spread over the window, a
side and lane for each, and whether they pass by, dwell at a shelf, touch, take, or take and put back
(sometimes into another empty spot: a misplaced item); then the shoppers already standing at a shelf when
the video starts (mid-visit, maybe mid-reach). Every facing a crowd shopper takes or fills is used by that
shopper only, so the scripts never conflict whatever their timing.

`random_scenario` wraps a crowd in a default two-shelf store and, unless ``clean``, draws from the seed what a
real store camera adds (`camera_faults`): the view, jitter and drift, H.264 at a CCTV bitrate, sensor noise,
auto-exposure steps, motion blur, lens distortion, dense packaging and shoppers in place at the start, each
at a strength drawn from a realistic range. The same seed and rates always give the same scenario; the crowd
is the same with and without the faults (the faults add the shoppers in place after it).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Final, get_args

import numpy as np

from shelfsight.vision.synthetic.motion import EXTEND_SHARE
from shelfsight.vision.synthetic.scenario import (
    CameraSpec,
    CrowdSpec,
    EffectsSpec,
    LayoutSpec,
    Leave,
    Reach,
    Scenario,
    ShelfSpec,
    ShopperSpec,
    Side,
    Step,
    ViewKind,
    Wait,
    Walk,
    spot_ids,
)

logger = logging.getLogger(__name__)

CROWD_STREAM: Final = 7919
"""Separates the crowd's random stream from the scenario's other streams drawn from the same seed."""

MISPLACE_SHARE: Final = 0.3
"""Share of put-backs that go to another (empty) spot, when one is free."""

PASS_THROUGH_SHARE: Final = 0.5
"""Share of passers-by who cut through a shelf's standing zone (a pass-by visit) rather than keep to the lane."""

STANDING_STREAM: Final = 7927
"""Random stream of the shoppers already in place at the start (so the arrivals are the same without them)."""

FAULT_STREAM: Final = 3571
"""Random stream of a random scenario's camera faults."""

SpotKey = tuple[str, str]


class _SpotPool:
    """Spots not yet claimed by any crowd shopper, split into filled and empty ones (seeded order)."""

    def __init__(self, rng: np.random.Generator, shelves: Sequence[ShelfSpec], filled: set[SpotKey]) -> None:
        keys = [(shelf.id, spot) for shelf in shelves for spot in spot_ids(shelf)]
        order = rng.permutation(len(keys))
        self.filled = [keys[i] for i in order if keys[i] in filled]
        self.empty = [keys[i] for i in order if keys[i] not in filled]

    def take_filled(self, shelf_id: str) -> str | None:
        return self._pop(self.filled, shelf_id)

    def take_empty(self, shelf_id: str) -> str | None:
        return self._pop(self.empty, shelf_id)

    @staticmethod
    def _pop(pool: list[SpotKey], shelf_id: str) -> str | None:
        for index, (shelf, spot) in enumerate(pool):
            if shelf == shelf_id:
                del pool[index]
                return spot
        return None


REACH_OFFSET_M: Final = 0.55
"""How far to the side of a spot a crowd shopper stands to reach it, metres. Seen from across the aisle a reach
straight ahead is hidden by the shopper's own body, and one to a spot just beside a hanging hand barely moves it;
half a metre to the side, the arm is seen stretched out to the spot (`Walk.offset_m` defaults to 0.35)."""


def _walk_to(shelf: str, spot: str) -> Walk:
    return Walk(shelf=shelf, spot=spot, offset_m=REACH_OFFSET_M)


def _wait(rng: np.random.Generator, low: float, high: float) -> Wait:
    return Wait(round(float(rng.uniform(low, high)), 2))


def _take_script(rng: np.random.Generator, crowd: CrowdSpec, shelf: str, spot: str, pool: _SpotPool) -> list[Step]:
    steps: list[Step] = [_walk_to(shelf, spot), _wait(rng, 0.8, 3.0), Reach(spot=spot, action="take")]
    steps.append(_wait(rng, 1.0, 4.0))
    if rng.random() < crowd.return_share:
        target = spot
        if rng.random() < MISPLACE_SHARE:
            target = pool.take_empty(shelf) or spot
        if target != spot:
            steps.append(_walk_to(shelf, target))
        steps += [Reach(spot=target, action="return"), _wait(rng, 0.5, 2.0)]
    return steps


def _stop_script(
    rng: np.random.Generator, crowd: CrowdSpec, shelves: Sequence[ShelfSpec], pool: _SpotPool
) -> list[Step]:
    shelf = shelves[int(rng.integers(len(shelves)))]
    if rng.random() >= crowd.reach_share:
        return [Walk(shelf=shelf.id, at=round(float(rng.uniform(0.1, 0.9)), 3)), _wait(rng, 2.0, 14.0)]
    spot = pool.take_filled(shelf.id) if rng.random() < crowd.take_share else None
    if spot is not None:
        return _take_script(rng, crowd, shelf.id, spot, pool)
    ids = spot_ids(shelf)
    touched = ids[int(rng.integers(len(ids)))]
    steps: list[Step] = [_walk_to(shelf.id, touched), _wait(rng, 1.0, 4.0)]
    return [*steps, Reach(spot=touched, action="touch"), _wait(rng, 1.0, 5.0)]


ArrivalTime = Callable[[ShopperSpec], float]
"""Seconds a shopper takes from entering to standing at their first stop (the scene's geometry knows)."""


def _in_place_s(rng: np.random.Generator, script: list[Step]) -> float:
    """How long a shopper in place at the start has stood at their first stop: up to the moment their hand
    reaches the spot (mid-reach at most), or up to 1.5 s before a visit without a reach ends."""
    wait = script[1].seconds if isinstance(script[1], Wait) else 0.0
    reach = script[2] if len(script) > 2 else None
    if isinstance(reach, Reach):
        return float(rng.uniform(0.0, wait + EXTEND_SHARE * reach.seconds))  # the hand not yet on the spot
    return float(rng.uniform(0.0, max(0.0, wait - 1.5)))


def _standing_shoppers(
    crowd: CrowdSpec,
    shelves: Sequence[ShelfSpec],
    pool: _SpotPool,
    lanes_m: tuple[float, float],
    arrival_s: ArrivalTime,
) -> list[ShopperSpec]:
    """The shoppers already standing at a shelf at scene time 0: entered before it, mid-visit now."""
    rng = np.random.default_rng([crowd.seed, STANDING_STREAM])
    first_id = crowd.first_id + round(crowd.arrivals_per_min * crowd.window_s / 60.0)
    shoppers = []
    for index in range(crowd.standing_at_start):
        side: Side = "left" if rng.random() < 0.5 else "right"
        lane = round(float(rng.uniform(min(lanes_m), max(lanes_m))), 3)
        speed = round(float(rng.uniform(0.9, 1.4)), 3)
        # at least every other one reaches: a shopper caught mid-reach at the start is the case to show
        script = _stop_script(rng, replace(crowd, reach_share=max(crowd.reach_share, 0.5)), shelves, pool)
        spec = ShopperSpec(id=first_id + index, side=side, lane_m=lane, speed_mps=speed, script=(*script, Leave()))
        enter = -(arrival_s(spec) + _in_place_s(rng, script))
        shoppers.append(replace(spec, enter_s=math.floor(enter * 1000.0) / 1000.0))
    return shoppers


def crowd_shoppers(
    crowd: CrowdSpec,
    shelves: Sequence[ShelfSpec],
    filled: set[SpotKey],
    lanes_m: tuple[float, float],
    arrival_s: ArrivalTime | None = None,
) -> tuple[ShopperSpec, ...]:
    """Draw the crowd's shoppers.

    Args:
        crowd: Seed and rates.
        shelves: The store's shelves.
        filled: Spots holding a product at scene time 0; takes come only from these.
        lanes_m: (near, far) distance of the walking lanes from the shelves.
        arrival_s: Walking time to a shopper's first stop; needed when ``crowd.standing_at_start`` > 0.

    Returns:
        ``round(arrivals_per_min * window_s / 60)`` shoppers with ids from ``crowd.first_id``, in arrival order,
        then ``crowd.standing_at_start`` shoppers in place at the start (negative ``enter_s``).

    Raises:
        ValueError: When shoppers in place are asked for without ``arrival_s``.
    """
    rng = np.random.default_rng([crowd.seed, CROWD_STREAM])
    count = round(crowd.arrivals_per_min * crowd.window_s / 60.0)
    arrivals = np.sort(rng.uniform(0.0, crowd.window_s, count))
    pool = _SpotPool(rng, shelves, filled)
    shoppers = []
    for index, enter in enumerate(arrivals):
        side: Side = "left" if rng.random() < 0.5 else "right"
        lane = round(float(rng.uniform(min(lanes_m), max(lanes_m))), 3)
        if rng.random() < crowd.stop_share:
            script = _stop_script(rng, crowd, shelves, pool)
        elif rng.random() < PASS_THROUGH_SHARE:
            shelf = shelves[int(rng.integers(len(shelves)))]
            script = [Walk(shelf=shelf.id, at=round(float(rng.uniform(0.2, 0.8)), 3))]
        else:
            script = []
        shoppers.append(
            ShopperSpec(
                id=crowd.first_id + index,
                enter_s=round(float(enter), 3),
                side=side,
                lane_m=lane,
                speed_mps=round(float(rng.uniform(0.9, 1.4)), 3),
                script=(*script, Leave()),
            )
        )
    if crowd.standing_at_start:
        if arrival_s is None:
            raise ValueError("crowd.standing_at_start needs the scene's walking times (arrival_s)")
        shoppers += _standing_shoppers(crowd, shelves, pool, lanes_m, arrival_s)
    return tuple(shoppers)


DEFAULT_SHELVES: Final = (ShelfSpec(id="shelf-a", empty_share=0.05), ShelfSpec(id="shelf-b", empty_share=0.05))
"""The store of a random scenario: two 2 m units of five rows and eight facings."""


VIEW_SHARES: Final[dict[ViewKind, float]] = {"eye_level": 0.45, "high_oblique": 0.4, "overhead_fisheye": 0.15}
"""How often a random scenario gets each view (mostly the two shelf-facing ones)."""

STANDING_SHARES: Final = (0.5, 0.3, 0.2)
"""Chances that 0, 1 or 2 shoppers are already standing at a shelf when a faulty random scenario starts."""


@dataclass(frozen=True)
class CameraFaults:
    """What a random scenario's camera and store look like: view, effects, packaging, shoppers in place."""

    view: ViewKind
    effects: EffectsSpec
    packaging_detail: float
    standing_at_start: int


def camera_faults(seed: int) -> CameraFaults:
    """A real store camera's faults, each at a strength drawn from ``seed`` within what real cameras show.

    Ranges: jitter 0.4-2 px (log-uniform, about 0.9 px typical), drift 0-15 px over a 20-120 s cycle, H.264
    at 500-2000 kbit/s (log-uniform) with keyframes every 1-2 s, sensor noise sigma 1-3.5, 0.5-3 auto-exposure
    steps a minute of 10-25 %, motion blur over 20-70 % of the frame interval, 0-0.6 px focus softness, a
    lighting swing of up to 5 %, barrel distortion k1 0-0.12 (the fisheye view has its own lens), packaging
    detail 0.5-1; the view is eye level, high oblique or overhead fisheye (45 / 40 / 15 %), and 0, 1 or 2
    shoppers stand at a shelf when the video starts (50 / 30 / 20 %).

    With these, a shelf nobody goes near changes by more than 22 grey levels in a median 5 % of its pixels
    between frames 0.2 s apart (p90 22 %), as on real store footage (6.4 %, up to 19 %).
    """
    rng = np.random.default_rng([seed, FAULT_STREAM])
    views: tuple[ViewKind, ...] = get_args(ViewKind)
    view = views[int(rng.choice(len(views), p=[VIEW_SHARES[v] for v in views]))]

    def draw(low: float, high: float, digits: int = 2) -> float:
        return round(float(rng.uniform(low, high)), digits)

    def log_draw(low: float, high: float, digits: int = 2) -> float:
        return round(math.exp(rng.uniform(math.log(low), math.log(high))), digits)

    effects = EffectsSpec(
        jitter_px=log_draw(0.4, 2.0),
        drift_px=draw(0.0, 15.0, 1),
        drift_period_s=draw(20.0, 120.0, 0),
        h264_kbps=log_draw(500.0, 2000.0, -1),
        gop_s=float(rng.choice([1.0, 1.5, 2.0])),
        noise_sigma=draw(1.0, 3.5),
        exposure_steps_per_min=draw(0.5, 3.0),
        exposure_step=draw(0.1, 0.25),
        exposure_settle_s=draw(0.2, 0.6),
        motion_blur=draw(0.2, 0.7),
        blur_sigma_px=draw(0.0, 0.6),
        lighting_drift=draw(0.0, 0.05, 3),
        lighting_period_s=draw(30.0, 120.0, 0),
        lens_k1=0.0 if view == "overhead_fisheye" else draw(0.0, 0.12, 3),
    )
    detail = draw(0.5, 1.0)
    standing = int(rng.choice(len(STANDING_SHARES), p=STANDING_SHARES))
    return CameraFaults(view, effects, detail, standing)


def random_scenario(
    seed: int, crowd: CrowdSpec | None = None, *, view: ViewKind | None = None, clean: bool = False
) -> Scenario:
    """A random scenario named ``random-{seed}``: the default two-shelf store and a crowd from ``seed``, seen
    through a real camera's faults (`camera_faults`) unless ``clean``.

    Args:
        seed: Seed of the crowd, the stock, the looks and the faults.
        crowd: Rates; its own ``seed`` is replaced by ``seed`` (and, with faults, ``standing_at_start`` by the
            drawn one). Defaults to `CrowdSpec`'s defaults.
        view: Camera preset; None = drawn from the seed (eye level when ``clean``).
        clean: A perfect camera (still, no compression, no noise), plain packaging, nobody in place at the
            start and the simple arms: the synthetic store as it was before the faults (faulty scenarios draw
            jointed arms, which a pose model finds).
    """
    rates = replace(crowd or CrowdSpec(), seed=seed)
    about = f"random crowd from seed {seed}: {rates.arrivals_per_min:g} arrivals/min over {rates.window_s:g} s"
    if clean:
        return Scenario(
            name=f"random-{seed}",
            description=about,
            seed=seed,
            layout=LayoutSpec(shelves=DEFAULT_SHELVES),
            camera=CameraSpec(view=view or "eye_level"),
            crowd=rates,
        )
    faults = camera_faults(seed)
    chosen = view or faults.view
    effects = replace(faults.effects, lens_k1=0.0) if chosen == "overhead_fisheye" else faults.effects
    return Scenario(
        name=f"random-{seed}",
        description=f"{about}, through a real camera's faults",
        seed=seed,
        layout=LayoutSpec(shelves=DEFAULT_SHELVES, packaging_detail=faults.packaging_detail),
        camera=CameraSpec(view=chosen, effects=effects),
        crowd=replace(rates, standing_at_start=faults.standing_at_start),
        arms="jointed",
    )
