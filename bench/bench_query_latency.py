"""Shelf-stats and events-page latency over real HTTP with 10 million events stored, on SQLite and PostgreSQL.

1. **Load**: a month of one busy store (`bench.query_latency_data`: 20 shelves, 5 cameras, diurnal traffic,
   every v1 event type, camera outages) goes through `Store.ingest` in batches of 5000 events, one transaction
   each, exactly as the aggregator's ingest commits them, so rollups, coverage, targets and open visits are
   maintained. A load resumes where it stopped (ids are deterministic, so the overlap is deduped) and is
   skipped when the database already holds the events: load once, measure as often as needed.
2. **Measure**: the real app (`shelfsight.dashboard.app.create_app`, uvicorn, one process of its own, as `shelfsight
   serve` runs it) on a loopback port, asked over HTTP with a read token by one keep-alive client: warm-up
   requests, then ``--requests`` timed ones per case, from sending the request to the last byte of the body.
   The server's clock stands 12.6 minutes after the data's last hour, as a dashboard opened just now; "deep"
   pages start at cursors taken from stored events at random depths, a different one per request (cycled).

Cases: the shelf ranking over the last 24 h and the last 7 days, as the pages ask it (relative to now, so not
on whole hours) and on whole hours; one shelf's hourly series over 7 days; the feed's first page and a deep
page, unfiltered, filtered by store + shelf + type, and by a time range.

    python -m bench.bench_query_latency --sqlite /tmp/ql.db --postgres postgresql://user@host/db
    python -m bench.bench_query_latency --sqlite /tmp/ql.db --events 1000000 --label "1 M" --no-readme

Writes bench/results/query_latency.json (rows kept per backend and ``--label``) and the ``query_latency``
section of bench/README.md. The databases are left in place (10 M events: about 9 GB in SQLite); delete them.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import multiprocessing as mp
import platform
import socket
import sqlite3
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from bench.query_latency_data import END_S, START_S, STORE_ID, MonthOfStore
from bench.report import machine_facts, write_section
from shelfsight.dashboard.services.events import encode_cursor
from shelfsight.dashboard.storage import open_store
from shelfsight.dashboard.storage.base import EventFilter, FeedPosition
from shelfsight.dashboard.storage.sql_store import SqlStore

RESULTS = Path(__file__).parent / "results" / "query_latency.json"
TARGET_P95_MS = 100.0
NOW_S = END_S + 754.25
"""The server's clock: 12.6 minutes after the data's last hour (not on a minute, like any real "now")."""
DAY_S = 86_400.0
FILTER_SHELF = "shelf-05"
DEEP_POSITIONS = 50
SERVER_START_S = 60.0


@dataclass(frozen=True)
class Case:
    """One measured request shape: a path, and query strings used in turn (one per request, cycled)."""

    name: str
    what: str
    path: str
    queries: Sequence[dict[str, Any]]
    expect: int
    """Items the response must hold (shelves, series points or events): a wrong answer is not timed."""


@dataclass
class LoadStats:
    """What the load phase did in this run (nothing when the database was already full)."""

    loaded: int = 0
    ingest_s: float = 0.0
    wall_s: float = 0.0
    rate_per_million: list[int] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        return {
            "loaded_now": self.loaded,
            "ingest_events_per_s": round(self.loaded / self.ingest_s) if self.ingest_s else None,
            "wall_events_per_s": round(self.loaded / self.wall_s) if self.wall_s else None,
            "ingest_events_per_s_by_million": self.rate_per_million,
        }


def scalar(store: SqlStore, sql: str) -> Any:
    """One value from a read-only query on the store's own connections."""
    with store._pool.connection() as conn, conn.transaction(write=False):
        return conn.query(sql)[0][0]


