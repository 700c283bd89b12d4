"""Storage backends compared on the aggregator's own workload: SQLite against DuckDB (the embedded candidates).

The workload is the real one, through the real `Store` code: ingest in edge-sized batches (1000 events, one
transaction each, with rollups, targets, open visits and coverage maintained on the way), then the three reads
the dashboard and the feeds make most:

* per-shelf-hour figures for one day, and per-shelf totals over all 14 days (the overview's ranking), from the
  rollup tables (`Store.rollups`), and for comparison the same numbers computed from the raw events with no
  rollup table (a GROUP BY over ``events``);
* one page (1000 events) of the analysts' feed, filtered by store and type, from the middle of the data.

Events are synthetic but shaped like a store's: 40 shelves with a standing zone each, 4 cameras, 14 days of
visits in time order (dwell_started + dwell), touches, pickups, half of them put back. Generation is not timed.

    python -m bench.bench_storage               # 1 M events; writes bench/results/storage.json and README section
    python -m bench.bench_storage --events 100000
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.report import machine_facts, write_section
from shelfsight.dashboard.storage import open_store
from shelfsight.dashboard.storage.base import EventFilter, FeedPosition, RollupQuery
from shelfsight.dashboard.storage.sql_store import SqlStore
from shelfsight.vision.events.contract import (
    AnyEvent,
    DwellEvent,
    DwellStartedEvent,
    PickupEvent,
    PutbackEvent,
    ShelfSpot,
    TouchEvent,
)
from shelfsight.vision.events.ids import event_id_for

BACKENDS = ("sqlite", "duckdb")
BATCH = 1000
SHELVES = 40
CAMERAS = 4
DAYS = 14
START = 1_717_200_000.0  # 2024-06-01T00:00:00Z
STORE = "store-1"
EVENTS_PER_VISIT = 3.4
"""Mean events per generated visit: 2 (dwell_started, dwell) + 0.6 touch + 0.5 pickup + 0.25 putback."""
SPOT = ShelfSpot(spot_id="s1", box=(0.1, 0.2, 0.3, 0.4))
RESULTS = Path(__file__).parent / "results" / "storage.json"

RAW_SHELF_TOTALS_SQL = (
    "SELECT shelf_id, SUM(CASE WHEN type = 'dwell' THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN type = 'dwell' THEN dwell_s ELSE 0 END), SUM(CASE WHEN type = 'touch' THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN type = 'pickup' THEN 1 ELSE 0 END) FROM events WHERE store_id = ? AND ts_start >= ? "
    "AND ts_start < ? AND shelf_id IS NOT NULL GROUP BY shelf_id ORDER BY shelf_id"
)
RAW_SHELF_HOUR_SQL = (
    "SELECT shelf_id, CAST(FLOOR(ts_start / 3600) AS BIGINT) AS hour, "
    "SUM(CASE WHEN type = 'dwell' THEN 1 ELSE 0 END), SUM(CASE WHEN type = 'dwell' THEN dwell_s ELSE 0 END), "
    "SUM(CASE WHEN type = 'touch' THEN 1 ELSE 0 END), SUM(CASE WHEN type = 'pickup' THEN 1 ELSE 0 END) "
    "FROM events WHERE store_id = ? AND ts_start >= ? AND ts_start < ? AND shelf_id IS NOT NULL "
    "GROUP BY shelf_id, hour ORDER BY shelf_id, hour"
)


def visit_events(index: int, rng: random.Random, visits: int) -> list[AnyEvent]:
    """Visit ``index`` of ``visits`` (3.4 events on average), in time order over the days, as a store sends them."""
    shelf = rng.randrange(SHELVES)
    camera = f"cam{shelf % CAMERAS + 1}"
    shopper = f"{camera}-{index}"
    zone, shelf_id = f"z{shelf}", f"shelf-{shelf}"
    start = START + (index + rng.random()) * DAYS * 86_400 / visits
    seconds = round(rng.expovariate(1 / 25.0) + 1.0, 3)

    def eid(kind: str, ts: float, extra: str) -> Any:
        return event_id_for(store_id=STORE, camera_id=camera, type=kind, shopper_id=shopper, ts_start=ts, extra=extra)

    common: dict[str, Any] = {"store_id": STORE, "camera_id": camera, "confidence": 0.9, "shopper_id": shopper}
    events: list[AnyEvent] = [
        DwellStartedEvent(event_id=eid("dwell_started", start, zone), ts=start + 2, ts_start=start, zone_id=zone,
                          shelf_id=shelf_id, **common),
        DwellEvent(event_id=eid("dwell", start, zone), ts=start + seconds, ts_start=start, ts_end=start + seconds,
                   zone_id=zone, shelf_id=shelf_id, dwell_s=seconds, **common),
    ]  # fmt: skip
    if rng.random() < 0.6:
        t = start + 0.5
        events.append(TouchEvent(event_id=eid("touch", t, shelf_id), ts=t + 0.5, ts_start=t, ts_end=t + 0.5,
                                 shelf_id=shelf_id, zone_id=zone, **common))  # fmt: skip
    if rng.random() < 0.5:
        t = start + 0.7
        pickup = PickupEvent(event_id=eid("pickup", t, f"{shelf_id}/s1"), ts=t + 0.3, ts_start=t, ts_end=t + 0.3,
                             shelf_id=shelf_id, spot=SPOT, **common)  # fmt: skip
        events.append(pickup)
        if rng.random() < 0.5:
            t = start + 0.9
            events.append(PutbackEvent(event_id=eid("putback", t, f"{shelf_id}/s1"), ts=t + 0.05, ts_start=t,
                                       ts_end=t + 0.05, shelf_id=shelf_id, spot=SPOT, misplaced=False,
                                       pickup_event_id=pickup.event_id, **common))  # fmt: skip
    return events


def batches(total: int, seed: int = 0) -> Iterator[list[AnyEvent]]:
    """Edge-sized batches adding up to ``total`` events."""
    rng = random.Random(seed)
    pending: list[AnyEvent] = []
    produced, visit = 0, 0
    visits = max(1, round(total / EVENTS_PER_VISIT))
    while produced < total:
        pending.extend(visit_events(visit, rng, visits))
        visit += 1
        while len(pending) >= BATCH or (pending and produced + len(pending) >= total):
            chunk, pending = pending[: min(BATCH, total - produced)], pending[BATCH:]
            produced += len(chunk)
            yield chunk
            if produced >= total:
                return


def median_ms(call: Callable[[], object], runs: int) -> float:
    call()  # warm caches, as a dashboard that is in use has them
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000.0, 2)


def bench_backend(backend: str, total: int, folder: Path, runs: int) -> dict[str, Any]:
    path = folder / ("bench.db" if backend == "sqlite" else "bench.duckdb")
    store = open_store(str(path) if backend == "sqlite" else f"duckdb://{path}")
    assert isinstance(store, SqlStore)
    store.migrate()
    ingest_s = 0.0
    for chunk in batches(total):
        started = time.perf_counter()
        store.ingest(chunk, [], received_at=time.time())
        ingest_s += time.perf_counter() - started
    day = START + 7 * 86_400
    one_day = RollupQuery(STORE, 3600, day, day + 86_400)
    all_days = RollupQuery(STORE, 3600, START, START + DAYS * 86_400, per_bucket=False)
    middle = store.events(EventFilter(store_id=STORE), after=FeedPosition(day, ""), limit=1)[0]
    feed = EventFilter(store_id=STORE, types=("dwell", "pickup"))

    def raw(sql: str, since: float, until: float) -> Callable[[], object]:
        def run() -> object:
            with store._pool.connection() as conn, conn.transaction(write=False):
                return conn.query(sql, (STORE, since, until))

        return run

    row = {
        "backend": backend,
        "events": total,
        "ingest_events_per_s": round(total / ingest_s),
        "rollup_shelf_hour_day_ms": median_ms(lambda: store.rollups(one_day), runs),
        "rollup_shelf_totals_14d_ms": median_ms(lambda: store.rollups(all_days), runs),
        "raw_shelf_hour_day_ms": median_ms(raw(RAW_SHELF_HOUR_SQL, day, day + 86_400), runs),
        "raw_shelf_totals_14d_ms": median_ms(
            raw(RAW_SHELF_TOTALS_SQL, START, START + DAYS * 86_400), max(3, runs // 4)
        ),
        "feed_page_ms": median_ms(
            lambda: store.events(feed, after=FeedPosition(middle.ts, middle.event_id), limit=1000), runs
        ),
        "file_mb": round(sum(p.stat().st_size for p in folder.glob(path.name + "*")) / 1e6, 1),
    }
    store.close()
    return row


def render(results: dict[str, Any]) -> str:
    rows = results["rows"]
    lines = [
        f"{results['events']:,} synthetic events ({SHELVES} shelves, {CAMERAS} cameras, {DAYS} days) ingested in "
        f"batches of {BATCH} through `Store.ingest` (one transaction each, rollups maintained); queries are the "
        f"median of {results['runs']} runs after one warm-up.",
        "",
        "| backend | ingest events/s | shelf x hour, 1 day: rollups (ms) | same from raw events (ms) "
        "| shelf totals, 14 days: rollups (ms) | same from raw events (ms) | feed page of 1000 (ms) | file MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['backend']} | {r['ingest_events_per_s']:,} | {r['rollup_shelf_hour_day_ms']} "
            f"| {r['raw_shelf_hour_day_ms']} | {r['rollup_shelf_totals_14d_ms']} | {r['raw_shelf_totals_14d_ms']} "
            f"| {r['feed_page_ms']} | {r['file_mb']} |"
        )
    lines += [
        "",
        "Dashboards read the rollup columns, analysts the feed page, ingest runs all day: the embedded default is "
        "chosen on those (SQLite; reasons in docs/dashboard.md, 'Which embedded backend'). The raw-event columns "
        "show what the rollups save, and where DuckDB's column scans shine.",
        "",
        f"Machine: {results['machine']}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    args = parser.parse_args()
    rows = []
    for backend in args.backends:
        with tempfile.TemporaryDirectory(prefix=f"bench-{backend}-") as folder:
            row = bench_backend(backend, args.events, Path(folder), args.runs)
        print(json.dumps(row), flush=True)
        rows.append(row)
    import sqlite3

    import duckdb

    machine = {**machine_facts(), "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
               "duckdb": duckdb.__version__}  # fmt: skip
    results = {"events": args.events, "runs": args.runs, "rows": rows, "machine": machine}
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    write_section("storage", render(results))


if __name__ == "__main__":
    main()
