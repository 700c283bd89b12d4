"""One ingest transaction: store new events once, and keep every derived table in step with them.

Everything derived (rollups, coverage, targets, open visits, pickup reversals) is computed from the events
*this* transaction inserted for the first time, so a resent batch changes nothing and a crash before commit
leaves nothing behind. The rows and the deltas come prepared (`shelfsight.dashboard.storage.prepared`, no database
access); what depends on the stored data (which ids are new, which pickups a put-back reverses, finished
visits, camera-status neighbours) is looked up here. Backends differ only in their `SqlConnection`.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Sequence
from uuid import UUID

from shelfsight.dashboard.storage.base import IngestResult
from shelfsight.dashboard.storage.coverage import StatusPoint, coverage_rows, recompute_window
from shelfsight.dashboard.storage.ids import id_int, id_uuid
from shelfsight.dashboard.storage.prepared import Derived, PreparedIngest, visit_key
from shelfsight.dashboard.storage.rollup import KEY_COLUMNS, ROLLUP_COLUMNS, VALUE_COLUMNS, ReversedPickup, RollupDeltas
from shelfsight.dashboard.storage.rows import EVENT_COLUMNS
from shelfsight.dashboard.storage.sql import SqlConnection, chunks, placeholders
from shelfsight.vision.events.contract import CameraStatusEvent, DwellStartedEvent

_ROLLUP_CONFLICT = f"ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET " + ", ".join(
    f"{c} = rollups.{c} + excluded.{c}" for c in VALUE_COLUMNS
)
_TARGET_CONFLICT = (
    "ON CONFLICT (store_id, shelf_id, zone_id, camera_id) DO UPDATE SET "
    "first_ts = CASE WHEN excluded.first_ts < targets.first_ts THEN excluded.first_ts ELSE targets.first_ts END, "
    "last_ts = CASE WHEN excluded.last_ts > targets.last_ts THEN excluded.last_ts ELSE targets.last_ts END"
)
_as_int = operator.attrgetter("int")
"""Sort key of UUIDs (sorted only so that statements are deterministic): a C call, not UUID's Python ``__lt__``."""
_TARGET_COLUMNS = ("store_id", "shelf_id", "zone_id", "camera_id", "first_ts", "last_ts")
_COVERAGE_COLUMNS = ("bucket_s", "bucket_start", "store_id", "camera_id", "online_s", "degraded_s", "offline_s")


def write_prepared(conn: SqlConnection, prepared: PreparedIngest) -> IngestResult:
    """Write a prepared ingest inside the caller's transaction; ``prepared`` is only read, never changed."""
    existing = _existing_ids(conn, prepared.event_ids)
    if existing:  # resent events: keep the new ones and derive again from them only
        keep = [event_id.int not in existing for event_id in prepared.event_ids]
        new = [event for event, kept in zip(prepared.events, keep, strict=True) if kept]
        rows = [row for row, kept in zip(prepared.rows, keep, strict=True) if kept]
        derived = Derived()
        derived.add(new)
    else:
        new, rows, derived = prepared.events, prepared.rows, prepared.derived
    conn.insert_many("events", EVENT_COLUMNS, rows)
    reversals = RollupDeltas()
    reversals.add_reversals(_mark_reversals(conn, derived.reversal_candidates))
    conn.insert_many("rollups", ROLLUP_COLUMNS, derived.deltas.as_rows(plus=reversals), on_conflict=_ROLLUP_CONFLICT)
    rows_of_spans = [(*key, low, high) for key, (low, high) in derived.spans.items()]
    conn.insert_many("targets", _TARGET_COLUMNS, rows_of_spans, on_conflict=_TARGET_CONFLICT)
    _update_open_visits(conn, derived.closed_visits, derived.started)
    _log_camera_status(conn, derived.statuses)
    conn.insert_many(
        "dead_letters",
        ("received_at", "store_id", "batch_id", "error", "raw"),
        [(d.received_at, d.store_id, d.batch_id, d.error, d.raw) for d in prepared.dead_letters],
    )
    return IngestResult(
        accepted=tuple(new), duplicates=prepared.offered - len(new), dead_lettered=len(prepared.dead_letters)
    )


def _existing_ids(conn: SqlConnection, ids: Sequence[UUID]) -> set[int]:
    """Which of ``ids`` are stored already, as ``UUID.int``."""
    found: set[int] = set()
    for part in chunks(ids):
        rows = conn.query(f"SELECT event_id FROM events WHERE event_id IN ({placeholders(len(part))})", part)
        found.update(id_int(row[0]) for row in rows)
    return found


def _mark_reversals(conn: SqlConnection, candidates: set[UUID]) -> list[ReversedPickup]:
    """Flag pickups that a stored put-back now names, once each, and return where they were counted.

    A put-back may arrive before its pickup (batches can be reordered), so both the pickups new put-backs name
    and new pickups are candidates. The ``reversed = 0`` condition makes the flag, and so the count, happen once.
    """
    named: set[UUID] = set()
    for part in chunks(sorted(candidates, key=_as_int)):
        rows = conn.query(
            f"SELECT DISTINCT pickup_event_id FROM events WHERE pickup_event_id IN ({placeholders(len(part))})", part
        )
        named.update(id_uuid(row[0]) for row in rows)
    reversed_pickups: list[ReversedPickup] = []
    for part in chunks(sorted(named, key=_as_int)):
        rows = conn.query(
            f"UPDATE events SET reversed = 1 WHERE event_id IN ({placeholders(len(part))}) "
            "AND type = 'pickup' AND reversed = 0 RETURNING store_id, camera_id, shelf_id, ts_start",
            part,
        )
        reversed_pickups.extend(ReversedPickup(str(r[0]), str(r[1]), str(r[2]), float(r[3])) for r in rows)
    return reversed_pickups


