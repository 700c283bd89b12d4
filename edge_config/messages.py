"""Turn pydantic's validation errors into findings that say what would be valid and how to fix it.

Pydantic's own messages ("Input should be greater than or equal to 0") name neither the unit nor the
value found; config users need "must be >= 0 seconds, got -2".
"""

from __future__ import annotations

import difflib
import logging
import types
import typing
from collections.abc import Callable
from typing import Any, Final

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from shelfsight.edge_config.base import CROSSREF_ERROR, ID_PATTERN, RULE_ERROR
from shelfsight.edge_config.problems import Finding, Loc

logger = logging.getLogger(__name__)

DOCS_FIX: Final = "see docs/config.md for every key and its valid values"

_UNITS: Final = {
    "_s": "seconds",
    "_fps": "frames per second",
    "_bytes": "bytes",
    "_h": "hours",
    "_px": "pixels",
    "_deg": "degrees",
    "_hps": "box heights per second",
}

_BOUNDS: Final = {
    "greater_than": (">", "gt"),
    "greater_than_equal": (">=", "ge"),
    "less_than": ("<", "lt"),
    "less_than_equal": ("<=", "le"),
}

_TYPE_NAMES: Final = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "model_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
    "dict_type": "a mapping of keys",
    "path_type": "a file or folder path",
}


def show(value: object) -> str:
    """A value as the user wrote it in YAML: ``true``, ``'abc'``, ``-2``, ``a list``."""
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return f"a list of {len(value)}"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _unit(loc: Loc) -> str:
    """`` seconds`` for ``min_dwell_s`` and so on: units live in field names."""
    name = next((step for step in reversed(loc) if isinstance(step, str)), "")
    return next((f" {unit}" for suffix, unit in _UNITS.items() if name.endswith(suffix)), "")


def _model_in(annotation: object) -> type[BaseModel] | None:
    """The first pydantic model inside an annotation such as ``list[CameraConfig]`` or ``X | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def model_at(root: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The config section class found at a key path, e.g. ``CameraConfig`` at ``("cameras", 0)``."""
    model: type[BaseModel] | None = root
    for step in loc:
        if isinstance(step, int) or model is None:
            continue  # list indexes do not change the section type
        field = model.model_fields.get(step)
        model = _model_in(field.annotation) if field is not None else None
    return model


def _unknown_key(error: ErrorDetails, root: type[BaseModel]) -> tuple[str, str]:
    key = str(error["loc"][-1])
    section = model_at(root, error["loc"][:-1])
    known = sorted(section.model_fields) if section is not None else []
    close = difflib.get_close_matches(key, known, n=1)
    if close:
        return f"unknown key {key!r} — did you mean {close[0]!r}?", f"rename it to {close[0]!r}"
    return f"unknown key {key!r}; valid keys here: {', '.join(known)}", "remove it"


def _missing_key(error: ErrorDetails, root: type[BaseModel]) -> tuple[str, str]:
    key = str(error["loc"][-1])
    section = model_at(root, error["loc"][:-1])
    field = section.model_fields.get(key) if section is not None else None
    about = f" — {field.description}" if field is not None and field.description else ""
    return f"missing required key {key!r}", f"add `{key}:`{about}"


def _choice(error: ErrorDetails, _root: type[BaseModel]) -> tuple[str, str]:
    expected = str(error.get("ctx", {}).get("expected", ""))
    value = error["input"]
    options = [part.strip(" '\"") for part in expected.replace(" or ", ", ").split(",")]
    close = difflib.get_close_matches(str(value), options, n=1) if isinstance(value, str) else []
    hint = f" — did you mean {close[0]!r}?" if close else ""
    return f"must be one of {expected}, got {show(value)}{hint}", f"use one of {expected}"


def _bound(error: ErrorDetails, _root: type[BaseModel]) -> tuple[str, str]:
    symbol, key = _BOUNDS[error["type"]]
    limit = show(error.get("ctx", {}).get(key))
    unit = _unit(error["loc"])
    return f"must be {symbol} {limit}{unit}, got {show(error['input'])}", f"use a value {symbol} {limit}"


def _length(error: ErrorDetails, _root: type[BaseModel]) -> tuple[str, str]:
    ctx = error.get("ctx", {})
    if error["type"] == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s), got {ctx.get('actual_length')}", "add items"
    return f"allows at most {ctx.get('max_length')} item(s), got {ctx.get('actual_length')}", "remove items"


def _pattern(error: ErrorDetails, _root: type[BaseModel]) -> tuple[str, str]:
    if error.get("ctx", {}).get("pattern") == ID_PATTERN:
        return (
            f"must be an id of 1-64 letters, digits, '_', '.' or '-' starting with a letter or digit, "
            f"got {show(error['input'])}",
            "e.g. `cam-1` or `shelf_cereal_2`",
        )
    return f"has the wrong form, got {show(error['input'])}: {error['msg']}", DOCS_FIX


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _wrong_type(error: ErrorDetails, _root: type[BaseModel]) -> tuple[str, str]:
    wanted = _TYPE_NAMES[error["type"]]
    value = error["input"]
    message = f"must be {wanted}{_unit(error['loc'])}, got {show(value)}"
    if wanted == "text":
        return message, "put the value in quotes"
    if isinstance(value, str) and wanted.startswith(("a number", "a whole number")) and _is_number(value):
        return message, "remove the quotes around the number"
    return message, f"write {wanted} here; {DOCS_FIX}"


_TRANSLATORS: Final[dict[str, Callable[[ErrorDetails, type[BaseModel]], tuple[str, str]]]] = {
    "extra_forbidden": _unknown_key,
    "missing": _missing_key,
    "enum": _choice,
    "literal_error": _choice,
    "too_short": _length,
    "too_long": _length,
    "string_pattern_mismatch": _pattern,
    **dict.fromkeys(_BOUNDS, _bound),
    **dict.fromkeys(_TYPE_NAMES, _wrong_type),
}


def finding_from_error(error: ErrorDetails, root: type[BaseModel]) -> Finding | None:
    """Translate one pydantic error on the document rooted at ``root``.

    Args:
        error: One entry of ``ValidationError.errors()``.
        root: The model the whole document was validated as (`EdgeConfig`).

    Returns:
        The finding, or None for errors the loader derives better from the document itself:
        cross-reference errors (see `shelfsight.edge_config.base.CROSSREF_ERROR`) and non-text keys (reported
        with their YAML line by `shelfsight.edge_config.yaml_source.key_findings`).
    """
    loc: Loc = tuple(error["loc"])
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if error["type"] in (CROSSREF_ERROR, "invalid_key"):
        return None
    if error["type"] == RULE_ERROR:
        return Finding((*loc, *ctx.get("at", ())), str(ctx["message"]), str(ctx["fix"]))
    translate = _TRANSLATORS.get(error["type"])
    if translate is None:
        logger.debug("no translation for pydantic error type %s", error["type"])
        return Finding(loc, error["msg"], DOCS_FIX)
    message, fix = translate(error, root)
    return Finding(loc, message, fix)
