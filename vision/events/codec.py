"""Encode v1 events to JSON, msgpack and plain dicts, and decode them back with one clear error type.

Encoding is lossless: ``from_json(to_json(e)) == e`` and ``from_msgpack(to_msgpack(e)) == e`` for every
valid event. UUIDs travel as canonical strings and floats as JSON shortest-repr text or msgpack float64,
so both round-trip bit for bit. Every field is written, optional ones as null, so analysts see a stable
set of columns.

Decoding trusts nothing: bad bytes, a payload that is not a mapping, an unknown ``type`` or
``schema_version``, a missing, invalid, duplicate or unknown field all raise `EventDecodeError`, whose
message says what was wrong and where. The underlying parser or validation error stays chained as
``__cause__`` for debugging; callers only need to catch one type.
"""

import json
import reprlib
from collections.abc import Mapping
from typing import Any, Final

import msgpack  # type: ignore[import-untyped]
from pydantic import TypeAdapter, ValidationError

from shelfsight.vision.events.contract import EVENT_MODELS, EVENT_TYPES, SUPPORTED_SCHEMA_VERSIONS, Event

_ADAPTER: Final[TypeAdapter[Event]] = TypeAdapter(Event)
"""Validator and serializer of the whole union, built once (construction has no side effects)."""

_EVENT_CLASSES: Final = tuple(EVENT_MODELS.values())

_SUPPORTED_VERSIONS: Final = frozenset(SUPPORTED_SCHEMA_VERSIONS)
_EVENT_TYPE_SET: Final = frozenset(EVENT_TYPES)
_ONLY_STR: Final = {str}

_MAX_INPUT_REPR: Final = 80
_BOUNDED_REPR: Final = reprlib.Repr()
_BOUNDED_REPR.maxlevel, _BOUNDED_REPR.maxstring, _BOUNDED_REPR.maxother = 3, _MAX_INPUT_REPR, _MAX_INPUT_REPR
"""Longest rendering of an offending value in an error message: enough to recognise it, not a dump."""


class EventDecodeError(ValueError):
    """Raised when input is not a valid v1 event; the message names the problem, the cause is chained."""


def to_dict(event: Event) -> dict[str, Any]:
    """Convert an event to the JSON-compatible dict that goes on the wire.

    Args:
        event: Any v1 event model.

    Returns:
        A dict of str, float, bool, None, list and dict values only: UUIDs as strings, the spot box as a
        list. Every field is present; unset optional fields are None.

    Raises:
        TypeError: If ``event`` is not a v1 event model.
    """
    _require_event(event)
    data: dict[str, Any] = _ADAPTER.dump_python(event, mode="json")
    return data


def to_json(event: Event) -> str:
    """Encode an event as compact JSON text (UTF-8 when encoded; non-ASCII ids are written as is).

    Raises:
        TypeError: If ``event`` is not a v1 event model.
    """
    _require_event(event)
    # The model's own serializer writes what the union's does, without the union's dispatch (~2 us less an event;
    # the dashboard stores this text for every event it ingests).
    return type(event).__pydantic_serializer__.to_json(event).decode("utf-8")


def to_msgpack(event: Event) -> bytes:
    """Encode an event as a msgpack map (floats as float64, strings as UTF-8 str, UUIDs as str).

    Raises:
        TypeError: If ``event`` is not a v1 event model.
    """
    packed: bytes = msgpack.packb(to_dict(event), use_bin_type=True)
    return packed


def from_dict(data: object) -> Event:
    """Validate a decoded mapping (e.g. from `to_dict`, or parsed by another transport) as a v1 event.

    Args:
        data: The candidate event: a mapping of field name to value.

    Returns:
        The event model matching ``data["type"]``.

    Raises:
        EventDecodeError: If ``data`` is not a mapping with str keys, has a missing or unknown
            ``schema_version`` or ``type``, or any field is missing, invalid or unknown.
    """
    if type(data) is dict and _plain_header(data):  # the common case, checked in C calls (~1 us less an event)
        event_type: str = data["type"]
    else:  # the same checks one by one, for the message
        if not isinstance(data, Mapping):
            raise EventDecodeError(f"expected a mapping of field names to values, got {type(data).__name__}")
        for key in data:
            if not isinstance(key, str):
                raise EventDecodeError(f"field names must be strings, got {_short_repr(key)}")
        event_type = _check_header(data)
    try:
        # A plain dict (what the decoders build) is validated as is: pydantic never changes its input.
        return _ADAPTER.validate_python(data if type(data) is dict else dict(data))
    except ValidationError as exc:
        raise EventDecodeError(f"invalid {event_type} event: {_describe(exc)}") from exc
    except (RecursionError, ValueError, TypeError) as exc:  # untrusted input must never escape as anything else
        raise EventDecodeError(f"invalid {event_type} event: {type(exc).__name__}") from exc


