"""The live feed as Server-Sent Events, filtered like the paged feed, and the response that carries it.

A client that falls too far behind is dropped by its subscription (`dashboard.services.bus`). If it still
reads, its stream ends with an ``overflow`` message (it may reconnect and page the feed for what it missed).
If it does not read at all, the stream is stuck sending; `LiveStreamResponse` then cuts the response after
`CUT_GRACE_S`, and the server closes the connection (uvicorn logs "ASGI callable returned without completing
response" for it).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import anyio
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from dashboard.services.bus import Subscription
from dashboard.storage.base import EventFilter
from vision.events.contract import AnyEvent

KEEPALIVE_S = 15.0
"""Seconds between keep-alive comments; also how often a vanished client is noticed."""
CUT_GRACE_S = 1.0
"""Seconds a dropped client's stream gets to send its ``overflow`` message before the response is cut."""
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
        kept = [e for e in batch if matches(flt, e.event)]
        for start in range(0, len(kept), CHUNK_EVENTS):
            yield "".join(f"id: {e.event.event_id}\nevent: {e.event.type}\ndata: {e.json}\n\n"
                          for e in kept[start : start + CHUNK_EVENTS])  # fmt: skip


class LiveStreamResponse(StreamingResponse):
    """A streaming response that ends when its subscription closes, even if the client never reads.

    The body, a disconnect listener and a watcher of ``subscription.closed`` run together; the first to finish
    ends the others. When the subscription overflowed, the body gets `CUT_GRACE_S` to send its ``overflow``
    message; a body stuck on a client that does not read is then cancelled.
    """

    def __init__(self, content: AsyncIterator[str], subscription: Subscription, **kwargs: object) -> None:
        super().__init__(content, **kwargs)  # type: ignore[arg-type]
        self.subscription = subscription

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            async with anyio.create_task_group() as group:

                async def first(run: Callable[[], Awaitable[None]]) -> None:
                    await run()
                    group.cancel_scope.cancel()

                async def body() -> None:
                    with contextlib.suppress(OSError):  # the client went away mid-send
                        await self.stream_response(send)

                async def cut() -> None:
                    await self.subscription.closed.wait()
                    await asyncio.sleep(CUT_GRACE_S)

                async def gone() -> None:
                    await self.listen_for_disconnect(receive)

                for run in (body, cut, gone):
                    group.start_soon(first, run)
        finally:
            self.subscription.close()
            close = getattr(self.body_iterator, "aclose", None)
            if close is not None:  # a cancelled body leaves its generator suspended: end it now
                await close()
