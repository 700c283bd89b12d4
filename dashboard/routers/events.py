"""/api/v1/events: the analysts' feed (pages, NDJSON, CSV, Parquet, live SSE)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import StreamingResponse

from shelfsight.dashboard.deps import BusDep, SettingsDep, StoreDep, require_read
from shelfsight.dashboard.schemas.events import EventPageOut, EventQuery
from shelfsight.dashboard.schemas.responses import error_responses, streamed
from shelfsight.dashboard.services.events import (
    CursorError,
    csv_export,
    event_page,
    ndjson_lines,
    parquet_export,
)
from shelfsight.dashboard.services.live_stream import sse_stream
from shelfsight.dashboard.tags import Tag
from shelfsight.vision.events.codec import from_json
from shelfsight.vision.events.contract import Event

router = APIRouter(
    prefix="/events", tags=[Tag.EVENTS], dependencies=[Depends(require_read)], responses=error_responses(401, 403)
)

Filters = Annotated[EventQuery, Query()]


@router.get("", response_model=EventPageOut, summary="A page of events", responses=error_responses(400))
def list_events(
    store: StoreDep,
    settings: SettingsDep,
    query: Filters,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, description="Events per page (capped by the server's feed_page_max).")] = 100,
) -> EventPageOut:
    """Events matching the filters in stable ``(ts, event_id)`` order; follow ``next_cursor`` for more."""
    try:
        page = event_page(store, query.to_filter(), cursor=cursor, limit=min(limit, settings.feed_page_max))
    except CursorError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
    return EventPageOut(events=[from_json(e.payload) for e in page.events], next_cursor=page.next_cursor)


@router.get(
    ".ndjson",
    summary="All matching events as NDJSON",
    response_class=StreamingResponse,
    responses=streamed("application/x-ndjson", "One event JSON per line."),
)
def events_ndjson(store: StoreDep, query: Filters) -> StreamingResponse:
    """One event JSON per line, streamed, in feed order."""
    return StreamingResponse(ndjson_lines(store, query.to_filter()), media_type="application/x-ndjson")


@router.get(
    ".csv",
    summary="All matching events as CSV",
    response_class=StreamingResponse,
    responses=streamed("text/csv", "A header row, then one row per event."),
)
def events_csv(
    store: StoreDep,
    query: Filters,
    escape_formulas: Annotated[
        bool,
        Query(
            description="Prefix text cells starting with = + - @ (or a tab or carriage return) with ' so that a "
            "spreadsheet shows them as text instead of running them (CSV injection). Set false for the exact "
            "feed that parses back to equal events."
        ),
    ] = True,
) -> StreamingResponse:
    """A stable set of columns for every event type (docs/dashboard.md), streamed, in feed order."""
    headers = {"Content-Disposition": 'attachment; filename="events.csv"'}
    lines = csv_export(store, query.to_filter(), escape_formulas=escape_formulas)
    return StreamingResponse(lines, media_type="text/csv", headers=headers)


@router.get(
    ".parquet",
    summary="All matching events as Parquet",
    response_class=StreamingResponse,
    responses=streamed("application/vnd.apache.parquet", "A Parquet file.", binary=True),
)
def events_parquet(store: StoreDep, query: Filters) -> StreamingResponse:
    """The CSV's columns with types (float64 times, bool misplaced), zstd-compressed."""
    spooled = parquet_export(store, query.to_filter())

    def chunks() -> Iterator[bytes]:
        with spooled:
            while chunk := spooled.read(1 << 16):
                yield chunk

    headers = {"Content-Disposition": 'attachment; filename="events.parquet"'}
    return StreamingResponse(chunks(), media_type="application/vnd.apache.parquet", headers=headers)


@router.get(
    "/live",
    summary="New events as they are stored (Server-Sent Events)",
    response_class=StreamingResponse,
    responses=streamed("text/event-stream", "Server-Sent Events, until the client disconnects."),
)
async def events_live(request: Request, bus: BusDep, query: Filters) -> StreamingResponse:
    """``text/event-stream``: an ``event`` message per new event matching the filters (``data`` = its JSON),
    and a comment every 15 s to keep proxies open. A client more than ``live_queue_size`` events behind is
    dropped: nothing more is sent to it but an ``overflow`` message, and its stream ends; it never slows ingest."""
    subscription = bus.subscribe()

    async def stream() -> AsyncIterator[str]:
        try:
            async for chunk in sse_stream(subscription, query.to_filter(), disconnected=request.is_disconnected):
                yield chunk
        except asyncio.CancelledError:  # the client went away
            pass
        finally:
            subscription.close()

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


@router.get("/{event_id}", response_model=Event, summary="One event", responses=error_responses(404))
def get_event(store: StoreDep, event_id: str) -> Event:
    """One event by its id (within the retention period)."""
    stored = store.event(event_id)
    if stored is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no event {event_id!r} (unknown, or past retention)")
    return from_json(stored.payload)
