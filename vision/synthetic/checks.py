"""Checking a scenario's fields and scripts, listing every problem with the path of the offending field.

Time-dependent conflicts (two shoppers taking one facing, a reach from the wrong place) need the scene's
geometry and timing and are checked when it is built (`shelfsight.vision.synthetic.story.build_story`).
"""

from __future__ import annotations

import logging
from typing import Final

from shelfsight.vision.synthetic.scenario import (
    ID_RE,
    NAME_RE,
    CameraSpec,
    CrowdSpec,
    LayoutSpec,
    Reach,
    Scenario,
    ScenarioError,
    ShelfSpec,
    ShopperSpec,
    Wait,
    Walk,
    parse_spot,
)

logger = logging.getLogger(__name__)


def _spot_problem(shelf: ShelfSpec, spot: str) -> str | None:
    parsed = parse_spot(spot)
    if parsed is None or not (1 <= parsed[0] <= shelf.rows and 1 <= parsed[1] <= shelf.columns):
        return f"no spot {spot!r} on shelf {shelf.id!r} (rows r1..r{shelf.rows}, columns c1..c{shelf.columns})"
    return None


def _range_problem(path: str, value: float, low: float, high: float) -> list[str]:
    if not low <= value <= high:
        return [f"{path}: must be within {low:g}..{high:g}, got {value:g}"]
    return []


EFFECT_RANGES: Final[dict[str, tuple[float, float]]] = {
    "noise_sigma": (0, 40),
    "blur_sigma_px": (0, 5),
    "lighting_drift": (0, 0.5),
    "lighting_period_s": (1, 3600),
    "jpeg_quality": (10, 100),
    "lens_k1": (0, 0.5),
    "jitter_px": (0, 8),
    "drift_px": (0, 60),
    "drift_period_s": (1, 3600),
    "h264_kbps": (50, 50_000),
    "gop_s": (0.1, 10),
    "exposure_steps_per_min": (0, 60),
    "exposure_step": (0, 0.5),
    "exposure_settle_s": (0.01, 10),
    "motion_blur": (0, 1),
}
"""Allowed range of every `EffectsSpec` field (an optional one is checked when set)."""


def _check_camera(camera: CameraSpec) -> list[str]:
    problems: list[str] = []
    if not ID_RE.match(camera.camera_id):
        problems.append(f"camera.camera_id: must be 1-64 letters, digits, '_', '.' or '-', got {camera.camera_id!r}")
    problems += _range_problem("camera.width", camera.width, 64, 4096)
    problems += _range_problem("camera.height", camera.height, 64, 4096)
    problems += _range_problem("camera.fps", camera.fps, 1, 60)
    fx = camera.effects
    for name, (low, high) in EFFECT_RANGES.items():
        value = getattr(fx, name)
        if value is not None:
            problems += _range_problem(f"camera.effects.{name}", value, low, high)
    if fx.h264_kbps is not None:
        if fx.jpeg_quality is not None:
            problems.append("camera.effects: give jpeg_quality or h264_kbps, not both (a camera has one encoder)")
        if camera.width % 2 or camera.height % 2:
            problems.append(f"camera: H.264 needs an even width and height, got {camera.width}x{camera.height}")
    if camera.view == "overhead_fisheye" and fx.lens_k1 > 0:
        problems.append("camera.effects.lens_k1: the overhead_fisheye view has its own fisheye lens; set lens_k1: 0")
    return problems


def _check_layout(layout: LayoutSpec) -> list[str]:
    problems: list[str] = []
    if not layout.shelves:
        problems.append("layout.shelves: needs at least one shelf")
    seen: set[str] = set()
    for i, shelf in enumerate(layout.shelves):
        path = f"layout.shelves[{i}]"
        if not ID_RE.match(shelf.id):
            problems.append(f"{path}.id: must be 1-64 letters, digits, '_', '.' or '-', got {shelf.id!r}")
        for zone_id in (shelf.id, f"{shelf.id}-front"):
            if zone_id in seen:
                problems.append(f"{path}.id: zone id {zone_id!r} is used twice (shelf ids and their '-front' zones)")
            seen.add(zone_id)
        problems += _range_problem(f"{path}.rows", shelf.rows, 1, 8)
        problems += _range_problem(f"{path}.columns", shelf.columns, 1, 20)
        problems += _range_problem(f"{path}.width_m", shelf.width_m, 0.5, 4)
        problems += _range_problem(f"{path}.height_m", shelf.height_m, 0.8, 2.4)
        problems += _range_problem(f"{path}.empty_share", shelf.empty_share, 0, 1)
        problems += [f"{path}.empty: {p}" for s in shelf.empty if (p := _spot_problem(shelf, s))]
    for i, fixture in enumerate(layout.fixtures):
        problems += _range_problem(f"layout.fixtures[{i}].width_m", fixture.width_m, 0.1, 3)
        problems += _range_problem(f"layout.fixtures[{i}].height_m", fixture.height_m, 0.1, 3)
    return problems + _range_problem("layout.packaging_detail", layout.packaging_detail, 0, 1)


