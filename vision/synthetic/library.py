"""The scenario library shipped with shelfsight, and resolving a scenario reference to a `Scenario`.

A reference is what follows ``synthetic:`` in a camera source, or what ``shelfsight synth`` takes:

* a library name: ``one_takes_item`` (``vision/synthetic/library/one_takes_item.yaml``);
* a random scenario: ``random-7`` (seed 7, default rates, a real camera's faults drawn from the seed), or
  ``random?seed=7&arrivals_per_min=8&window_s=120`` with any `CrowdSpec` rate, ``view=high_oblique`` (or
  ``eye_level``, ``overhead_fisheye``) and ``clean=1`` (a perfect camera, as before the faults);
* a path to a scenario YAML file (for ``shelfsight synth`` only).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from importlib import resources
from pathlib import Path
from typing import Any, Final, get_args
from urllib.parse import parse_qsl

from shelfsight.vision.synthetic.random_scenario import random_scenario
from shelfsight.vision.synthetic.scenario import CrowdSpec, Scenario, ScenarioError, ViewKind
from shelfsight.vision.synthetic.scenario_io import load_scenario, load_scenario_text

logger = logging.getLogger(__name__)

RANDOM: Final = "random"
_RANDOM_SEED = re.compile(r"^random-(\d+)$")


def _library() -> resources.abc.Traversable:
    return resources.files("shelfsight.vision.synthetic").joinpath("library")


def library_names() -> list[str]:
    """Names of the shipped scenarios, sorted."""
    return sorted(p.name.removesuffix(".yaml") for p in _library().iterdir() if p.name.endswith(".yaml"))


def library_scenario(name: str) -> Scenario:
    """A shipped scenario by name.

    Raises:
        KeyError: Naming the unknown scenario and listing the known ones.
    """
    entry = _library().joinpath(f"{name}.yaml")
    if not re.match(r"^[a-z0-9_-]+$", name) or not entry.is_file():
        raise KeyError(f"no scenario {name!r} in the library; known: {', '.join(library_names())}, or random-<seed>")
    return load_scenario_text(entry.read_text(encoding="utf-8"), f"library/{name}.yaml")


CLEAN_VALUES: Final = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def _random_from_query(query: str) -> Scenario:
    fields = {f.name: f.type for f in dataclasses.fields(CrowdSpec) if f.name not in ("first_id", "standing_at_start")}
    values: dict[str, Any] = {}
    view: ViewKind | None = None
    clean = False
    seed: int | None = None
    for key, raw in parse_qsl(query, keep_blank_values=True, strict_parsing=False):
        if key == "view":
            if raw not in get_args(ViewKind):
                raise ScenarioError([f"view: must be one of {', '.join(get_args(ViewKind))}, got {raw!r}"], RANDOM)
            view = raw  # type: ignore[assignment]
            continue
        if key == "clean":
            if raw.lower() not in CLEAN_VALUES:
                raise ScenarioError([f"clean: must be 1 or 0 (true or false), got {raw!r}"], RANDOM)
            clean = CLEAN_VALUES[raw.lower()]
            continue
        if key not in fields:
            raise ScenarioError([f"{key}: unknown parameter; use seed, view, clean or {', '.join(fields)}"], RANDOM)
        try:
            number: float | int = int(raw) if key == "seed" else float(raw)
        except ValueError:
            raise ScenarioError([f"{key}: expected a number, got {raw!r}"], RANDOM) from None
        if key == "seed":
            seed = int(number)
        else:
            values[key] = number
    if seed is None:
        raise ScenarioError(["seed: a random scenario needs a seed, e.g. random?seed=7"], RANDOM)
    return random_scenario(seed, dataclasses.replace(CrowdSpec(), **values), view=view, clean=clean)


def resolve_scenario(ref: str) -> Scenario:
    """The scenario a reference names (see the module docstring).

    Raises:
        KeyError: For an unknown library name.
        ScenarioError: For a bad random query or an invalid scenario file.
    """
    ref = ref.removeprefix("synthetic:")
    match = _RANDOM_SEED.match(ref)
    if match:
        return random_scenario(int(match.group(1)))
    if ref == RANDOM or ref.startswith(f"{RANDOM}?"):
        return _random_from_query(ref.partition("?")[2])
    if ref.endswith((".yaml", ".yml")) or "/" in ref:
        return load_scenario(Path(ref))
    return library_scenario(ref)
