"""Responses as the OpenAPI spec declares them beyond FastAPI's defaults, so clients (and schemathesis) know every
status and media type a route sends.

FastAPI documents 200 (as JSON) and 422 by itself; errors also come from dependencies (401 / 403 from the token
check) and from handlers (400 bad cursor, 404 unknown id), and the feeds stream other media types.
"""

from __future__ import annotations

from typing import Any

from shelfsight.dashboard.schemas.common import ApiModel

DESCRIPTIONS = {
    400: "Bad request: a body that is not JSON, or a parameter that is well-formed but unusable (e.g. a cursor "
    "this feed never issued).",
    401: "Missing, unknown or revoked token.",
    403: "The token lacks the scope this route needs.",
    404: "Nothing with that id (or nothing in that store).",
}


class ErrorOut(ApiModel):
    """An error: what was wrong, in words."""

    detail: str


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries for these status codes, each with the `ErrorOut` body."""
    return {code: {"model": ErrorOut, "description": DESCRIPTIONS[code]} for code in codes}


def streamed(media_type: str, description: str, *, binary: bool = False) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entry for a 200 that streams ``media_type`` instead of JSON."""
    body: dict[str, Any] = {"type": "string", "format": "binary"} if binary else {"type": "string"}
    return {200: {"description": description, "content": {media_type: {"schema": body}}}}
