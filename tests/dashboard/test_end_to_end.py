"""End to end with real parts: `shelfsight serve` (uvicorn + ingest) in one process, an edge sender (DEALER)
in another, and plain HTTP against the running server, including the live SSE stream."""

from __future__ import annotations

import base64
import io
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pyarrow.parquet as pq
import pytest

from shelfsight.dashboard.services.feed_format import parse_csv, unflatten
from shelfsight.vision.events.codec import from_json, to_dict
from tests.dashboard.scenario import (
    ALL_EVENTS,
    HAND_COUNT_HOUR16,
    HAND_COVERAGE_HOUR16,
    HOUR,
    T0,
    foreign_store_event,
    malformed_event,
)
from tests.dashboard.serve_process import ROOT, Server, free_port, start_server

pytestmark = pytest.mark.integration  # starts processes, servers or a browser

FEED_ORDER = sorted(ALL_EVENTS, key=lambda e: (e.ts, str(e.event_id)))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = start_server(
        str(tmp_path / "e2e.db"), ingest=f"tcp://127.0.0.1:{free_port()}", log=tmp_path / "serve.log"
    )
    # The printed sign-in link carries a read-only session of its own, never the admin token.
    link_token = running.sign_in.removeprefix(f"{running.url}/login#token=")
    assert link_token != running.sign_in and link_token != running.token
    with httpx.Client(base_url=running.url, headers={"Authorization": f"Bearer {link_token}"}) as link:
        assert link.get("/api/v1/stores").status_code == 200
        assert link.get("/api/v1/admin/tokens").status_code == 403
    yield running
    running.stop()


class LiveStream:
    """Reads the SSE stream in a thread and keeps the ids of the events it carried."""

    def __init__(self, server: Server) -> None:
        self.ids: list[str] = []
        self.connected = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(server,), daemon=True)
        self._thread.start()

    def _run(self, server: Server) -> None:
        with server.client() as client, client.stream("GET", "/api/v1/events/live", params={"store": "store-1"}) as r:
            for line in r.iter_lines():
                if line.startswith(": connected"):
                    self.connected.set()
                if line.startswith("id: "):
                    self.ids.append(line[4:])
                if len(self.ids) >= len(ALL_EVENTS):
                    return


def test_edge_to_dashboard_with_real_processes_sockets_and_http(server: Server) -> None:
    live = LiveStream(server)
    assert live.connected.wait(10)

    sender = subprocess.run([sys.executable, str(ROOT / "tests/dashboard/edge_sender.py"), server.ingest],
                            cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert sender.returncode == 0, sender.stdout + sender.stderr
    acks = [json.loads(line) for line in sender.stdout.splitlines()]
    assert acks == [
        {"store_id": "store-1", "batch_id": "A-1", "accepted": 12, "duplicates": 0, "rejected": 0},
        {"store_id": "store-1", "batch_id": "A-1", "accepted": 0, "duplicates": 12, "rejected": 0},
        {"store_id": "store-1", "batch_id": "B-1", "accepted": 8, "duplicates": 1, "rejected": 2},
        None,  # the garbage message gets no ack
        {"store_id": "store-1", "batch_id": "C-1", "accepted": 6, "duplicates": 0, "rejected": 0},
    ]

    with server.client() as client:
        # Every valid event stored exactly once, in the feed's stable order, across pages.
        seen, cursor = [], None
        while True:
            params: dict[str, object] = {"limit": 10, **({"cursor": cursor} if cursor else {})}
            page = client.get("/api/v1/events", params=params).json()
            seen.extend(page["events"])
            if (cursor := page["next_cursor"]) is None:
                break
        assert seen == [to_dict(e) for e in FEED_ORDER]

        # The malformed and the foreign-store events wait in the dead letter table, raw bytes intact.
        letters = client.get("/api/v1/admin/dead-letters").json()
        assert sorted(base64.b64decode(d["raw_base64"]) for d in letters) == sorted(
            [malformed_event(), foreign_store_event()]
        )
        assert any("dwell_s: expected ts_end - ts_start" in d["error"] for d in letters)
        stats = client.get("/api/v1/admin/ingest").json()
        assert (stats["malformed_messages"], stats["accepted"], stats["rejected"]) == (1, 26, 2)

        # Per-shelf figures equal the hand count.
        shelves = client.get("/api/v1/stores/store-1/shelves", params={"since": T0, "until": T0 + HOUR}).json()
        for shelf in shelves["shelves"]:
            assert shelf["figures"] == pytest.approx(HAND_COUNT_HOUR16[shelf["shelf_id"]])
            assert shelf["coverage"] == HAND_COVERAGE_HOUR16[shelf["shelf_id"]]

        # The feed round-trips through NDJSON, CSV and Parquet.
        assert [from_json(x) for x in client.get("/api/v1/events.ndjson").text.splitlines()] == FEED_ORDER
        exact_csv = client.get("/api/v1/events.csv", params={"escape_formulas": "false"}).text
        assert parse_csv(exact_csv) == FEED_ORDER
        table = pq.read_table(io.BytesIO(client.get("/api/v1/events.parquet").content))
        assert [unflatten(row) for row in table.to_pylist()] == FEED_ORDER

        # Pages render with locally served plotly.
        page = client.get("/stores/store-1/shelves/shelf-A", params={"since": T0, "until": T0 + HOUR})
        assert page.status_code == 200 and "/static/plotly.min.js" in page.text
        assert client.get("/static/plotly.min.js").status_code == 200

    # The live stream carried each new event once (duplicates are not new).
    deadline = time.monotonic() + 10
    while len(live.ids) < len(ALL_EVENTS) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(live.ids) == sorted(str(e.event_id) for e in ALL_EVENTS)

    # A clean stop: SIGINT -> uvicorn's graceful shutdown -> the lifespan stops ingest; then uvicorn re-raises
    # the signal, so the exit status is the shell's Ctrl-C convention, 128 + SIGINT.
    server.process.send_signal(signal.SIGINT)
    assert server.process.wait(15) == 128 + signal.SIGINT
    log = server.log.read_text()
    assert "ingest stopped" in log and "Application shutdown complete" in log, log[-2000:]
