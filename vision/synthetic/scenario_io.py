"""Scenarios to and from plain dicts and YAML, with errors that name the offending key.

The YAML mirrors the dataclasses of `shelfsight.vision.synthetic.scenario` field for field. Script steps are one-key
mappings::

    script:
      - walk: {shelf: shelf-a, spot: r2c3}
      - wait: 1.5
      - reach: {spot: r2c3, action: take}
      - leave: right

Unknown keys are errors (with a suggestion when one is close), numbers must be YAML numbers, and every
problem is listed at once by `ScenarioError`.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import types
import typing
from pathlib import Path
from typing import Any, Final, Literal, TypeVar, get_args, get_origin

import yaml

from shelfsight.vision.synthetic.checks import check_scenario
from shelfsight.vision.synthetic.scenario import Leave, Reach, Scenario, ScenarioError, Step, Wait, Walk

logger = logging.getLogger(__name__)

T = TypeVar("T")

STEP_KINDS: Final[dict[str, type[Any]]] = {"walk": Walk, "wait": Wait, "reach": Reach, "leave": Leave}
"""YAML key of each script step type."""

_SHORTHAND: Final[dict[type[Any], str]] = {Wait: "seconds", Leave: "side"}
"""Steps whose one field may be written directly: ``wait: 2`` and ``leave: right``."""


class _Problems:
    """Collects conversion problems so that one error lists them all."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(f"{path or '(top level)'}: {message}")


def _describe(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _convert_scalar(kind: Any, value: object, path: str, problems: _Problems) -> Any:
    if kind is bool:
        if not isinstance(value, bool):
            problems.add(path, f"expected true or false, got {_describe(value)}")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            problems.add(path, f"expected a whole number, got {_describe(value)}")
        return value
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.add(path, f"expected a number, got {_describe(value)}")
            return value
        return float(value)
    if kind is str:
        if not isinstance(value, str):
            problems.add(path, f"expected text, got {_describe(value)}")
        return value
    raise TypeError(f"unsupported field type {kind!r} at {path}")


def _convert(kind: Any, value: object, path: str, problems: _Problems) -> Any:
    """Convert ``value`` to the annotated type ``kind``, recording problems instead of raising."""
    origin = get_origin(kind)
    if origin in (types.UnionType, typing.Union):
        options = get_args(kind)
        if value is None and type(None) in options:
            return None
        if set(options) == set(get_args(Step)):
            return _step(value, path, problems)
        non_none = [o for o in options if o is not type(None)]
        return _convert(non_none[0], value, path, problems)
    if origin is Literal:
        if value not in get_args(kind):
            allowed = ", ".join(str(a) for a in get_args(kind))
            problems.add(path, f"must be one of {allowed}, got {_describe(value)}")
        return value
    if origin is tuple:
        if not isinstance(value, list):
            problems.add(path, f"expected a list, got {_describe(value)}")
            return ()
        return tuple(_convert(get_args(kind)[0], item, f"{path}[{i}]", problems) for i, item in enumerate(value))
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        return _build(kind, value, path, problems)
    return _convert_scalar(kind, value, path, problems)


def _step(value: object, path: str, problems: _Problems) -> Step | None:
    if isinstance(value, str) and value in STEP_KINDS:
        value = {value: None}
    if not isinstance(value, dict) or len(value) != 1:
        problems.add(path, f"a step is one of {', '.join(f'{k}:' for k in STEP_KINDS)}, got {_describe(value)}")
        return None
    ((key, body),) = value.items()
    kind = STEP_KINDS.get(key)
    if kind is None:
        close = difflib.get_close_matches(str(key), STEP_KINDS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.add(path, f"unknown step {key!r}{hint}; steps are {', '.join(STEP_KINDS)}")
        return None
    if body is None:
        body = {}
    elif not isinstance(body, dict) and kind in _SHORTHAND:
        body = {_SHORTHAND[kind]: body}
    step: Step | None = _build(kind, body, f"{path}.{key}", problems)
    return step


def _build(cls: type[T], data: object, path: str, problems: _Problems) -> T:
    """Build dataclass ``cls`` from a mapping, checking keys, required fields and types."""
    if not isinstance(data, dict):
        problems.add(path, f"expected a mapping of {cls.__name__} fields, got {_describe(data)}")
        data = {}
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    prefix = f"{path}." if path else ""
    for key, value in data.items():
        if key not in fields:
            close = difflib.get_close_matches(str(key), fields, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(fields)}"
            problems.add(f"{prefix}{key}", f"unknown key {key!r}{hint}")
            continue
        kwargs[key] = _convert(hints[key], value, f"{prefix}{key}", problems)
    for name, spec in fields.items():
        required = spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING
        if required and name not in kwargs:
            problems.add(f"{prefix}{name}", "required key is missing")
    try:
        return cls(**kwargs)
    except TypeError:  # a required key is missing: already recorded above
        return typing.cast(T, None)


def scenario_from_dict(data: object, source: str = "scenario") -> Scenario:
    """Build and check a scenario from a plain mapping (as parsed from YAML).

    Raises:
        ScenarioError: Listing every unknown key, wrong type and rule broken, each with its path.
    """
    problems = _Problems()
    scenario = _build(Scenario, data, "", problems)
    if not problems.items:
        return check_scenario(scenario, source)
    if scenario is not None:
        reported = {item.partition(":")[0] for item in problems.items}
        try:  # add the rule problems of the fields that did convert, so one run lists everything
            check_scenario(scenario, source)
        except ScenarioError as exc:
            problems.items += [p for p in exc.problems if p.partition(":")[0] not in reported]
        except (TypeError, AttributeError):
            pass  # a rule tripped over a value of the wrong type, which is already reported
    raise ScenarioError(problems.items, source)


def load_scenario_text(text: str, source: str = "<text>") -> Scenario:
    """Parse scenario YAML held in memory."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError([f"not valid YAML: {exc}"], source) from exc
    return scenario_from_dict(data, source)


def load_scenario(path: str | Path) -> Scenario:
    """Load a scenario YAML file.

    Raises:
        ScenarioError: When the file cannot be read or the scenario is invalid.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError([f"cannot read the file: {exc.strerror or exc}"], str(path)) from exc
    return load_scenario_text(text, str(path))


def _plain(value: object) -> Any:
    """Dataclasses, tuples and scalars as YAML-ready plain data; steps as one-key mappings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        body = {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        kind = next((k for k, c in STEP_KINDS.items() if isinstance(value, c)), None)
        return body if kind is None else {kind: body}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain data that `scenario_from_dict` reads back into an equal scenario."""
    data: dict[str, Any] = _plain(scenario)
    return data


def dump_scenario(scenario: Scenario) -> str:
    """The scenario as YAML text (every field written, so the file documents the defaults in force)."""
    return yaml.safe_dump(scenario_to_dict(scenario), sort_keys=False, default_flow_style=None, width=110)
