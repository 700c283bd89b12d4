"""Sustained ingest through the aggregator's real receive path: ZeroMQ -> decode and validate -> dedupe -> one
group commit -> rollups, on the embedded default (SQLite) and PostgreSQL.

Edge boxes are simulated by one sender process that keeps ``--in-flight`` batches of 1000 events outstanding
(like that many edge publishers, each waiting for its ack) over a real DEALER socket to a real `IngestReceiver`
with the settings `shelfsight serve` uses (group commits of up to 10,000 events). Events are the storage bench's
store (40 shelves, 4 cameras, 14 days), encoded to msgpack before timing starts. The figure is events
acknowledged per second from the first send to the last ack, i.e. stored, rolled up and durable.

    python -m bench.bench_ingest                       # 1 M events, SQLite; writes bench/results/ingest.json
    python -m bench.bench_ingest --postgres postgresql://...   # also PostgreSQL
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import zmq

from bench.bench_storage import BATCH, batches
from bench.report import machine_facts, write_section
from shelfsight.dashboard.ingest.receiver import IngestOptions, IngestReceiver
from shelfsight.dashboard.storage import open_store
from shelfsight.transport.envelope import decode, encode
from shelfsight.transport.messages import Ack, EventBatch
from shelfsight.vision.events.codec import to_msgpack

RESULTS = Path(__file__).parent / "results" / "ingest.json"
ACK_TIMEOUT_MS = 60_000


def send_batches(endpoint: str, total: int, in_flight: int, out: Any) -> None:
    """Sender process: encode every batch first, then send with ``in_flight`` outstanding; report elapsed s."""
    encoded = [
        encode(EventBatch("store-1", "*", f"b{i}", tuple(to_msgpack(e) for e in chunk)).to_envelope())
        for i, chunk in enumerate(batches(total))
    ]
    context = zmq.Context()
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(endpoint)
    started = time.perf_counter()
    sent = acked = accepted = 0
    while acked < len(encoded):
        while sent < len(encoded) and sent - acked < in_flight:
            socket.send_multipart(encoded[sent], copy=False)
            sent += 1
        if not socket.poll(ACK_TIMEOUT_MS):
            raise TimeoutError("no ack within 60 s")
        ack = Ack.from_envelope(decode(socket.recv_multipart()))
        acked += 1
        accepted += ack.accepted
    out.put((time.perf_counter() - started, accepted))
    socket.close()
    context.term()


def bench_backend(url: str, total: int, in_flight: int) -> dict[str, Any]:
    store = open_store(url)
    store.migrate()
    options = IngestOptions()  # the defaults `shelfsight serve` runs with
    receiver = IngestReceiver(store=store, endpoint="tcp://127.0.0.1:0", options=options)
    receiver.start()
    results: Any = mp.get_context("spawn").Queue()
    sender = mp.get_context("spawn").Process(target=send_batches, args=(receiver.endpoint, total, in_flight, results))
    sender.start()
    elapsed_s, accepted = results.get(timeout=3600)
    sender.join(30)
    stats = receiver.stats
    receiver.stop()
    store.close()
    assert accepted == total, f"accepted {accepted} of {total}"
    return {"backend": store.backend, "events": total, "batch": BATCH, "in_flight": in_flight,
            "max_events_per_commit": options.max_events_per_commit, "events_per_s": round(total / elapsed_s),
            "commits": stats.commits, "seconds": round(elapsed_s, 1)}  # fmt: skip


def render(results: dict[str, Any]) -> str:
    lines = [
        f"Sustained ingest through the real receive path (ZeroMQ, msgpack decode and v1 validation, dedupe, group "
        f"commit of up to {results['max_events_per_commit']:,} events, rollups, open visits, targets): "
        f"{results['events']:,} events in batches of {BATCH} from one sender keeping {results['in_flight']} batches "
        "in flight (that many edge boxes waiting for acks). Events/s = acknowledged (stored, durable) events from "
        "the first send to the last ack.",
        "",
        "| backend | events/s | commits | seconds |",
        "|---|---|---|---|",
    ]
    lines += [f"| {r['backend']} | {r['events_per_s']:,} | {r['commits']} | {r['seconds']} |" for r in results["rows"]]
    lines += ["", f"Machine: {results['machine']}"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--in-flight", type=int, default=8)
    parser.add_argument("--postgres", default="", help="postgresql:// URL of an empty database to bench as well")
    parser.add_argument("--no-readme", action="store_true", help="print only; leave bench/README.md as it is")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as folder:
        rows.append(bench_backend(str(Path(folder) / "ingest.db"), args.events, args.in_flight))
        print(json.dumps(rows[-1]), flush=True)
    if args.postgres:
        rows.append(bench_backend(args.postgres, args.events, args.in_flight))
        print(json.dumps(rows[-1]), flush=True)
    machine = {**machine_facts(), "python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    results = {"events": args.events, "in_flight": args.in_flight, "rows": rows, "machine": machine,
               "max_events_per_commit": rows[0]["max_events_per_commit"]}  # fmt: skip
    if not args.no_readme:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        write_section("ingest", render(results))


if __name__ == "__main__":
    main()
