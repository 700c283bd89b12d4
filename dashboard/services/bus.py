"""In-process fan-out of newly stored events to live (SSE) clients; ingest never waits for a client.

The ingest thread publishes each commit's new events once: the tuple is shared by every subscriber (no copy),
and each event loop that has subscribers gets one ``call_soon_threadsafe`` per commit, which appends that tuple
to each of its subscribers' queues. So a commit costs O(subscribers) appends, whatever its size, and nothing
per event until a client actually reads (its stream filters and formats what it takes; an event's JSON is made
once and shared, `LiveEvent`).

A queue is bounded in events (``queue_size``). A client that is more than that many events behind, besides the
batch it is on, is a slow reader: its subscription is closed at once (its queue freed, nothing more offered
to it) and its stream ends (`shelfsight.dashboard.services.live_stream`). Before, a slow client's queue dropped its
oldest event for every new one, which put per-event work on the event loop and took the CPU from ingest: 100
clients that never read cut ingest from 8.6 k to 0.74 k events/s (bench/README.md, "Hardening").
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import defaultdict, deque
from collections.abc import Sequence

from shelfsight.vision.events.codec import to_json
from shelfsight.vision.events.contract import AnyEvent

logger = logging.getLogger(__name__)


class LiveEvent:
    """A stored event on its way to live clients, with its SSE message made once on first use and shared."""

    __slots__ = ("_message", "event")

    def __init__(self, event: AnyEvent) -> None:
        self.event = event
        self._message: str | None = None

    @property
    def message(self) -> str:
        """The event as one Server-Sent Events message (``id``, ``event`` = its type, ``data`` = its JSON)."""
        if self._message is None:
            event = self.event
            self._message = f"id: {event.event_id}\nevent: {event.type}\ndata: {to_json(event)}\n\n"
        return self._message


class Subscription:
    """One live client's queue of batches; read it with `next_batch` on the loop that created it."""

    def __init__(self, bus: EventBus, loop: asyncio.AbstractEventLoop, size: int) -> None:
        self._bus = bus
        self._loop = loop
        self._size = size
        self._batches: deque[tuple[LiveEvent, ...]] = deque()
        self._buffered = 0
        self._wake = asyncio.Event()
        self.closed = asyncio.Event()
        """Set when the subscription ends: the client fell too far behind (`overflowed`), or it went away."""
        self.overflowed = False

    async def next_batch(self, timeout_s: float) -> tuple[LiveEvent, ...] | None:
        """The next batch of events, or None when none came within ``timeout_s`` or the subscription closed."""
        if not self._batches and not self.closed.is_set():
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout_s)
            except TimeoutError:
                return None
        if not self._batches:
            return None
        batch = self._batches.popleft()
        self._buffered -= len(batch)
        return batch

    def close(self) -> None:
        """End the subscription (idempotent): nothing more is offered, and what was queued is freed."""
        self._bus.unsubscribe(self)
        self._batches.clear()
        self._buffered = 0
        self.closed.set()
        self._wake.set()

    def _offer(self, batch: tuple[LiveEvent, ...]) -> None:
        """Queue ``batch`` (on the subscriber's loop); close the subscription if the client is too far behind."""
        if self.closed.is_set():
            return
        if self._batches and self._buffered + len(batch) > self._size:
            self.overflowed = True
            logger.warning("live client %d events behind (limit %d): dropped", self._buffered, self._size)
            self.close()
            return
        self._batches.append(batch)
        self._buffered += len(batch)
        self._wake.set()


class EventBus:
    """Thread-safe publisher of stored events to async subscribers.

    Args:
        queue_size: Events a subscriber may have waiting besides the batch it is on; more closes it.
    """

    def __init__(self, *, queue_size: int = 10_000) -> None:
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
        """Hand ``events`` to every subscriber; safe from any thread, never blocks, O(subscribers)."""
        if not events:
            return
        with self._lock:
            subscribers = list(self._subscribers)
        if not subscribers:
            return
        batch = tuple(LiveEvent(event) for event in events)
        by_loop: dict[asyncio.AbstractEventLoop, list[Subscription]] = defaultdict(list)
        for subscription in subscribers:
            by_loop[subscription._loop].append(subscription)
        for loop, group in by_loop.items():
            try:
                loop.call_soon_threadsafe(_offer_all, group, batch)
            except RuntimeError:  # the loop is closed: its clients are gone
                logger.info("dropping %d live subscriber(s) whose event loop has closed", len(group))
                for subscription in group:
                    self.unsubscribe(subscription)


def _offer_all(subscriptions: list[Subscription], batch: tuple[LiveEvent, ...]) -> None:
    for subscription in subscriptions:
        subscription._offer(batch)
