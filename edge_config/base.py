"""The base model every config section derives from, and the shared field types.

Config objects are frozen, pure data: validators only check and raise, never touch files, sockets or
hardware (that is what `shelfsight.edge_config.checks` and the stages themselves are for).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Annotated, Any, Final, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, Strict
from pydantic_core import PydanticCustomError

logger = logging.getLogger(__name__)

ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
"""Ids become ZeroMQ topic segments, URL path segments and CSV cells, so they stay plain ASCII slugs."""

Identifier = Annotated[str, Strict(), Field(pattern=ID_PATTERN)]
"""A store, camera or zone id: 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit.

A subset of the event contract's id rule (`shelfsight.vision.events.contract.Identifier`), so every config id is a
valid event id.
"""

MAX_DURATION_S: Final = 3600.0
"""Upper bound on configured durations: larger values are almost surely milliseconds typed as seconds."""

Seconds = Annotated[float, Strict(), Field(ge=0.0, le=MAX_DURATION_S)]
"""A duration in seconds, 0 to one hour. Strict: a YAML number is accepted, a quoted one or a bool is not."""

Fraction = Annotated[float, Strict(), Field(ge=0.0, le=1.0)]
"""A value in [0, 1]: a score threshold or an IoU."""

Number = Annotated[float, Strict()]
"""A YAML number (a whole one is taken as a float); the field sets its bounds. A quoted one or a bool is refused."""

Count = Annotated[int, Strict()]
"""A whole YAML number; the field sets its bounds. 2.5, a quoted "2" or a bool is refused."""

StrictBool = Annotated[bool, Strict()]
"""true or false as YAML writes them; a quoted "no" or a number is refused rather than guessed at."""


def is_time_zone(name: str) -> bool:
    """True when ``name`` is an IANA time zone the system's database (or the ``tzdata`` package) knows."""
    if not name or name != name.strip() or ".." in name or name.startswith("/"):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


RULE_ERROR: Final = "shelfsight_rule"
"""Error type of a rule within one section (e.g. a standing zone without ``shelf_id``)."""

CROSSREF_ERROR: Final = "shelfsight_crossref"
"""Error type of a rule across items (duplicate ids, a standing zone naming a missing shelf).

The loader drops these from pydantic's report and re-runs the same rules over the raw YAML instead
(`shelfsight.edge_config.crossref`), because pydantic skips a model's after-validators as soon as any field of it
failed, and a user fixing one mistake should not then meet the next one.
"""


class ShelfsightModel(BaseModel):
    """Base of every config section: unknown keys are errors and instances are immutable.

    ``extra="forbid"`` turns a typo such as ``detct_fps`` into an error instead of a silently ignored key
    that leaves the default in force. ``frozen=True`` makes a loaded config safe to share between
    threads and stages: nothing can change it behind another reader's back.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


Section = TypeVar("Section", bound=ShelfsightModel)


def merge_overrides(defaults: Section, overrides: Section | None) -> Section:
    """Store-wide settings with a camera's or zone's overrides applied, key by key, nested sections included.

    Only the keys the user actually wrote in the override count (pydantic's ``model_fields_set``, recursively):
    an override that sets one key keeps every other key of the store-wide section, not the built-in default
    that the override object also carries. Frigate merges its global sections into each camera the same way.

    Args:
        defaults: The store-wide section.
        overrides: The same section as written under one camera or zone, or None when there is none.

    Returns:
        The effective section; a new, validated object (``defaults`` and ``overrides`` are unchanged).
    """
    if overrides is None:
        return defaults
    merged = _merge_dicts(defaults.model_dump(), overrides.model_dump(exclude_unset=True))
    return type(defaults).model_validate(merged)


def _merge_dicts(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in update.items():
        below = merged.get(key)
        merged[key] = _merge_dicts(below, value) if isinstance(below, dict) and isinstance(value, dict) else value
    return merged


def rule_error(
    message: str, *, fix: str, at: tuple[str | int, ...] = (), error_type: str = RULE_ERROR
) -> PydanticCustomError:
    """Build the error a model validator raises for a broken rule.

    Pydantic reports a model validator's error at the model's own location. ``at`` carries the key path
    of the offending value relative to that model, so the loader can point at the exact YAML line.

    Args:
        message: What is wrong and what would be valid, naming the value found.
        fix: One imperative sentence telling the user what to change.
        at: Key path below the validated model, e.g. ``("shelf_id",)`` or ``("zones", 2, "id")``.
        error_type: `RULE_ERROR` or `CROSSREF_ERROR`.

    Returns:
        The error to raise; its ``ctx`` holds ``message``, ``fix`` and ``at``.
    """
    # The template is the whole message passed through ctx, so braces in user values are never parsed.
    return PydanticCustomError(error_type, "{message}", {"message": message, "fix": fix, "at": at})
