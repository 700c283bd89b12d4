"""Kill the aggregator mid-stream and start it again: nothing lost, nothing counted twice.

A real edge publisher (`shelfsight.pipeline.publisher.EventPublisher` draining a `shelfsight.pipeline.spool.Spool` on
disk) sends a store's events while they are being produced. `shelfsight serve` is killed with SIGKILL part-way (no
graceful shutdown: a commit may be cut off, acks of committed batches may never leave), then started again on the same
database and ingest endpoint. The publisher keeps unacknowledged batches and resends them; an already
acknowledged chunk is also put into the spool again (an edge that lost its ack), so duplicates surely arrive.

Afterwards every event must be stored exactly once, and the rollup figures the API serves must equal the counts
computed directly from the sent events.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest

from shelfsight.pipeline.publisher import EventPublisher, PublisherSettings
from shelfsight.pipeline.spool import Spool, SpooledEvent
from shelfsight.vision.events.codec import to_msgpack
from shelfsight.vision.events.contract import AnyEvent
from tests.dashboard import builders as b
from tests.dashboard.serve_process import Server, free_port, start_server

pytestmark = pytest.mark.integration  # starts processes, servers or a browser

SHOPPERS = 2000
SHELVES = 4
CHUNK = 100
CHUNK_EVERY_S = 0.02
"""The edge produces CHUNK events every CHUNK_EVERY_S (5 k events/s), so the kill lands mid-stream."""
KILL_AFTER_ACKED = 2000
DRAIN_TIMEOUT_S = 60.0


def store_events(base: float) -> list[AnyEvent]:
    """A busy hour: entries, touches, pick-ups (some put back), visits and pass-bys on four shelves."""
    events: list[AnyEvent] = []
    for i in range(SHOPPERS):
        shelf, zone, camera = f"shelf-{i % SHELVES}", f"z{i % SHELVES}", f"cam{i % SHELVES}"
        shopper, start = f"{camera}-{i}", base + i * 1.5
        events.append(b.dwell_started(shopper=shopper, zone=zone, shelf=shelf, start=start, camera=camera))
        events.append(b.touch(shopper=shopper, zone=zone, shelf=shelf, start=start + 1, camera=camera))
        if i % 3:
            pick = b.pickup(shopper=shopper, shelf=shelf, start=start + 2, camera=camera)
            events.append(pick)
            if i % 5 == 0:
                events.append(b.putback(shopper=shopper, shelf=shelf, start=start + 3, reverses=pick.event_id,
                                        camera=camera))  # fmt: skip
        if i % 7:  # every 7th shopper leaves under the minimum dwell: a pass-by
            events.append(b.dwell(shopper=shopper, zone=zone, shelf=shelf, start=start, seconds=5.0 + i % 30,
                                  camera=camera))  # fmt: skip
    return events


def expected_figures(events: Sequence[AnyEvent]) -> dict[str, dict[str, int]]:
    """Per shelf, counted from the events themselves (no aggregator code)."""
    counts: dict[str, Counter[str]] = {}
    for event in events:
        shelf = str(getattr(event, "shelf_id", ""))
        counts.setdefault(shelf, Counter())[event.type] += 1
        if event.type == "putback" and event.pickup_event_id is not None:
            counts[shelf]["reversed"] += 1
    return {
        shelf: {"visits": c["dwell"], "passbys": c["dwell_started"] - c["dwell"], "touches": c["touch"],
                "pickups": c["pickup"], "putbacks": c["putback"], "takes": c["pickup"] - c["reversed"]}
        for shelf, c in counts.items()
    }  # fmt: skip


def _feed(spool: Spool, events: Sequence[AnyEvent], done: threading.Event) -> None:
    for at in range(0, len(events), CHUNK):
        chunk = events[at : at + CHUNK]
        spool.put([SpooledEvent(str(e.event_id), e.camera_id, to_msgpack(e)) for e in chunk])
        time.sleep(CHUNK_EVERY_S)
    done.set()


def _wait_until(condition: object, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_sigkill_and_restart_mid_stream_loses_nothing_and_counts_nothing_twice(tmp_path: Path) -> None:
    base = (time.time() // 3600 - 2) * 3600  # recent, so retention keeps the raw events
    events = store_events(base)
    db, ingest, log = str(tmp_path / "aggregator.db"), f"tcp://127.0.0.1:{free_port()}", tmp_path / "serve.log"
    spool = Spool(tmp_path / "edge-spool.db")
    publisher = EventPublisher(spool, PublisherSettings(ingest, b.STORE, batch_size=200, ack_timeout_s=1.0))
    stop, produced = threading.Event(), threading.Event()
    sender = threading.Thread(target=publisher.run, args=(stop,), daemon=True)
    feeder = threading.Thread(target=_feed, args=(spool, events, produced), daemon=True)

    first = start_server(db, ingest=ingest, log=log)
    server: Server | None = None
    try:
        sender.start()
        feeder.start()
        _wait_until(lambda: publisher.stats.events_acked >= KILL_AFTER_ACKED, 30, "the first acks")
        first.process.send_signal(signal.SIGKILL)
        assert first.process.wait(10) == -signal.SIGKILL
        first.stop()
        assert not produced.is_set(), "the stream ended before the kill: slow CHUNK_EVERY_S down"
        acked_before_restart = publisher.stats.events_acked
        time.sleep(1.5)  # the edge keeps producing and resending into the void

        server = start_server(db, ingest=ingest, log=log)
        _wait_until(produced.is_set, DRAIN_TIMEOUT_S, "the edge to produce everything")
        _wait_until(lambda: len(spool) == 0, DRAIN_TIMEOUT_S, "the spool to drain")
        # An edge that lost an ack resends what the aggregator already stored.
        resent = events[:CHUNK]
        spool.put([SpooledEvent(str(e.event_id), e.camera_id, to_msgpack(e)) for e in resent])
        _wait_until(lambda: len(spool) == 0, DRAIN_TIMEOUT_S, "the resent chunk's ack")
        _check_stored_once_and_rolled_up_exactly(server, events, base=base, resent=len(resent))
    finally:
        stop.set()
        sender.join(10)
        feeder.join(10)
        publisher.close()
        spool.close()
        first.stop()
        if server is not None:
            server.stop()
    assert acked_before_restart < len(events)


def _check_stored_once_and_rolled_up_exactly(server: Server, events: Sequence[AnyEvent], *, base: float,
                                             resent: int) -> None:  # fmt: skip
    with server.client() as client:
        window = {"since": base - 3600, "until": base + 3 * 3600}
        stored = [line for line in client.get("/api/v1/events.ndjson", params=window).text.splitlines() if line]
        ids = Counter(json.loads(line)["event_id"] for line in stored)
        assert len(stored) == len(events) and max(ids.values()) == 1, "an event was stored twice"
        assert set(ids) == {str(e.event_id) for e in events}, "an event was lost"
        assert client.get("/api/v1/admin/ingest").json()["duplicates"] >= resent

        shelves = client.get("/api/v1/stores/store-1/shelves", params=window).json()["shelves"]
        served = {s["shelf_id"]: {k: s["figures"][k] for k in ("visits", "passbys", "touches", "pickups",
                                                                "putbacks", "takes")} for s in shelves}  # fmt: skip
        assert served == expected_figures(events)
