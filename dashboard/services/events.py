"""The event feed: pages with opaque cursors, and the whole filtered feed as NDJSON, CSV or Parquet."""

from __future__ import annotations

import base64
import binascii
import json
import math
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import pyarrow.parquet as pq

from shelfsight.dashboard.services.feed_format import ARROW_SCHEMA, arrow_batch, csv_lines
from shelfsight.dashboard.storage.base import EventFilter, FeedPosition, Store, StoredEvent
from shelfsight.dashboard.storage.ids import parse_event_id

EXPORT_PAGE = 2000
"""Rows read per query while streaming an export (memory stays flat however long the feed)."""

PARQUET_SPOOL_BYTES = 16 * 1024 * 1024
"""Parquet needs its footer written last, so an export is built in a temp file, in memory up to this size."""


MAX_CURSOR_CHARS = 256
"""Longest cursor accepted; issued ones are about 90 characters."""


class CursorError(ValueError):
    """A cursor that this server did not issue."""


@dataclass(frozen=True)
class EventPage:
    """One page of the feed and the cursor of the next (None on the last page)."""

    events: list[StoredEvent]
    next_cursor: str | None


def encode_cursor(position: FeedPosition) -> str:
    """An opaque, URL-safe cursor for the row after ``position``."""
    raw = json.dumps([repr(position.ts), position.event_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> FeedPosition:
    """The position a cursor names; raises `CursorError` for anything else.

    A cursor is client input: whatever it holds (a deeply nested JSON array that would raise ``RecursionError``,
    a huge or non-finite number) is a `CursorError`, i.e. a 400, never a 500.
    """
    error = CursorError(f"cursor: not a cursor issued by this feed ({cursor[:40]!r})")
    if len(cursor) > MAX_CURSOR_CHARS:  # issued cursors are about 90 characters
        raise error
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        ts_text, event_id = json.loads(raw)
        ts = float(ts_text)
        if not isinstance(ts_text, str) or not math.isfinite(ts) or parse_event_id(str(event_id)) is None:
            raise ValueError("not a (ts, event id) pair this feed issues")  # issued cursors hold repr(ts), an id
        return FeedPosition(ts, str(event_id))
    except (binascii.Error, ValueError, TypeError, RecursionError) as exc:
        raise error from exc


def event_page(store: Store, flt: EventFilter, *, cursor: str | None, limit: int) -> EventPage:
    """One page in ``(ts, event_id)`` order; the next cursor is set when the page is full."""
    after = decode_cursor(cursor) if cursor else None
    rows = store.events(flt, after=after, limit=limit)
    following = encode_cursor(FeedPosition(rows[-1].ts, rows[-1].event_id)) if len(rows) == limit else None
    return EventPage(rows, following)


def iter_payloads(store: Store, flt: EventFilter, *, page: int = EXPORT_PAGE) -> Iterator[str]:
    """Every matching event's canonical JSON, in feed order, read a page at a time."""
    after: FeedPosition | None = None
    while True:
        rows = store.events(flt, after=after, limit=page)
        yield from (row.payload for row in rows)
        if len(rows) < page:
            return
        after = FeedPosition(rows[-1].ts, rows[-1].event_id)


def ndjson_lines(store: Store, flt: EventFilter) -> Iterator[str]:
    """The feed as NDJSON: one canonical event JSON per line."""
    for payload in iter_payloads(store, flt):
        yield payload + "\n"


def csv_export(store: Store, flt: EventFilter, *, escape_formulas: bool) -> Iterator[str]:
    """The feed as CSV with the stable columns of `shelfsight.dashboard.services.feed_format` (``escape_formulas``: see
    `shelfsight.dashboard.services.feed_format.csv_lines`)."""
    return csv_lines(iter_payloads(store, flt), escape_formulas=escape_formulas)


def parquet_export(store: Store, flt: EventFilter) -> BinaryIO:
    """The feed as one Parquet file (zstd), returned open at its start; the caller closes it."""
    spool = tempfile.SpooledTemporaryFile(max_size=PARQUET_SPOOL_BYTES)  # noqa: SIM115 - handed to the caller
    with pq.ParquetWriter(spool, ARROW_SCHEMA, compression="zstd") as writer:
        batch: list[str] = []
        for payload in iter_payloads(store, flt):
            batch.append(payload)
            if len(batch) == EXPORT_PAGE:
                writer.write_batch(arrow_batch(batch))
                batch = []
        if batch:
            writer.write_batch(arrow_batch(batch))
    spool.seek(0)
    return spool  # type: ignore[return-value]