def _update_open_visits(conn: SqlConnection, closed: Sequence[str], started: Sequence[DwellStartedEvent]) -> None:
    """Open a visit per new ``dwell_started`` (unless its end is stored already), close one per new ``dwell`` or
    confirmed ``pass_by``: a pass-by left open would show as dwelling now until ``open_visit_max_s``."""
    for part in chunks(closed):
        conn.execute(f"DELETE FROM open_visits WHERE visit_key IN ({placeholders(len(part))})", part)
    if not started:
        return
    finished = _finished_visits(conn, started)
    rows = [
        (
            visit_key(e.store_id, e.shopper_id, e.zone_id, e.ts_start),
            e.store_id,
            e.shopper_id,
            e.zone_id,
            e.ts_start,
            e.shelf_id,
            e.camera_id,
            e.ts,
        )
        for e in started
        if (e.store_id, e.shopper_id, e.zone_id, e.ts_start) not in finished
    ]
    columns = ("visit_key", "store_id", "shopper_id", "zone_id", "ts_start", "shelf_id", "camera_id", "confirmed_ts")
    conn.insert_many("open_visits", columns, rows, on_conflict="ON CONFLICT DO NOTHING")


def _finished_visits(conn: SqlConnection, started: Sequence[DwellStartedEvent]) -> set[tuple[str, str, str, float]]:
    """Keys of the stored ends (dwell, pass_by) of the visits ``started`` opens (an end that arrived first closes
    its start)."""
    by_store: dict[str, set[str]] = defaultdict(set)
    for event in started:
        by_store[event.store_id].add(event.shopper_id)
    finished: set[tuple[str, str, str, float]] = set()
    for store_id, shoppers in by_store.items():
        for part in chunks(sorted(shoppers)):
            rows = conn.query(
                "SELECT shopper_id, zone_id, ts_start FROM events WHERE type IN ('dwell', 'pass_by') AND store_id = ? "
                f"AND shopper_id IN ({placeholders(len(part))})",
                (store_id, *part),
            )
            finished.update((store_id, str(r[0]), str(r[1]), float(r[2])) for r in rows)
    return finished


def _log_camera_status(conn: SqlConnection, statuses: Sequence[CameraStatusEvent]) -> None:
    """Log new status events and recompute the coverage of the buckets between their neighbours."""
    if not statuses:
        return
    columns = ("event_id", "store_id", "camera_id", "ts", "status", "reason", "fps")
    rows = [(str(e.event_id), e.store_id, e.camera_id, e.ts, e.status, e.reason, e.fps) for e in statuses]
    conn.insert_many("camera_log", columns, rows)
    by_camera: dict[tuple[str, str], list[float]] = defaultdict(list)
    for event in statuses:
        by_camera[(event.store_id, event.camera_id)].append(event.ts)
    for (store_id, camera_id), new_ts in by_camera.items():
        _recompute_coverage(conn, store_id, camera_id, new_ts)


def _recompute_coverage(conn: SqlConnection, store_id: str, camera_id: str, new_ts: Sequence[float]) -> None:
    # Window first from the points around the new ones, then every point the window needs (with neighbours).
    lo, hi = min(new_ts), max(new_ts)
    around = _status_points(
        conn,
        "store_id = ? AND camera_id = ? AND ts >= COALESCE((SELECT MAX(ts) FROM camera_log WHERE store_id = ? "
        "AND camera_id = ? AND ts < ?), ?) AND ts <= COALESCE((SELECT MIN(ts) FROM camera_log WHERE store_id = ? "
        "AND camera_id = ? AND ts > ?), ?)",
        (store_id, camera_id, store_id, camera_id, lo, lo, store_id, camera_id, hi, hi),
    )
    window = recompute_window(around, new_ts)
    points = _status_points(
        conn,
        "store_id = ? AND camera_id = ? AND ts >= COALESCE((SELECT MAX(ts) FROM camera_log WHERE store_id = ? "
        "AND camera_id = ? AND ts < ?), ?) AND ts <= COALESCE((SELECT MIN(ts) FROM camera_log WHERE store_id = ? "
        "AND camera_id = ? AND ts > ?), ?)",
        (store_id, camera_id, store_id, camera_id, window[0], window[0], store_id, camera_id, window[1], window[1]),
    )
    conn.execute(
        "DELETE FROM coverage WHERE store_id = ? AND camera_id = ? AND bucket_start >= ? AND bucket_start < ?",
        (store_id, camera_id, window[0], window[1]),
    )
    rows = [
        (c.bucket_s, c.bucket_start, store_id, camera_id, c.online_s, c.degraded_s, c.offline_s)
        for c in coverage_rows(points, window)
    ]
    conn.insert_many("coverage", _COVERAGE_COLUMNS, rows)


def _status_points(conn: SqlConnection, where: str, params: Sequence[object]) -> list[StatusPoint]:
    rows = conn.query(f"SELECT ts, status FROM camera_log WHERE {where} ORDER BY ts, event_id", params)
    return [StatusPoint(float(r[0]), str(r[1])) for r in rows]
