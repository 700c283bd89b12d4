"""The durable spool and the at-least-once publisher, against a real ROUTER in another process."""

from __future__ import annotations

import multiprocessing as mp
import socket
import sqlite3
import threading
import time
from pathlib import Path

import pytest
import zmq

from shelfsight.pipeline.publisher import EventPublisher, PublisherSettings
from shelfsight.pipeline.spool import Spool, SpooledEvent
from shelfsight.transport.envelope import MessageError, decode, encode
from shelfsight.transport.messages import Ack, EventBatch


def events(n: int, start: int = 0) -> list[SpooledEvent]:
    return [SpooledEvent(f"id-{i}", "cam1", f"payload-{i}".encode()) for i in range(start, start + n)]


def test_put_keeps_order_and_survives_reopening(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db")
    assert spool.put(events(10)) == 10
    assert spool.put(events(5)) == 5  # the same ids again: kept; the aggregator dedupes by event_id
    spool.close()
    reopened = Spool(tmp_path / "spool.db")
    assert len(reopened) == 15
    batch = reopened.take_batch(100)
    assert batch is not None
    assert [e.event_id for e in batch.events] == [f"id-{i}" for i in (*range(10), *range(5))]
    assert reopened.ack(batch.batch_id) == 15 and len(reopened) == 0


def test_bounds_drop_the_oldest_and_count_them(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db", max_events=100)
    spool.put(events(150))
    batch = spool.take_batch(1000)
    assert batch is not None and len(spool) == 100 and spool.dropped_oldest == 50
    assert batch.events[0].event_id == "id-50"  # the oldest 50 went
    spool.close()
    assert Spool(tmp_path / "spool.db", max_events=100).dropped_oldest == 50  # the counter is durable


def test_byte_bound(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db", max_bytes=100)
    spool.put(events(20))  # ~10 bytes each
    assert 9 <= len(spool) <= 10 and spool.dropped_oldest >= 10


def test_batches_ack_and_release(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db")
    spool.put(events(10))
    first, second = spool.take_batch(4), spool.take_batch(4)
    assert first is not None and second is not None
    assert [e.event_id for e in second.events] == ["id-4", "id-5", "id-6", "id-7"]
    spool.release(first.batch_id)
    again = spool.take_batch(10)
    assert again is not None and [e.event_id for e in again.events][:4] == ["id-0", "id-1", "id-2", "id-3"]
    assert spool.ack(second.batch_id) == 4 and spool.ack(second.batch_id) == 0
    assert len(spool) == 6


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _aggregator(endpoint: str, received: mp.Queue, stop: mp.Event) -> None:  # type: ignore[type-arg]
    """A real ROUTER in its own process: acks every batch, reports event payloads, answers garbage first."""
    context = zmq.Context()
    router = context.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    router.bind(endpoint)
    while not stop.is_set():
        if not router.poll(100):
            continue
        identity, *frames = router.recv_multipart()
        try:
            batch = EventBatch.from_envelope(decode(frames))
        except MessageError:
            continue
        router.send_multipart([identity, b"garbage"])  # the publisher must count and drop this
        for payload in batch.events:
            received.put(payload)
        router.send_multipart([identity, *encode(Ack("s", batch.batch_id, len(batch.events), 0, 0).to_envelope())])
    router.close()
    context.term()


def _drain(queue: mp.Queue) -> list[bytes]:  # type: ignore[type-arg]
    out = []
    while True:
        try:
            out.append(queue.get(timeout=0.5))
        except Exception:
            return out


def test_outage_then_every_event_arrives(tmp_path: Path) -> None:
    endpoint = f"tcp://127.0.0.1:{_free_port()}"
    spool = Spool(tmp_path / "spool.db")
    publisher = EventPublisher(spool, PublisherSettings(endpoint, "s", batch_size=100, ack_timeout_s=1.0))
    stop_publisher = threading.Event()
    sender = threading.Thread(target=publisher.run, args=(stop_publisher,), daemon=True)
    sender.start()
    spool.put(events(300))
    time.sleep(1.0)  # no aggregator yet: nothing may be lost, everything waits on disk
    assert len(spool) == 300 and publisher.stats.events_acked == 0

    received: mp.Queue[bytes] = mp.Queue()
    stop = mp.Event()
    aggregator = mp.Process(target=_aggregator, args=(endpoint, received, stop), daemon=True)
    aggregator.start()
    try:
        spool.put(events(200, start=300))
        deadline = time.monotonic() + 20
        while len(spool) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop_publisher.set()
        sender.join(timeout=5)
        stop.set()
        aggregator.join(timeout=5)
        publisher.close()
    payloads = _drain(received)
    assert len(spool) == 0
    assert set(payloads) == {f"payload-{i}".encode() for i in range(500)}  # every event, at least once
    assert publisher.stats.events_acked == 500 and publisher.stats.bad_messages >= 5


def test_rejects_nonsense_bounds(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="spool bounds"):
        Spool(tmp_path / "s.db", max_events=0)


def test_running_totals_agree_with_the_rows_across_writers(tmp_path: Path) -> None:
    """Event stages and the publisher share one spool file: the kept totals (no full scans) stay exact."""
    path = tmp_path / "spool.db"
    writer_a, writer_b, reader = Spool(path, max_events=120), Spool(path, max_events=120), Spool(path, max_events=120)
    writer_a.put(events(50))
    writer_b.put(events(50, start=50))
    batch = reader.take_batch(30)
    assert batch is not None and reader.ack(batch.batch_id) == 30
    writer_a.put(events(80, start=100))  # 150 > 120: the 30 oldest go
    assert len(reader) == len(writer_a) == 120 and reader.dropped_oldest == 30
    with sqlite3.connect(path) as db:
        count, size = db.execute("SELECT COUNT(*), SUM(LENGTH(payload)) FROM events").fetchone()
    assert count == 120
    for spool in (writer_a, writer_b, reader):
        spool.close()
    reopened = Spool(path, max_events=120)
    assert len(reopened) == 120
    assert reopened._totals() == (120, size)