def load(store: SqlStore, month: MonthOfStore) -> LoadStats:
    """Ingest the month until the store holds it all; resume after the latest stored event."""
    stats = LoadStats()
    stored = int(scalar(store, "SELECT COUNT(*) FROM events"))
    if stored >= month.total:
        print(f"{store.backend}: {stored:,} events stored already; not loading", flush=True)
        return stats
    first = 0
    if stored:
        latest = float(scalar(store, "SELECT MAX(ts) FROM events"))
        ends = np.array([month.chunk_end_s(c) for c in range(month.chunks)])
        first = max(0, int(np.searchsorted(ends, latest - 3600.0)) - 1)  # visits end <= 15 min after their start
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
               TimeElapsedColumn(), TimeRemainingColumn())  # fmt: skip
    done = int(month.chunk_events[:first].sum())
    wall_started = time.perf_counter()
    segment_ingest, next_million = 0.0, (done // 1_000_000 + 1) * 1_000_000
    with Progress(*columns, refresh_per_second=2) as progress:
        task = progress.add_task(f"load {store.backend}", total=month.total, completed=done, rate="")
        for _, events in month.iter_chunks(first):
            started = time.perf_counter()
            store.ingest(events, [], received_at=time.time())
            spent = time.perf_counter() - started
            stats.ingest_s += spent
            segment_ingest += spent
            stats.loaded += len(events)
            done += len(events)
            rate = stats.loaded / (time.perf_counter() - wall_started)
            if done >= next_million:
                stats.rate_per_million.append(round(1_000_000 / segment_ingest) if segment_ingest else 0)
                segment_ingest, next_million = 0.0, next_million + 1_000_000
                if not progress.console.is_terminal:  # a log file gets a line per million instead of a bar
                    print(f"{store.backend}: {done:,} events, {rate:,.0f} events/s", flush=True)
            progress.update(task, completed=done, rate=f"{rate:,.0f} events/s")
    stats.wall_s = time.perf_counter() - wall_started
    return stats


def tcp_listener() -> socket.socket:
    """A loopback listening socket whose accepted connections get TCP_NODELAY.

    asyncio sets TCP_NODELAY only on sockets whose ``proto`` is IPPROTO_TCP, and `socket.create_server` makes
    them with proto 0. Without it uvicorn's separate writes of headers and body meet Nagle's algorithm and the
    client's delayed ACK, and every response waits about 40 ms (measured here: /api/v1/health 48 ms vs 2 ms).
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    return listener


def _serve(url: str, now: float, out: Any) -> None:
    """Server process: the app as `shelfsight serve` builds it (no ingest), a fixed clock, a fresh read token."""
    import uvicorn

    from shelfsight.dashboard.app import create_app
    from shelfsight.dashboard.services.tokens import Scope, issue_token
    from shelfsight.dashboard.settings import DashboardSettings

    store = open_store(url)
    issued = issue_token(store, name="query-latency bench", scopes=[Scope.READ], now=time.time())
    app = create_app(DashboardSettings(db=url, ingest_endpoint=None), store, run_retention=False, clock=lambda: now)
    listener = tcp_listener()
    out.put((int(listener.getsockname()[1]), issued.secret))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=5))
    try:
        server.run(sockets=[listener])
    finally:
        store.close()


def positions(store: SqlStore, flt: EventFilter, since: float, until: float, *, page: int) -> list[str]:
    """Cursors of stored events matching ``flt`` at random depths of ``[since, until)``, each followed by at
    least a full page (a client paging through the feed holds such cursors)."""
    rng = np.random.default_rng(11)
    cursors: list[str] = []
    for ts in rng.uniform(since, until, DEEP_POSITIONS * 4):
        rows = store.events(flt, after=FeedPosition(float(ts), ""), limit=page + 1)
        if len(rows) > page:
            cursors.append(encode_cursor(FeedPosition(rows[0].ts, rows[0].event_id)))
        if len(cursors) == DEEP_POSITIONS:
            return cursors
    raise RuntimeError(f"fewer than {DEEP_POSITIONS} positions with a full page after them for {flt}")


def cases(store: SqlStore, page: int) -> list[Case]:
    shelves = f"/api/v1/stores/{STORE_ID}/shelves"
    hours_end = END_S
    week = NOW_S - 7 * DAY_S
    filtered = {"store": STORE_ID, "shelf": FILTER_SHELF, "type": "pickup"}
    flt = EventFilter(store_id=STORE_ID, shelf_id=FILTER_SHELF, types=("pickup",))
    day = (END_S - 3 * DAY_S, END_S - 2 * DAY_S)
    ranged = {"since": day[0], "until": day[1]}
    deep_all = positions(store, EventFilter(), START_S, END_S, page=page)
    deep_filtered = positions(store, flt, START_S, END_S, page=page)
    deep_range = positions(store, EventFilter(since=day[0], until=day[1]), day[0], day[1], page=page)
    limit = {"limit": page}
    return [
        Case("shelves_24h", "shelf ranking, last 24 h (the pages' default window)", shelves, [{}], 20),
        Case("shelves_24h_hours", "shelf ranking, last 24 whole hours", shelves,
             [{"since": hours_end - DAY_S, "until": hours_end}], 20),
        Case("shelves_7d", "shelf ranking, last 7 days (since = now - 7 d)", shelves, [{"since": week}], 20),
        Case("shelves_7d_hours", "shelf ranking, last 7 days of whole hours", shelves,
             [{"since": hours_end - 7 * DAY_S, "until": hours_end}], 20),
        Case("shelf_series_hourly_7d", "one shelf's hourly series, last 7 days", f"{shelves}/{FILTER_SHELF}/series",
             [{"granularity": "hour", "since": week}], 169),
        Case("events_first", "events, first page, no filter", "/api/v1/events", [limit], page),
        Case("events_deep", "events, deep page (cursor), no filter", "/api/v1/events",
             [{**limit, "cursor": c} for c in deep_all], page),
        Case("events_filtered_first", "events, first page, store + shelf + type", "/api/v1/events",
             [{**limit, **filtered}], page),
        Case("events_filtered_deep", "events, deep page, store + shelf + type", "/api/v1/events",
             [{**limit, **filtered, "cursor": c} for c in deep_filtered], page),
        Case("events_range_first", "events, first page, one day (since/until)", "/api/v1/events",
             [{**limit, **ranged}], page),
        Case("events_range_deep", "events, deep page, one day (since/until)", "/api/v1/events",
             [{**limit, **ranged, "cursor": c} for c in deep_range], page),
    ]  # fmt: skip


def _items(body: dict[str, Any]) -> int:
    for key in ("shelves", "points", "events"):
        if key in body:
            return len(body[key])
    return -1


def time_case(client: httpx.Client, case: Case, *, requests: int, warmup: int) -> dict[str, float]:
    """p50 / p95 / p99 / max / mean in ms of ``requests`` timed requests after ``warmup`` untimed ones."""
    times = []
    for i in range(warmup + requests):
        query = case.queries[i % len(case.queries)]
        started = time.perf_counter()
        response = client.get(case.path, params=query)
        body = response.content
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"{case.name}: HTTP {response.status_code}: {body[:300]!r}")
        items = _items(json.loads(body))
        if items != case.expect:
            raise RuntimeError(f"{case.name}: expected {case.expect} items, got {items} ({query})")
        if i >= warmup:
            times.append(elapsed * 1000.0)
    p50, p95, p99 = np.percentile(times, [50, 95, 99])
    return {"p50_ms": round(float(p50), 1), "p95_ms": round(float(p95), 1), "p99_ms": round(float(p99), 1),
            "max_ms": round(max(times), 1), "mean_ms": round(statistics.fmean(times), 1)}  # fmt: skip


def measure(url: str, store: SqlStore, *, page: int, requests: int, warmup: int) -> dict[str, Any]:
    """Every case against a server process of its own on ``url``."""
    plan = cases(store, page)
    context = mp.get_context("spawn")
    out: Any = context.Queue()
    server = context.Process(target=_serve, args=(url, NOW_S, out), daemon=True)
    server.start()
    try:
        port, token = out.get(timeout=SERVER_START_S)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=120.0) as client:
            _wait_healthy(client)
            results = {}
            for case in plan:
                results[case.name] = time_case(client, case, requests=requests, warmup=warmup)
                print(f"  {case.name}: {results[case.name]}", flush=True)
    finally:
        server.terminate()
        server.join(30)
    return {"cases": results, "what": {c.name: c.what for c in plan}}


def _wait_healthy(client: httpx.Client) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        try:
            if client.get("/api/v1/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the server did not answer /api/v1/health")


def database_mb(store: SqlStore, url: str) -> float:
    if store.backend == "postgresql":
        return round(int(scalar(store, "SELECT pg_database_size(current_database())")) / 1e6, 1)
    return round(sum(p.stat().st_size for p in Path(url).parent.glob(Path(url).name + "*")) / 1e6, 1)


def bench_backend(url: str, args: argparse.Namespace, month: MonthOfStore) -> tuple[dict[str, Any], dict[str, Any]]:
    """Migrate, load (when not loaded yet) and, unless ``--load-only``, measure; returns (load, measurement)."""
    store = open_store(url)
    assert isinstance(store, SqlStore)
    try:
        started = time.perf_counter()
        applied = store.migrate()
        migrate_s = round(time.perf_counter() - started, 1)
        stats = load(store, month)
        stored = int(scalar(store, "SELECT COUNT(*) FROM events"))
        loaded = {"backend": store.backend, "events_stored": stored, "schema_version": store.schema_version(),
                  "db_mb": database_mb(store, url), **stats.row()}  # fmt: skip
        row: dict[str, Any] = {"backend": store.backend, "label": args.label, "events_stored": stored,
                               "schema_version": store.schema_version(), "migrations_applied_now": applied,
                               "migrate_s": migrate_s, "db_mb": loaded["db_mb"]}  # fmt: skip
        print(json.dumps(loaded), flush=True)
        if not args.load_only:
            print(f"{store.backend}: {stored:,} events stored; measuring", flush=True)
            row.update(measure(url, store, page=args.page, requests=args.requests, warmup=args.warmup))
    finally:
        store.close()
    return loaded, row


def save(args: argparse.Namespace, loads: list[dict[str, Any]], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge this run into bench/results/query_latency.json (under a lock: loads may run side by side).

    Loads are kept per backend (the latest that loaded anything); measurement rows per backend and label.
    """
    RESULTS.parent.mkdir(exist_ok=True)
    with open(RESULTS.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        old = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
        kept_loads = {**old.get("loads", {}), **{r["backend"]: r for r in loads if r["loaded_now"]}}
        replaced = {(r["backend"], r["label"]) for r in rows}
        kept_rows = [r for r in old.get("rows", []) if (r["backend"], r["label"]) not in replaced] + rows
        machine = {**machine_facts(), "python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
        results = {"events": args.events, "batch": args.batch, "page": args.page, "requests": args.requests,
                   "warmup": args.warmup, "loads": kept_loads, "rows": kept_rows, "machine": machine}  # fmt: skip
        RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    RESULTS.with_suffix(".lock").unlink(missing_ok=True)
    return results


def render(results: dict[str, Any]) -> str:
    rows = results["rows"]
    names = list(rows[0]["what"])
    lines = [
        f"A month of one store ({results['events']:,} events: 20 shelves, 5 cameras, diurnal traffic, every v1 "
        f"event type, camera outages) loaded through `Store.ingest` in batches of {results['batch']} (one "
        "transaction each, rollups maintained), then the real app on uvicorn asked over loopback HTTP with a read "
        f"token: {results['warmup']} warm-up and {results['requests']} timed requests per case, one at a time, "
        f"pages of {results['page']} events, deep pages from a different stored position each time. Target: p95 "
        f"<= {TARGET_P95_MS:.0f} ms.",
        "",
        "| case | " + " | ".join(f"{_title(r)} p50 / p95 (ms)" for r in rows) + " |",
        "|---|" + "---|" * len(rows),
    ]
    for name in names:
        cells = [_cell(r["cases"].get(name)) for r in rows]
        lines.append(f"| {rows[0]['what'][name]} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "| backend | events stored | load, Store.ingest only (events/s) | same per million stored, first to last "
        "| load incl. generating events (events/s) | database MB |",
        "|---|---|---|---|---|---|",
    ]
    for backend, r in sorted(results["loads"].items()):
        resumed = "" if r["loaded_now"] == r["events_stored"] else f" (last {r['loaded_now']:,} only)"
        by_million = ", ".join(f"{v:,}" for v in r["ingest_events_per_s_by_million"])
        lines.append(f"| {backend} | {r['events_stored']:,} | {r['ingest_events_per_s']:,}{resumed} | {by_million} "
                     f"| {r['wall_events_per_s']:,} | {r['db_mb']:,} |")  # fmt: skip
    lines += ["", *NOTES, "", f"Machine: {results['machine']}"]
    return "\n".join(lines)


NOTES = (
    "- **before**: the dashboard code as it was (plus the PostgreSQL commit fix, without which the server process "
    'saw no data). A shelf ranking over a window that does not start on an hour (the pages\' default "last 24 h" '
    'from now, any API "since = now - 7 d") summed minute rollups and minute coverage for the whole window: '
    "10,080 minutes x 40 rollup rows for a week.",
    "- **after**: whole hours come from hour rollups and only the ragged ends from minute rollups "
    "(`shelfsight.dashboard.services.windows.window_parts`; the same totals, tested); bucket bounds are passed as "
    "integers (a float made PostgreSQL compare the BIGINT key as float8 and scan the table); migration 0002 adds the "
    "feed indexes `(store_id, shelf_id, ts, event_id)` and `(store_id, shopper_id, ts, event_id)` (the latter replaces "
    "`events_shopper`; SQLite read the whole store for a feed page filtered by shopper: 7.7 s).",
    "- Not covered: a feed filtered by a rare type alone (`type=camera_status`) still scans `events_ts` "
    "(0.4-1.2 s with 10 M events); filters by shelf or shopper without `store` do not use the new indexes.",
    "- The **after** columns and the loads are schema 3 (event ids as 16-byte BLOBs on SQLite, text on "
    "PostgreSQL), each backend loaded on its own; the PostgreSQL load shared the 2 cores with a CI run, so its "
    "rates are lower bounds (bench/bench_ingest.py measures ingest alone). Under schema 1 the same SQLite load ran "
    "at 6,755 events/s (Store.ingest, beside the PostgreSQL load). PostgreSQL is a `.ci/postgres.sh` server "
    "(fsync and synchronous_commit off, shared_buffers 128 MB). The **before** columns are schema 1.",
    "- The server listens on a socket made with IPPROTO_TCP, so asyncio sets TCP_NODELAY on its connections. On a "
    "`socket.create_server` socket, as `shelfsight serve` makes it, every response waits for the client's delayed "
    "ACK: /api/v1/health takes 48 ms instead of 3 ms, and every figure above would be about 40 ms higher.",
)


def _cell(case: dict[str, float] | None) -> str:
    if case is None:
        return "-"
    p95 = f"**{case['p95_ms']}**" if case["p95_ms"] > TARGET_P95_MS else str(case["p95_ms"])
    return f"{case['p50_ms']} / {p95}"


def _title(row: dict[str, Any]) -> str:
    return f"{row['backend']} ({row['label']})" if row["label"] else str(row["backend"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sqlite", default="", help="SQLite file to load (kept; reused when already loaded)")
    parser.add_argument("--postgres", default="", help="postgresql:// URL of a database to load (kept)")
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--batch", type=int, default=5000, help="events per Store.ingest (one transaction)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--page", type=int, default=100, help="events per feed page (the API's default)")
    parser.add_argument("--label", default="", help="names this run's rows (e.g. before / after a change)")
    parser.add_argument("--load-only", action="store_true", help="load (and record the load), measure nothing")
    parser.add_argument("--no-readme", action="store_true", help="print only; leave results and README as they are")
    args = parser.parse_args()
    if not args.sqlite and not args.postgres:
        parser.error("give --sqlite PATH and/or --postgres URL")
    month = MonthOfStore(args.events, batch=args.batch)
    done = [bench_backend(url, args, month) for url in (args.sqlite, args.postgres) if url]
    rows = [row for _, row in done if "cases" in row]
    for row in rows:
        print(json.dumps(row), flush=True)
    if args.no_readme:
        return
    results = save(args, [loaded for loaded, _ in done], rows)
    if results["rows"]:
        write_section("query_latency", render(results))


if __name__ == "__main__":
    main()
