"""The live event bus: one shared batch per commit, bounded per-client queues, slow readers dropped."""

from __future__ import annotations

import asyncio
import threading

from shelfsight.dashboard.services.bus import EventBus
from tests.dashboard.scenario import ALL_EVENTS, BATCH_A, BATCH_B


async def _published_from_another_thread(bus: EventBus, batches: list[list[object]]) -> None:
    """Publish like the ingest thread does; on return the loop has run what it was handed (the publishing
    thread's ``call_soon_threadsafe`` callbacks were queued before the one that wakes this coroutine)."""

    def publish() -> None:
        for batch in batches:
            bus.publish(batch)  # type: ignore[arg-type]

    thread = threading.Thread(target=publish)
    thread.start()
    await asyncio.to_thread(thread.join)


def test_a_reader_gets_every_batch_in_order_and_a_big_batch_fits_an_empty_queue() -> None:
    async def run() -> None:
        bus = EventBus(queue_size=5)
        reader = bus.subscribe()
        await _published_from_another_thread(bus, [ALL_EVENTS])  # 26 events > 5: one batch always fits
        got = await reader.next_batch(1.0)
        assert got is not None and [e.event for e in got] == ALL_EVENTS
        await _published_from_another_thread(bus, [BATCH_A[:2]])
        got = await reader.next_batch(1.0)
        assert got is not None and [e.event for e in got] == BATCH_A[:2]
        assert not reader.closed.is_set() and bus.subscriber_count == 1
        assert got[0].message is got[0].message  # made once, shared by every client

    asyncio.run(run())


def test_a_client_that_does_not_read_is_dropped_and_costs_nothing_more() -> None:
    async def run() -> None:
        bus = EventBus(queue_size=10)
        idle, reader = bus.subscribe(), bus.subscribe()
        await _published_from_another_thread(bus, [BATCH_A])  # 12 events: idle holds one batch
        assert await reader.next_batch(1.0) is not None
        await _published_from_another_thread(bus, [BATCH_B])  # idle would hold 20 > 10: dropped
        assert idle.closed.is_set() and idle.overflowed
        assert bus.subscriber_count == 1
        assert await idle.next_batch(1.0) is None  # its queue was freed
        got = await reader.next_batch(1.0)
        assert got is not None and [e.event for e in got] == BATCH_B
        assert not reader.overflowed

    asyncio.run(run())
