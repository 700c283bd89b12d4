"""Event ids between Python and the backends' id columns.

The store's SQL binds event ids as `uuid.UUID` objects; each backend's adapter binds them in its column type:
SQLite as a 16-byte BLOB (``events.event_id`` since migration 0003: the primary-key index takes random inserts,
and 16 bytes instead of 36 characters makes it and every ``(..., ts, event_id)`` index smaller), PostgreSQL and
DuckDB as canonical text. Values read back are turned into canonical text with `id_text` (the API's form). Big-
endian bytes sort like canonical lowercase text, so ``ORDER BY ts, event_id`` keeps the feed order everywhere.
"""

from __future__ import annotations

from uuid import UUID


def id_text(value: object) -> str:
    """Canonical text (``8-4-4-4-12`` lowercase hex) of an id read back from any backend (bytes, UUID or text)."""
    if isinstance(value, bytes):
        h = value.hex()  # about 3x faster than str(UUID(bytes=value)); feed pages convert 1000 ids at a time
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return str(value)


def id_uuid(value: object) -> UUID:
    """The `UUID` of an id read back from any backend (bytes, UUID or text)."""
    if isinstance(value, UUID):
        return value
    if isinstance(value, bytes):
        return UUID(bytes=value)
    return UUID(str(value))


def id_int(value: object) -> int:
    """``UUID.int`` of an id read back from any backend: integers hash and compare in C, for dedupe sets."""
    if isinstance(value, bytes):
        return int.from_bytes(value, "big")
    return id_uuid(value).int


def parse_event_id(text: str) -> UUID | None:
    """The id that ``text`` names in canonical form, or None: other spellings never matched a stored id as text,
    so they must not match one now (``GET /events/{id}`` and feed cursors)."""
    try:
        parsed = UUID(text)
    except ValueError:
        return None
    return parsed if str(parsed) == text else None
