"""The live feed as Server-Sent Events, filtered like the paged feed.

A client that falls too far behind is dropped by its subscription (`shelfsight.dashboard.services.bus`): nothing more is
queued or formatted for it. When it next reads, its stream ends with an ``overflow`` message (it may reconnect
and page the feed for what it missed). A client that never reads keeps its connection until it goes away: the
server cannot close a socket whose peer does not take the bytes already written (asyncio flushes before it
closes, and ASGI gives no abort), but it does no more work for it and holds only what the socket buffers hold.
A reverse proxy's send timeout (nginx ``send_timeout``) closes such connections.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from shelfsight.dashboard.services.bus import Subscription
from shelfsight.dashboard.storage.base import EventFilter
from shelfsight.vision.events.contract import AnyEvent

KEEPALIVE_S = 15.0
"""Seconds between keep-alive comments; also how often a vanished client is noticed."""
EVERYTHING = EventFilter()
"""The filter of a client that asked for every event: its batches are passed on unfiltered."""
CHUNK_EVENTS = 500
"""Events joined into one write: one send per chunk rather than per event."""


def matches(flt: EventFilter, event: AnyEvent) -> bool:
    """Whether ``event`` passes the feed filters (the same rules as the stored feed)."""
    checks = (
        (flt.store_id, event.store_id),
        (flt.camera_id, event.camera_id),
        (flt.zone_id, getattr(event, "zone_id", None)),
        (flt.shelf_id, getattr(event, "shelf_id", None)),
        (flt.shopper_id, getattr(event, "shopper_id", None)),
    )
    if any(wanted is not None and wanted != value for wanted, value in checks):
        return False
    if flt.types and event.type not in flt.types:
        return False
    if flt.since is not None and event.ts < flt.since:
        return False
    return flt.until is None or event.ts < flt.until


async def sse_stream(
    subscription: Subscription,
    flt: EventFilter,
    *,
    disconnected: Callable[[], Awaitable[bool]],
    keepalive_s: float = KEEPALIVE_S,
) -> AsyncIterator[str]:
    """SSE messages for the events ``subscription`` receives, until the client disconnects or is dropped."""
    yield ": connected\n\n"
    while not await disconnected():
        batch = await subscription.next_batch(keepalive_s)
        if subscription.closed.is_set():
            if subscription.overflowed:
                yield "event: overflow\ndata: this client fell too far behind and was disconnected\n\n"
            return
        if batch is None:
            yield ": keepalive\n\n"
            continue
        kept = batch if flt == EVERYTHING else [e for e in batch if matches(flt, e.event)]
        for start in range(0, len(kept), CHUNK_EVENTS):
            yield "".join(e.message for e in kept[start : start + CHUNK_EVENTS])