def _check_walk(step: Walk, path: str, shelves: dict[str, ShelfSpec]) -> list[str]:
    by_shelf = step.shelf is not None
    by_point = step.x_m is not None or step.depth_m is not None
    if by_shelf == by_point:
        got = "both" if by_shelf else "neither"
        return [f"{path}: give either shelf (with spot or at) or x_m and depth_m, got {got}"]
    if by_point:
        if step.x_m is None or step.depth_m is None:
            return [f"{path}: x_m and depth_m go together"]
        return _range_problem(f"{path}.depth_m", step.depth_m, 0.05, 4)
    shelf = shelves.get(step.shelf or "")
    if shelf is None:
        return [f"{path}.shelf: no shelf {step.shelf!r}; shelves: {', '.join(shelves)}"]
    if (step.spot is None) == (step.at is None):
        return [f"{path}: at a shelf give exactly one of spot or at"]
    if step.spot is not None and (problem := _spot_problem(shelf, step.spot)):
        return [f"{path}.spot: {problem}"]
    return _range_problem(f"{path}.at", step.at, 0, 1) if step.at is not None else []


def _check_script(shopper: ShopperSpec, path: str, shelves: dict[str, ShelfSpec]) -> list[str]:
    problems: list[str] = []
    at_shelf: str | None = None
    holding = False
    for j, step in enumerate(shopper.script):
        where = f"{path}.script[{j}]"
        if isinstance(step, Walk):
            problems += _check_walk(step, f"{where}.walk", shelves)
            at_shelf = step.shelf
        elif isinstance(step, Wait):
            problems += _range_problem(f"{where}.wait", step.seconds, 0, 3600)
        elif isinstance(step, Reach):
            shelf_id = step.shelf or at_shelf
            if shelf_id is None or shelf_id not in shelves:
                problems.append(f"{where}.reach: walk to a shelf first (or name one with shelf:), got {shelf_id!r}")
            elif problem := _spot_problem(shelves[shelf_id], step.spot):
                problems.append(f"{where}.reach.spot: {problem}")
            problems += _range_problem(f"{where}.reach.seconds", step.seconds, 0.6, 10)
            if step.action == "take" and holding:
                problems.append(f"{where}.reach: already holds an item; return it before taking another")
            if step.action == "return" and not holding:
                problems.append(f"{where}.reach: 'return' needs an item in the hand; take one first")
            holding = (holding or step.action == "take") and step.action != "return"
        elif j != len(shopper.script) - 1:
            problems.append(f"{where}.leave: must be the last step")
    return problems


def _check_shoppers(scenario: Scenario) -> list[str]:
    shelves = {s.id: s for s in scenario.layout.shelves}
    problems: list[str] = []
    seen: set[int] = set()
    for i, shopper in enumerate(scenario.shoppers):
        path = f"shoppers[{i}]"
        if shopper.id < 1:
            problems.append(f"{path}.id: must be >= 1 (MOTChallenge ids are positive), got {shopper.id}")
        if shopper.id in seen:
            problems.append(f"{path}.id: id {shopper.id} is used by another shopper")
        seen.add(shopper.id)
        problems += _range_problem(f"{path}.enter_s", shopper.enter_s, -3600, 86_400)
        problems += _range_problem(f"{path}.speed_mps", shopper.speed_mps, 0.3, 3)
        if shopper.lane_m is not None:
            problems += _range_problem(f"{path}.lane_m", shopper.lane_m, 0.05, 4)
        if shopper.height_m is not None:
            problems += _range_problem(f"{path}.height_m", shopper.height_m, 1.2, 2.1)
        problems += _check_script(shopper, path, shelves)
    return problems


def _check_crowd(crowd: CrowdSpec) -> list[str]:
    problems = _range_problem("crowd.arrivals_per_min", crowd.arrivals_per_min, 0, 120)
    problems += _range_problem("crowd.window_s", crowd.window_s, 0, 86_400)
    for name in ("stop_share", "reach_share", "take_share", "return_share"):
        problems += _range_problem(f"crowd.{name}", getattr(crowd, name), 0, 1)
    problems += _range_problem("crowd.standing_at_start", crowd.standing_at_start, 0, 4)
    return problems + _range_problem("crowd.first_id", crowd.first_id, 1, 10**9)


def check_scenario(scenario: Scenario, source: str = "scenario") -> Scenario:
    """Check a scenario's fields and scripts, raising one error that lists every problem.

    Timing conflicts between shoppers (two taking the same facing) surface when the scene is built,
    since they depend on when each reach happens.

    Returns:
        The scenario, unchanged, when it is valid.

    Raises:
        ScenarioError: Listing every problem as ``field path: what is wrong``.
    """
    problems: list[str] = []
    if not NAME_RE.match(scenario.name):
        problems.append(
            f"name: lowercase letters, digits, '_' or '-' (a synthetic:<name> source), got {scenario.name!r}"
        )
    if not ID_RE.match(scenario.store_id):
        problems.append(f"store_id: must be 1-64 letters, digits, '_', '.' or '-', got {scenario.store_id!r}")
    problems += _range_problem("start_epoch_s", scenario.start_epoch_s, 946_684_800, 4_000_000_000)
    if scenario.duration_s is not None:
        problems += _range_problem("duration_s", scenario.duration_s, 0.5, 86_400)
    for name in ("min_dwell_s", "entry_debounce_s", "exit_grace_s"):
        problems += _range_problem(f"dwell.{name}", getattr(scenario.dwell, name), 0, 3600)
    problems += _check_camera(scenario.camera) + _check_layout(scenario.layout) + _check_shoppers(scenario)
    if scenario.crowd is not None:
        problems += _check_crowd(scenario.crowd)
    if problems:
        raise ScenarioError(problems, source)
    return scenario
