"""The one time parameter of the API and the pages: UTC epoch seconds or an ISO 8601 time, read as epoch seconds.

Every ``since`` / ``until`` (feeds, live stream, figures, series, cameras, pages) is a `QueryTime`, so a time
written one way is accepted everywhere and means the same thing:

* a number is UTC epoch seconds (``1717430400``, ``1717430400.5``);
* anything else is an ISO 8601 time (``2024-06-03T16:00:00Z``, ``2024-06-03T18:00:00+02:00``, ``2024-06-03``);
  a time without an offset is UTC (naive times are never read in the server's local zone, which would make a
  query's answer depend on where the server runs). ``T`` and ``Z`` may be lower case (RFC 3339).

An unescaped ``+`` in a query string arrives as a space (form encoding), so ``...T18:00:00 02:00`` is read as
``+02:00``: ISO 8601 has no offset written with a space, so this cannot be mistaken for anything else.

Either way the time must lie in 1970-01-01 .. 9999-12-31T23:59:59Z (`MAX_EPOCH_S`); ``inf``, ``nan`` or
``1e300`` are refused with a 422 that says so, never a 500.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Final

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

MAX_EPOCH_S: Final = 253_402_300_799.0
"""9999-12-31T23:59:59Z: times beyond it (or before 1970) are not camera times, and would overflow storage integers."""

TIME_HELP: Final = (
    "UTC epoch seconds (1717430400) or an ISO 8601 time (2024-06-03T16:00:00Z, 2024-06-03T18:00:00+02:00); "
    "an ISO time without an offset is UTC. 1970-01-01 .. 9999-12-31T23:59:59Z."
)
"""Said in the OpenAPI description of every time parameter."""

_SPACE_OFFSET = re.compile(r" (\d{2}(:?\d{2})?)$")
"""A ``+hh:mm`` offset whose ``+`` a query string turned into a space."""


def to_epoch_s(value: Any) -> float:
    """``value`` (a number, or text holding a number or an ISO 8601 time) as UTC epoch seconds.

    Raises:
        PydanticCustomError: ``value_error`` naming what was expected, for anything else or a time out of range.
    """
    if isinstance(value, bool):  # a bool is an int to Python, never a time
        raise _unreadable(value)
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        seconds = _text_to_epoch_s(value.strip())
    else:
        raise _unreadable(value)
    if not (math.isfinite(seconds) and 0.0 <= seconds <= MAX_EPOCH_S):
        raise _out_of_range(value)
    return seconds


def _text_to_epoch_s(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(_SPACE_OFFSET.sub(r"+\1", text.upper()))
    except ValueError as exc:
        raise _unreadable(text) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.timestamp()
    except (OverflowError, ValueError) as exc:  # year 1 with a positive offset falls before datetime.min
        raise _out_of_range(text) from exc


def _unreadable(value: object) -> PydanticCustomError:
    return PydanticCustomError(
        "value_error",
        "expected UTC epoch seconds or an ISO 8601 time such as 2024-06-03T16:00:00Z, got {value}",
        {"value": repr(value)},
    )


def _out_of_range(value: object) -> PydanticCustomError:
    return PydanticCustomError(
        "value_error",
        "expected a time in 1970-01-01T00:00:00Z .. 9999-12-31T23:59:59Z, got {value}",
        {"value": repr(value)},
    )


QueryTime = Annotated[
    float,
    BeforeValidator(to_epoch_s),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": MAX_EPOCH_S},
                {"type": "string", "format": "date-time"},
            ]
        }
    ),
]
"""A ``since`` / ``until`` query parameter: epoch seconds or ISO 8601 in, UTC epoch seconds (float) out."""
