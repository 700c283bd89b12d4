"""Live (SSE) clients that never read, against a real server with real ingest: they are dropped, ingest goes on.

The app runs in uvicorn on a loopback port with an `IngestReceiver` and its bus, as `shelfsight serve` does;
the idle clients are raw TCP sockets with a 4 KiB receive buffer that send the request and never read a byte.
Their speed is measured in bench/ (bench_hardening.py); here the behaviour: every batch is acknowledged, every
idle client is disconnected once it is too far behind, and a client that connects afterwards gets new events.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx2 as httpx
import pytest
import zmq

from shelfsight.dashboard.app import create_app
from shelfsight.dashboard.ingest.receiver import IngestOptions, IngestReceiver
from shelfsight.dashboard.services.bus import EventBus
from shelfsight.dashboard.services.tokens import IssuedToken
from shelfsight.dashboard.settings import DashboardSettings
from shelfsight.dashboard.storage.base import Store
from shelfsight.transport.envelope import decode, encode
from shelfsight.transport.messages import Ack, EventBatch
from shelfsight.vision.events.codec import to_msgpack
from tests.dashboard import builders as b
from tests.dashboard.scenario import T0
from tests.dashboard.thread_server import serve_in_thread

pytestmark = pytest.mark.integration  # starts processes, servers or a browser

IDLE_CLIENTS = 20
QUEUE = 200
BATCHES = 30
EVENTS_PER_BATCH = 1000
"""30,000 events of about 300 bytes of JSON: far more than the socket buffers between server and idle client,
so each idle client's stream blocks and its queue overflows."""


def _eventually(condition: Callable[[], bool], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def _idle_client(url: str, token: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    conn = socket.socket()
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    conn.connect((host, int(port)))
    conn.sendall(f"GET /api/v1/events/live HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
    return conn


def _batch(index: int) -> EventBatch:
    events = [b.dwell(shopper=f"s{index}-{i}", zone="za", shelf="shelf-A", start=T0 + i, seconds=2.0)
              for i in range(EVENTS_PER_BATCH)]  # fmt: skip
    return EventBatch("store-1", "cam1", f"b{index}", tuple(to_msgpack(e) for e in events))


def test_clients_that_never_read_are_dropped_and_ingest_goes_on(
    sqlite_store: Store, read_token: IssuedToken, tmp_path: Path
) -> None:
    settings = DashboardSettings(db="unused", ingest_endpoint="ipc://unused", live_queue_size=QUEUE)
    bus = EventBus(queue_size=settings.live_queue_size)
    ingest = IngestReceiver(store=sqlite_store, endpoint=f"ipc://{tmp_path}/ingest.sock", bus=bus,
                            options=IngestOptions(poll_ms=20))  # fmt: skip
    app = create_app(settings, sqlite_store, bus=bus, ingest=ingest, run_retention=False)
    context: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    idle: list[socket.socket] = []
    try:
        with serve_in_thread(app) as url:
            idle = [_idle_client(url, read_token.secret) for _ in range(IDLE_CLIENTS)]
            _eventually(lambda: bus.subscriber_count == IDLE_CLIENTS)
            dealer = context.socket(zmq.DEALER)
            dealer.setsockopt(zmq.LINGER, 0)
            dealer.setsockopt(zmq.RCVTIMEO, 60_000)
            dealer.connect(ingest.endpoint)
            for index in range(BATCHES):  # as an edge publisher does: one batch in flight
                dealer.send_multipart(encode(_batch(index).to_envelope()))
                assert Ack.from_envelope(decode(dealer.recv_multipart())).accepted == EVENTS_PER_BATCH
            _eventually(lambda: bus.subscriber_count == 0)  # every idle client was dropped
            assert sqlite_store.counts().events == BATCHES * EVENTS_PER_BATCH

            # A client that connects now is served: it gets the next batch's events.
            received: list[str] = []
            connected = threading.Event()

            def read() -> None:
                headers = {"Authorization": f"Bearer {read_token.secret}"}
                with (
                    httpx.Client(base_url=url, headers=headers, timeout=60) as client,
                    client.stream("GET", "/api/v1/events/live") as response,
                ):
                    for line in response.iter_lines():
                        connected.set()
                        if line.startswith("id: "):
                            received.append(line[4:])
                        if len(received) == EVENTS_PER_BATCH:
                            return

            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            assert connected.wait(30)
            _eventually(lambda: bus.subscriber_count == 1)
            dealer.send_multipart(encode(_batch(BATCHES).to_envelope()))
            assert Ack.from_envelope(decode(dealer.recv_multipart())).accepted == EVENTS_PER_BATCH
            reader.join(60)
            assert len(received) == EVENTS_PER_BATCH
            dealer.close()
    finally:
        for conn in idle:
            conn.close()
        context.destroy(linger=0)
