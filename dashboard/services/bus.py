"""In-process fan-out of newly stored events to live (SSE) clients.

The ingest thread publishes after each commit; every subscriber owns a bounded asyncio queue on its own
event loop, filled through ``call_soon_threadsafe``. A client that falls behind loses its oldest events and
the loss is counted (`Subscription.dropped`) so the stream can tell it; ingest never waits for a client.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence

from vision.events.contract import AnyEvent

logger = logging.getLogger(__name__)


class Subscription:
    """One live client's queue; read it with `get` on the loop that created it."""

    def __init__(self, bus: EventBus, loop: asyncio.AbstractEventLoop, size: int) -> None:
        self._bus = bus
        self._loop = loop
        self._queue: asyncio.Queue[AnyEvent] = asyncio.Queue(maxsize=size)
        self.dropped = 0

    async def get(self, timeout_s: float) -> AnyEvent | None:
        """The next event, or None when none came within ``timeout_s``."""
        try:
            return await asyncio.wait_for(self._queue.get(), timeout_s)
        except TimeoutError:
            return None

    def close(self) -> None:
        self._bus.unsubscribe(self)

    def _offer(self, events: Sequence[AnyEvent]) -> None:
        for event in events:
            if self._queue.full():
                self._queue.get_nowait()
                self.dropped += 1
            self._queue.put_nowait(event)


class EventBus:
    """Thread-safe publisher of stored events to async subscribers.

    Args:
        queue_size: Events buffered per subscriber.
    """

    def __init__(self, *, queue_size: int = 1000) -> None:
        self._queue_size = queue_size
        self._subscribers: set[Subscription] = set()
        self._lock = threading.Lock()

    def subscribe(self) -> Subscription:
        """A new subscription on the running event loop (call from async code)."""
        subscription = Subscription(self, asyncio.get_running_loop(), self._queue_size)
        with self._lock:
            self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscribers.discard(subscription)

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def publish(self, events: Sequence[AnyEvent]) -> None:
        """Hand ``events`` to every subscriber; safe from any thread, never blocks."""
        if not events:
            return
        with self._lock:
            subscribers = list(self._subscribers)
        for subscription in subscribers:
            try:
                subscription._loop.call_soon_threadsafe(subscription._offer, tuple(events))
            except RuntimeError:  # its loop is closed: the client is gone
                logger.info("dropping a live subscriber whose event loop has closed")
                self.unsubscribe(subscription)
