"""What hostile or careless requests cost the aggregator (issue 14): wide windows, and live clients that never read.

Two measurements, both through the real app on uvicorn over loopback HTTP with a read token:

* **Wide windows.** A small store (one shelf, one camera with a status change, a day of visits) and the
  requests a read token could send with the widest windows the API accepts: the shelf list and the camera
  list over 1970 .. 9999-12-31, and the camera list over 1,000 years. The figure is the wall time of one
  request and the server's CPU seconds for it (the server runs in this process; nothing else runs meanwhile).
* **Live clients that never read.** Ingest events/s through the real receive path (a DEALER sender process
  keeping 8 batches of 1000 in flight, as `bench.bench_ingest`) while K clients hold ``/api/v1/events/live``
  open and never read a byte (a third process, receive buffers of 4 KiB), K = 0 and 100.

    python -m bench.bench_hardening                   # writes bench/results/hardening.json and its README section
    python -m bench.bench_hardening --events 50000 --no-readme
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2 as httpx
import uvicorn

from bench.bench_ingest import send_batches
from bench.report import machine_facts, write_section
from shelfsight.dashboard.app import create_app
from shelfsight.dashboard.ingest.receiver import IngestOptions, IngestReceiver
from shelfsight.dashboard.services.bus import EventBus
from shelfsight.dashboard.services.tokens import Scope, issue_token
from shelfsight.dashboard.settings import DashboardSettings
from shelfsight.dashboard.storage import open_store
from shelfsight.vision.events.contract import CameraStatusEvent, DwellEvent, DwellStartedEvent
from shelfsight.vision.events.ids import event_id_for

RESULTS = Path(__file__).parent / "results" / "hardening.json"
STORE = "store-1"
DAY0 = 1_717_200_000.0  # 2024-06-01T00:00:00Z
MAX_EPOCH_S = 253_402_300_799
YEAR_S = 365.25 * 86_400
ACK_TIMEOUT_MS = 600_000
CLIENT_RCVBUF = 4096


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` on uvicorn in a thread of this process, on a free loopback port; yields the base URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(30)
        listener.close()


def small_store_events() -> list[Any]:
    """A day of one shelf: the camera online, offline for an hour at noon, online again; a visit every 10 min."""
    events: list[Any] = []
    for ts, status in ((DAY0, "online"), (DAY0 + 12 * 3600, "offline"), (DAY0 + 13 * 3600, "online")):
        eid = event_id_for(store_id=STORE, camera_id="cam1", type="camera_status", shopper_id="", ts_start=ts,
                           extra=status)  # fmt: skip
        events.append(CameraStatusEvent(event_id=eid, store_id=STORE, camera_id="cam1", ts=ts, confidence=1.0,
                                        status=status, reason="", fps=5.0))  # type: ignore[arg-type]  # fmt: skip
    for i in range(144):
        start, shopper = DAY0 + 600 * i + 30, f"cam1-{i}"
        ids = [event_id_for(store_id=STORE, camera_id="cam1", type=kind, shopper_id=shopper, ts_start=start,
                            extra="z1") for kind in ("dwell_started", "dwell")]  # fmt: skip
        events.append(DwellStartedEvent(event_id=ids[0], store_id=STORE, camera_id="cam1", ts=start + 2,
                                        confidence=0.9, shopper_id=shopper, zone_id="z1", shelf_id="shelf-1",
                                        ts_start=start))  # fmt: skip
        events.append(DwellEvent(event_id=ids[1], store_id=STORE, camera_id="cam1", ts=start + 20, confidence=0.9,
                                 shopper_id=shopper, ts_start=start, ts_end=start + 20, zone_id="z1",
                                 shelf_id="shelf-1", dwell_s=20.0))  # fmt: skip
    return events


WIDE_CASES = (
    ("shelves, 1970 .. 9999", f"/api/v1/stores/{STORE}/shelves?since=0&until={MAX_EPOCH_S}"),
    ("cameras, 1970 .. 9999", f"/api/v1/stores/{STORE}/cameras?since=0&until={MAX_EPOCH_S}"),
    ("cameras, 1,000 years", f"/api/v1/stores/{STORE}/cameras?since={DAY0:.0f}&until={DAY0 + 1000 * YEAR_S:.0f}"),
    ("shelf page, 1970 .. 9999", f"/stores/{STORE}/shelves/shelf-1?since=0&until={MAX_EPOCH_S}&granularity=day"),
)


def bench_wide_windows(folder: Path) -> list[dict[str, Any]]:
    store = open_store(str(folder / "wide.db"))
    store.migrate()
    store.ingest(small_store_events(), [], received_at=DAY0 + 86_400)
    token = issue_token(store, name="bench", scopes=[Scope.READ], now=DAY0)
    settings = DashboardSettings(db="unused", ingest_endpoint=None)
    app = create_app(settings, store, run_retention=False, clock=lambda: DAY0 + 86_400)
    rows = []
    with serving(app) as url, httpx.Client(base_url=url, timeout=600.0) as client:
        client.headers["Authorization"] = f"Bearer {token.secret}"
        client.cookies.set("shelfsight_token", token.secret)
        for name, path in WIDE_CASES:
            cpu, wall = time.process_time(), time.perf_counter()
            response = client.get(path)
            row = {"case": name, "status": response.status_code, "seconds": round(time.perf_counter() - wall, 3),
                   "cpu_s": round(time.process_time() - cpu, 3), "bytes": len(response.content)}  # fmt: skip
            print(json.dumps(row), flush=True)
            rows.append(row)
    store.close()
    return rows


def _idle_clients(url: str, token: str, count: int, ready: Any, done: Any) -> None:
    """Client process: ``count`` live streams that send their request and never read; held until ``done``."""
    host, port = url.removeprefix("http://").split(":")
    held = []
    for _ in range(count):
        conn = socket.socket()
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, CLIENT_RCVBUF)
        conn.connect((host, int(port)))
        conn.sendall(f"GET /api/v1/events/live HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n"
                     .encode())  # fmt: skip
        held.append(conn)
    ready.set()
    done.wait()
    for conn in held:
        conn.close()


def bench_idle_clients(folder: Path, clients: int, total: int, in_flight: int) -> dict[str, Any]:
    store = open_store(str(folder / f"live-{clients}.db"))
    store.migrate()
    token = issue_token(store, name="bench", scopes=[Scope.READ], now=DAY0)
    settings = DashboardSettings(db="unused", ingest_endpoint="tcp://127.0.0.1:0")
    bus = EventBus(queue_size=settings.live_queue_size)
    receiver = IngestReceiver(store=store, endpoint="tcp://127.0.0.1:0", bus=bus, options=IngestOptions())
    app = create_app(settings, store, bus=bus, ingest=receiver, run_retention=False)
    spawn = mp.get_context("spawn")
    with serving(app) as url:
        ready, done = spawn.Event(), spawn.Event()
        holder = spawn.Process(target=_idle_clients, args=(url, token.secret, clients, ready, done))
        holder.start()
        ready.wait(120)
        deadline = time.monotonic() + 120
        while bus.subscriber_count < clients and time.monotonic() < deadline:
            time.sleep(0.05)
        subscribed = bus.subscriber_count
        results: Any = spawn.Queue()
        sender = spawn.Process(target=send_batches, args=(receiver.endpoint, total, in_flight, results))
        sender.start()
        elapsed_s, accepted = results.get(timeout=3600)
        sender.join(30)
        left = bus.subscriber_count
        done.set()
        holder.join(30)
    store.close()
    assert accepted == total, f"accepted {accepted} of {total}"
    row = {"clients": clients, "subscribed": subscribed, "subscribed_after": left, "events": total,
           "events_per_s": round(total / elapsed_s), "seconds": round(elapsed_s, 1)}  # fmt: skip
    print(json.dumps(row), flush=True)
    return row


def render(results: dict[str, Any]) -> str:
    lines = [
        "Wide windows: one request each through the real app over loopback HTTP (read token; the shelf page with "
        "the token cookie), against a store with one shelf, one camera and a day of visits. CPU = the server "
        "process's CPU seconds during the request.",
        "",
        "| request | status | seconds | CPU s | bytes |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {r['case']} | {r['status']} | {r['seconds']} | {r['cpu_s']} | {r['bytes']:,} |"
              for r in results["wide"]]  # fmt: skip
    lines += [
        "",
        f"Ingest with live clients that never read: {results['events']:,} events in batches of 1000, 8 in flight, "
        "SQLite, while K clients hold /api/v1/events/live open without reading (receive buffer 4 KiB). "
        "'subscribed' = live subscriptions when ingest started; 'after' = when it ended (slow readers are "
        "dropped).",
        "",
        "| clients | subscribed | after | events/s | seconds |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {r['clients']} | {r['subscribed']} | {r['subscribed_after']} | {r['events_per_s']:,} | "
              f"{r['seconds']} |" for r in results["live"]]  # fmt: skip
    lines += ["", f"Machine: {results['machine']}"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--in-flight", type=int, default=8)
    parser.add_argument("--clients", type=int, nargs="*", default=[0, 100])
    parser.add_argument("--skip-wide", action="store_true")
    parser.add_argument("--no-readme", action="store_true", help="print only; leave bench/README.md as it is")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-hardening-") as name:
        folder = Path(name)
        wide = [] if args.skip_wide else bench_wide_windows(folder)
        live = [bench_idle_clients(folder, k, args.events, args.in_flight) for k in args.clients]
    machine = {**machine_facts(), "python": platform.python_version()}
    results = {"events": args.events, "wide": wide, "live": live, "machine": machine}
    if not args.no_readme:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        write_section("hardening", render(results))


if __name__ == "__main__":
    main()
