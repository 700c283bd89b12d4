"""The live feed as Server-Sent Events, filtered like the paged feed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from dashboard.services.bus import Subscription
from dashboard.storage.base import EventFilter
from vision.events.codec import to_json
from vision.events.contract import AnyEvent

KEEPALIVE_S = 15.0
"""Seconds between keep-alive comments; also how often a vanished client is noticed."""


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
    """SSE messages for the events ``subscription`` receives, until the client disconnects."""
    yield ": connected\n\n"
    reported = 0
    while not await disconnected():
        event = await subscription.get(keepalive_s)
        if subscription.dropped > reported:
            yield f"event: dropped\ndata: {subscription.dropped - reported}\n\n"
            reported = subscription.dropped
        if event is None:
            yield ": keepalive\n\n"
        elif matches(flt, event):
            yield f"id: {event.event_id}\nevent: {event.type}\ndata: {to_json(event)}\n\n"
