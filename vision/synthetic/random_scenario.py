"""Random scenarios: a crowd of shoppers drawn from a seed and a few rates.

`crowd_shoppers` turns a `CrowdSpec` into scripted `ShopperSpec`s: arrival times spread over the window, a
side and lane for each, and whether they pass by, dwell at a shelf, touch, take, or take and put back
(sometimes into another empty spot: a misplaced item). Every facing a crowd shopper takes or fills is used
by that shopper only, so the scripts never conflict whatever their timing. `random_scenario` wraps a crowd in
a default two-shelf store. The same seed and rates always give the same scenario.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Final

import numpy as np

from vision.synthetic.scenario import (
    CameraSpec,
    CrowdSpec,
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


def _wait(rng: np.random.Generator, low: float, high: float) -> Wait:
    return Wait(round(float(rng.uniform(low, high)), 2))


def _take_script(rng: np.random.Generator, crowd: CrowdSpec, shelf: str, spot: str, pool: _SpotPool) -> list[Step]:
    steps: list[Step] = [Walk(shelf=shelf, spot=spot), _wait(rng, 0.8, 3.0), Reach(spot=spot, action="take")]
    steps.append(_wait(rng, 1.0, 4.0))
    if rng.random() < crowd.return_share:
        target = spot
        if rng.random() < MISPLACE_SHARE:
            target = pool.take_empty(shelf) or spot
        if target != spot:
            steps.append(Walk(shelf=shelf, spot=target))
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
    steps: list[Step] = [Walk(shelf=shelf.id, spot=touched), _wait(rng, 1.0, 4.0)]
    return [*steps, Reach(spot=touched, action="touch"), _wait(rng, 1.0, 5.0)]


def crowd_shoppers(
    crowd: CrowdSpec, shelves: Sequence[ShelfSpec], filled: set[SpotKey], lanes_m: tuple[float, float]
) -> tuple[ShopperSpec, ...]:
    """Draw the crowd's shoppers.

    Args:
        crowd: Seed and rates.
        shelves: The store's shelves.
        filled: Spots holding a product at scene time 0; takes come only from these.
        lanes_m: (near, far) distance of the walking lanes from the shelves.

    Returns:
        ``round(arrivals_per_min * window_s / 60)`` shoppers with ids from ``crowd.first_id``, in arrival order.
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
    return tuple(shoppers)


DEFAULT_SHELVES: Final = (ShelfSpec(id="shelf-a", empty_share=0.05), ShelfSpec(id="shelf-b", empty_share=0.05))
"""The store of a random scenario: two 2 m units of five rows and eight facings."""


def random_scenario(seed: int, crowd: CrowdSpec | None = None, *, view: ViewKind = "eye_level") -> Scenario:
    """A random scenario named ``random-{seed}``: the default two-shelf store and a crowd from ``seed``.

    Args:
        seed: Seed of the crowd, the stock and the looks.
        crowd: Rates; its own ``seed`` is replaced by ``seed``. Defaults to `CrowdSpec`'s defaults.
        view: Camera preset.
    """
    rates = crowd or CrowdSpec()
    return Scenario(
        name=f"random-{seed}",
        description=f"random crowd from seed {seed}: {rates.arrivals_per_min:g} arrivals/min over {rates.window_s:g} s",
        seed=seed,
        layout=LayoutSpec(shelves=DEFAULT_SHELVES),
        camera=CameraSpec(view=view),
        crowd=replace(rates, seed=seed),
    )