def from_json(data: str | bytes | bytearray) -> Event:
    """Decode an event from JSON text or UTF-8 bytes.

    Raises:
        EventDecodeError: If ``data`` is not valid JSON (bad UTF-8 included), has duplicate keys, or is
            not a valid v1 event (see `from_dict`).
    """
    try:
        parsed = json.loads(data, object_pairs_hook=_mapping_without_duplicates)
    except EventDecodeError:
        raise
    except (ValueError, TypeError, RecursionError) as exc:
        raise EventDecodeError(f"not valid JSON: {exc}") from exc
    return from_dict(parsed)


def from_msgpack(data: bytes | bytearray | memoryview) -> Event:
    """Decode an event from one msgpack object.

    Raises:
        EventDecodeError: If ``data`` is not exactly one well-formed msgpack object (truncated, trailing
            bytes, bad UTF-8 in a str, non-string map keys, duplicate keys), or is not a valid v1 event
            (see `from_dict`).
    """
    try:
        parsed = msgpack.unpackb(data, raw=False, object_pairs_hook=_mapping_without_duplicates)
    except EventDecodeError:
        raise
    except (msgpack.UnpackException, ValueError, TypeError) as exc:
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise EventDecodeError(f"not valid msgpack: {detail}") from exc
    return from_dict(parsed)


def _require_event(event: object) -> None:
    """Refuse to encode anything but a v1 event model: the union serializer would only warn."""
    if not isinstance(event, _EVENT_CLASSES):
        raise TypeError(
            f"event: expected one of {', '.join(c.__name__ for c in _EVENT_CLASSES)}, got {type(event).__name__}"
        )


def _mapping_without_duplicates(pairs: list[tuple[Any, Any]]) -> dict[Any, Any]:
    """Build a dict from parsed key/value pairs, rejecting duplicate keys instead of keeping the last."""
    result = dict(pairs)  # in C; a shorter dict means a key repeated, found (for the message) the slow way
    if len(result) == len(pairs):
        return result
    seen: set[Any] = set()
    for key, _ in pairs:
        if key in seen:
            raise EventDecodeError(f"duplicate key {_short_repr(key)}: ambiguous input is rejected")
        seen.add(key)
    raise AssertionError("unreachable: a shorter dict means a repeated key")


def _plain_header(data: dict[Any, Any]) -> bool:
    """True when every key is a str and ``schema_version`` and ``type`` are supported: what `_check_header` and
    the key check in `from_dict` accept, without their per-key Python loop."""
    version, event_type = data.get("schema_version"), data.get("type")
    return (
        type(version) is str
        and version in _SUPPORTED_VERSIONS
        and type(event_type) is str
        and event_type in _EVENT_TYPE_SET
        and set(map(type, data)) == _ONLY_STR
    )


def _check_header(data: Mapping[str, Any]) -> str:
    """Check ``schema_version`` then ``type`` before full validation, for messages a person can act on.

    The version comes first: under an unknown version, no other field can be interpreted.

    Returns:
        The event type.
    """
    supported = ", ".join(SUPPORTED_SCHEMA_VERSIONS)
    if "schema_version" not in data:
        raise EventDecodeError(f"missing field 'schema_version'; this reader supports {supported}")
    version = data["schema_version"]
    if version not in SUPPORTED_SCHEMA_VERSIONS or not isinstance(version, str):
        hint = ""
        if isinstance(version, str) and version.split(".")[0] == SUPPORTED_SCHEMA_VERSIONS[0].split(".")[0]:
            hint = " (a newer minor version: upgrade readers before writers)"
        raise EventDecodeError(f"unknown schema_version {_short_repr(version)}; this reader supports {supported}{hint}")
    types = ", ".join(EVENT_TYPES)
    if "type" not in data:
        raise EventDecodeError(f"missing field 'type'; expected one of {types}")
    event_type = data["type"]
    if not isinstance(event_type, str) or event_type not in EVENT_TYPES:
        raise EventDecodeError(f"unknown event type {_short_repr(event_type)}; expected one of {types}")
    return event_type


def _describe(exc: ValidationError) -> str:
    """Render a pydantic error list as ``field: what was expected (got value)`` items joined by "; "."""
    items = []
    for error in exc.errors(include_url=False):
        # loc[0] is the union tag (e.g. "dwell"); the rest is the field path, empty for cross-field checks.
        path = ".".join(str(part) for part in error["loc"][1:])
        kind = error["type"]
        if kind == "missing":
            items.append(f"{path}: missing (required)")
        elif kind == "extra_forbidden":
            items.append(f"{path}: unknown field (v1 rejects fields it does not know)")
        elif not path:
            items.append(error["msg"].removeprefix("Value error, "))
        else:
            items.append(f"{path}: {error['msg']} (got {_short_repr(error['input'])})")
    return "; ".join(items)


def _short_repr(value: object) -> str:
    """``repr(value)`` cut to `_MAX_INPUT_REPR` characters, so a huge payload can't flood the logs; bounded in
    depth too (reprlib), so a value nested 1000 deep cannot raise ``RecursionError`` while an error is written."""
    text = _BOUNDED_REPR.repr(value)
    return text if len(text) <= _MAX_INPUT_REPR else text[: _MAX_INPUT_REPR - 3] + "..."
