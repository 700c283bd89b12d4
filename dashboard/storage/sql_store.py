"""`SqlStore`: the `Store` interface in portable SQL over a pool of backend connections.

Backends (`sqlite_store`, `duckdb_store`, `postgres_store`) subclass it with a connection factory and their
migration folder; all queries live here, so every backend answers them identically.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from shelfsight.dashboard.storage.base import (
    CameraLiveness,
    CameraStatusEntry,
    CoverageRow,
    DeadLetter,
    EventFilter,
    FeedPosition,
    IngestResult,
    OpenVisit,
    RetentionResult,
    RollupCounts,
    RollupQuery,
    RollupRow,
    StoreCounts,
    StoredDeadLetter,
    StoredEvent,
    StoreLabels,
    Target,
    TokenRecord,
)
from shelfsight.dashboard.storage.ids import id_text, parse_event_id
from shelfsight.dashboard.storage.prepared import PreparedIngest
from shelfsight.dashboard.storage.rollup import BUCKET_SIZES_S, COUNT_COLUMNS, HIST_COLUMNS
from shelfsight.dashboard.storage.sql import ConnectionPool, applied_version, load_migrations, migrate, placeholders
from shelfsight.dashboard.storage.writes import write_prepared
from shelfsight.vision.events.contract import AnyEvent

if TYPE_CHECKING:  # the integrations import storage, not the other way round
    from shelfsight.dashboard.integrations.outbox import Outbox, OutboxReader

_SUMS = ", ".join(f"SUM({c})" for c in (*COUNT_COLUMNS, "dwell_sum_s", *HIST_COLUMNS))
_EVENT_FILTER_COLUMNS = (
    ("store_id", "store_id"),
    ("camera_id", "camera_id"),
    ("zone_id", "zone_id"),
    ("shelf_id", "shelf_id"),
    ("shopper_id", "shopper_id"),
)
_TOKEN_COLUMNS = "token_id, name, scopes, token_hash, created_at, revoked_at, expires_at"
_CAMERA_COLUMNS = "store_id, camera_id, ts, status, reason, fps"
_LIVENESS_COLUMNS = ("store_id", "camera_id", "last_seen", "stale_after_s")
_LIVENESS_CONFLICT = (
    "ON CONFLICT (store_id, camera_id) DO UPDATE SET "
    "stale_after_s = CASE WHEN excluded.last_seen >= edge_liveness.last_seen THEN excluded.stale_after_s "
    "ELSE edge_liveness.stale_after_s END, "
    "last_seen = CASE WHEN excluded.last_seen > edge_liveness.last_seen THEN excluded.last_seen "
    "ELSE edge_liveness.last_seen END"
)


def _latest_wins(key: str, columns: Sequence[str], table: str) -> str:
    """``ON CONFLICT`` clause that keeps a row's newer values (by ``updated_at``): beats may arrive out of order."""
    sets = ", ".join(
        f"{c} = CASE WHEN excluded.updated_at >= {table}.updated_at THEN excluded.{c} ELSE {table}.{c} END"
        for c in (*columns, "updated_at")
    )
    return f"ON CONFLICT ({key}) DO UPDATE SET {sets}"


class SqlStore:
    """The `Store` protocol over SQL; subclasses name the backend and build connections.

    Args:
        pool: Connections to the database (each used by one thread at a time).
    """

    backend_name: ClassVar[str] = ""
    migrations_folder: ClassVar[str] = ""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool
        self._outbox: Outbox | None = None

    def attach_outbox(self, outbox: Outbox) -> OutboxReader:
        """From now on every ingest transaction also writes the deliveries its new events owe (live integrations,
        `shelfsight.dashboard.integrations.outbox`); returns the reader the delivery threads use."""
        from shelfsight.dashboard.integrations.outbox import OutboxReader

        self._outbox = outbox
        return OutboxReader(self._pool)

    @property
    def backend(self) -> str:
        return self.backend_name

    def migrate(self) -> list[int]:
        with self._pool.connection() as conn:
            return migrate(conn, load_migrations(self.migrations_folder))

    def schema_version(self) -> int:
        with self._pool.connection() as conn:
            return applied_version(conn)

    def ingest(
        self, events: Sequence[AnyEvent], dead_letters: Sequence[DeadLetter], *, received_at: float
    ) -> IngestResult:
        return self.ingest_prepared(PreparedIngest.of(events, dead_letters, received_at=received_at))

    def ingest_prepared(self, prepared: PreparedIngest) -> IngestResult:
        outbox = self._outbox
        with self._pool.connection() as conn, conn.transaction():
            result = write_prepared(conn, prepared)
            owed = outbox.enqueue(conn, result.accepted) if outbox is not None and result.accepted else 0
        if owed and outbox is not None:
            outbox.committed()
        return result

    def events(self, flt: EventFilter, *, after: FeedPosition | None, limit: int) -> list[StoredEvent]:
        where, params = _event_where(flt)
        if after is not None and after.event_id == "":  # before every event at after.ts
            where.append("ts >= ?")
            params.append(after.ts)
        elif after is not None:
            after_id = parse_event_id(after.event_id)
            if after_id is None:
                raise ValueError(f"after.event_id: expected a canonical UUID or '', got {after.event_id!r}")
            where.append("ts >= ? AND (ts > ? OR event_id > ?)")
            params.extend((after.ts, after.ts, after_id))
        sql = "SELECT ts, event_id, payload FROM events"
        sql += (" WHERE " + " AND ".join(where)) if where else ""
        sql += " ORDER BY ts, event_id LIMIT ?"
        return [StoredEvent(float(r[0]), id_text(r[1]), str(r[2])) for r in self._query(sql, (*params, limit))]

    def event(self, event_id: str) -> StoredEvent | None:
        key = parse_event_id(event_id)
        if key is None:  # no stored id is spelled that way
            return None
        rows = self._query("SELECT ts, event_id, payload FROM events WHERE event_id = ?", (key,))
        return StoredEvent(float(rows[0][0]), id_text(rows[0][1]), str(rows[0][2])) if rows else None

    def shopper_events(self, store_id: str, shopper_id: str) -> list[StoredEvent]:
        rows = self._query(
            "SELECT ts, event_id, payload FROM events WHERE store_id = ? AND shopper_id = ? "
            "ORDER BY COALESCE(ts_start, ts), ts, event_id",
            (store_id, shopper_id),
        )
        return [StoredEvent(float(r[0]), id_text(r[1]), str(r[2])) for r in rows]

    def rollups(self, query: RollupQuery) -> list[RollupRow]:
        if query.group_by not in ("shelf", "zone"):
            raise ValueError(f"group_by: expected 'shelf' or 'zone', got {query.group_by!r}")
        if query.bucket_s not in BUCKET_SIZES_S:
            raise ValueError(f"bucket_s: expected one of {BUCKET_SIZES_S}, got {query.bucket_s!r}")
        target = f"{query.group_by}_id"
        start = "bucket_start" if query.per_bucket else "MIN(bucket_start)"
        sql = (
            f"SELECT {target}, {start}, {_SUMS} FROM rollups WHERE bucket_s = ? AND store_id = ? "
            f"AND bucket_start >= ? AND bucket_start < ? AND {target} <> ''"
        )
        params: list[Any] = [query.bucket_s, query.store_id, *_bucket_bounds(query.since, query.until)]
        if query.target_ids:
            sql += f" AND {target} IN ({placeholders(len(query.target_ids))})"
            params.extend(query.target_ids)
        if query.per_bucket:
            # Grouping in primary-key order (bucket, then target) streams; the sort is on the few result rows.
            rows = self._query(sql + f" GROUP BY bucket_start, {target}", params)
            return sorted((_rollup_row(r) for r in rows), key=lambda row: (row.target_id, row.bucket_start))
        return [_rollup_row(r) for r in self._query(sql + f" GROUP BY {target} ORDER BY {target}", params)]

    def coverage(self, store_id: str, bucket_s: int, since: float, until: float) -> list[CoverageRow]:
        rows = self._query(
            "SELECT camera_id, bucket_start, online_s, degraded_s, offline_s FROM coverage WHERE bucket_s = ? "
            "AND store_id = ? AND bucket_start >= ? AND bucket_start < ? ORDER BY camera_id, bucket_start",
            (bucket_s, store_id, *_bucket_bounds(since, until)),
        )
        return [CoverageRow(str(r[0]), int(r[1]), float(r[2]), float(r[3]), float(r[4])) for r in rows]

    def camera_log(self, store_id: str, since: float, until: float) -> list[CameraStatusEntry]:
        rows = self._query(
            f"SELECT {_CAMERA_COLUMNS} FROM camera_log c WHERE store_id = ? AND ts < ? AND (ts >= ? OR ts = "
            "(SELECT MAX(ts) FROM camera_log p WHERE p.store_id = c.store_id AND p.camera_id = c.camera_id "
            "AND p.ts < ?)) ORDER BY ts, camera_id",
            (store_id, until, since, since),
        )
        return [_camera_entry(r) for r in rows]

    def camera_latest(self, store_id: str) -> list[CameraStatusEntry]:
        rows = self._query(
            f"SELECT {_CAMERA_COLUMNS} FROM camera_log c WHERE store_id = ? AND ts = (SELECT MAX(ts) FROM "
            "camera_log p WHERE p.store_id = c.store_id AND p.camera_id = c.camera_id) ORDER BY camera_id",
            (store_id,),
        )
        latest: dict[str, CameraStatusEntry] = {}
        for row in rows:  # two events at the same instant: keep one, deterministically
            latest.setdefault(str(row[1]), _camera_entry(row))
        return list(latest.values())

    def first_status_ts(self, store_id: str) -> float | None:
        rows = self._query("SELECT MIN(ts) FROM camera_log WHERE store_id = ?", (store_id,))
        return float(rows[0][0]) if rows and rows[0][0] is not None else None

    def record_liveness(self, beats: Sequence[CameraLiveness]) -> None:
        rows = [(b.store_id, b.camera_id, b.last_seen, b.stale_after_s) for b in beats]
        if not rows:
            return
        with self._pool.connection() as conn, conn.transaction():
            conn.insert_many("edge_liveness", _LIVENESS_COLUMNS, rows, on_conflict=_LIVENESS_CONFLICT)

    def camera_liveness(self, store_id: str) -> list[CameraLiveness]:
        rows = self._query(
            f"SELECT {', '.join(_LIVENESS_COLUMNS)} FROM edge_liveness WHERE store_id = ? ORDER BY camera_id",
            (store_id,),
        )
        return [CameraLiveness(str(r[0]), str(r[1]), float(r[2]), float(r[3])) for r in rows]

    def record_labels(self, labels: Sequence[StoreLabels]) -> None:
        # One row per key and statement (PostgreSQL refuses to update a row twice in one INSERT): newest wins.
        time_zones: dict[str, tuple[str, str, float]] = {}
        names: dict[tuple[str, str], tuple[str, str, str, float]] = {}
        for b in sorted(labels, key=lambda b: b.updated_at):
            if b.timezone is not None:
                time_zones[b.store_id] = (b.store_id, b.timezone, b.updated_at)
            for zone, name in b.zone_names.items():
                names[b.store_id, zone] = (b.store_id, zone, name, b.updated_at)
        if not time_zones and not names:
            return
        with self._pool.connection() as conn, conn.transaction():
            conn.insert_many(
                "store_time_zones",
                ("store_id", "timezone", "updated_at"),
                list(time_zones.values()),
                on_conflict=_latest_wins("store_id", ("timezone",), "store_time_zones"),
            )
            conn.insert_many(
                "zone_names",
                ("store_id", "zone_id", "name", "updated_at"),
                list(names.values()),
                on_conflict=_latest_wins("store_id, zone_id", ("name",), "zone_names"),
            )

    def store_labels(self, store_id: str) -> StoreLabels:
        zone = self._query("SELECT timezone, updated_at FROM store_time_zones WHERE store_id = ?", (store_id,))
        names = self._query(
            "SELECT zone_id, name, updated_at FROM zone_names WHERE store_id = ? ORDER BY zone_id", (store_id,)
        )
        updated = max([float(r[1]) for r in zone] + [float(r[2]) for r in names], default=0.0)
        return StoreLabels(store_id, str(zone[0][0]) if zone else None, {str(r[0]): str(r[1]) for r in names}, updated)

    def recent_events(self, flt: EventFilter, *, limit: int) -> list[StoredEvent]:
        where, params = _event_where(flt)
        sql = "SELECT ts, event_id, payload FROM events"
        sql += (" WHERE " + " AND ".join(where)) if where else ""
        sql += " ORDER BY ts DESC, event_id DESC LIMIT ?"
        return [StoredEvent(float(r[0]), id_text(r[1]), str(r[2])) for r in self._query(sql, (*params, limit))]

    def targets(self, store_id: str) -> list[Target]:
        rows = self._query(
            "SELECT store_id, shelf_id, zone_id, camera_id, first_ts, last_ts FROM targets WHERE store_id = ? "
            "ORDER BY shelf_id, zone_id, camera_id",
            (store_id,),
        )
        return [Target(str(r[0]), str(r[1]), str(r[2]), str(r[3]), float(r[4]), float(r[5])) for r in rows]

    def stores(self) -> list[str]:
        rows = self._query("SELECT store_id FROM targets UNION SELECT store_id FROM camera_log ORDER BY 1")
        return [str(r[0]) for r in rows]

    def open_visits(self, store_id: str, *, confirmed_since: float) -> list[OpenVisit]:
        rows = self._query(
            "SELECT store_id, camera_id, shopper_id, zone_id, shelf_id, ts_start, confirmed_ts FROM open_visits "
            "WHERE store_id = ? AND confirmed_ts >= ? ORDER BY ts_start, shopper_id, zone_id",
            (store_id, confirmed_since),
        )
        return [OpenVisit(str(r[0]), str(r[1]), str(r[2]), str(r[3]), r[4], float(r[5]), float(r[6])) for r in rows]

    def dead_letters(self, *, limit: int, before_id: int | None = None) -> list[StoredDeadLetter]:
        sql = "SELECT id, raw, error, store_id, batch_id, received_at FROM dead_letters"
        params: list[Any] = []
        if before_id is not None:
            sql += " WHERE id < ?"
            params.append(before_id)
        rows = self._query(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))
        return [
            StoredDeadLetter(int(r[0]), DeadLetter(bytes(r[1]), str(r[2]), str(r[3]), str(r[4]), float(r[5])))
            for r in rows
        ]

    def counts(self) -> StoreCounts:
        rows = self._query(
            "SELECT (SELECT COUNT(*) FROM events), (SELECT COUNT(*) FROM dead_letters), (SELECT COUNT(*) FROM rollups)"
        )
        return StoreCounts(int(rows[0][0]), int(rows[0][1]), int(rows[0][2]))

    def delete_before(self, cutoff: float) -> RetentionResult:
        with self._pool.connection() as conn, conn.transaction():
            events = conn.execute("DELETE FROM events WHERE ts < ?", (cutoff,))
            letters = conn.execute("DELETE FROM dead_letters WHERE received_at < ?", (cutoff,))
            visits = conn.execute("DELETE FROM open_visits WHERE confirmed_ts < ?", (cutoff,))
        return RetentionResult(events, letters, visits)

    def add_token(self, record: TokenRecord) -> None:
        with self._pool.connection() as conn, conn.transaction():
            conn.execute(
                f"INSERT INTO api_tokens ({_TOKEN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    record.token_id,
                    record.name,
                    ",".join(record.scopes),
                    record.token_hash,
                    record.created_at,
                    record.revoked_at,
                    record.expires_at,
                ),
            )

    def token_by_hash(self, token_hash: str) -> TokenRecord | None:
        rows = self._query(f"SELECT {_TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = ?", (token_hash,))
        return _token(rows[0]) if rows else None

    def tokens(self) -> list[TokenRecord]:
        return [_token(r) for r in self._query(f"SELECT {_TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at")]

    def revoke_token(self, token_id: str, *, at: float) -> bool:
        with self._pool.connection() as conn, conn.transaction():
            rows = conn.query(
                "UPDATE api_tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL RETURNING token_id",
                (at, token_id),
            )
        return bool(rows)

    def close(self) -> None:
        self._pool.close()

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._pool.connection() as conn, conn.transaction(write=False):
            return conn.query(sql, params)


def _bucket_bounds(since: float, until: float) -> tuple[int, int]:
    """``[since, until)`` as integer bounds selecting the same (integer) bucket starts.

    A float parameter makes PostgreSQL compare the BIGINT ``bucket_start`` as float8, which no index serves: a
    13-minute minute-rollup read of an empty range scanned the whole table (~100 ms with 10 M events).
    """
    return math.ceil(since), math.ceil(until)


def _event_where(flt: EventFilter) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    for attribute, column in _EVENT_FILTER_COLUMNS:
        value = getattr(flt, attribute)
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if flt.types:
        where.append(f"type IN ({placeholders(len(flt.types))})")
        params.extend(flt.types)
    if flt.since is not None:
        where.append("ts >= ?")
        params.append(flt.since)
    if flt.until is not None:
        where.append("ts < ?")
        params.append(flt.until)
    return where, params


def _rollup_row(row: Sequence[Any]) -> RollupRow:
    counts = dict(zip(COUNT_COLUMNS, (int(v or 0) for v in row[2 : 2 + len(COUNT_COLUMNS)]), strict=True))
    dwell_sum = float(row[2 + len(COUNT_COLUMNS)] or 0.0)
    hist = tuple(int(v or 0) for v in row[3 + len(COUNT_COLUMNS) :])
    return RollupRow(str(row[0]), int(row[1]), RollupCounts(**counts, dwell_sum_s=dwell_sum, dwell_hist=hist))


def _camera_entry(row: Sequence[Any]) -> CameraStatusEntry:
    fps = None if row[5] is None else float(row[5])
    return CameraStatusEntry(str(row[0]), str(row[1]), float(row[2]), str(row[3]), str(row[4]), fps)


def _token(row: Sequence[Any]) -> TokenRecord:
    scopes = tuple(s for s in str(row[2]).split(",") if s)
    revoked = None if row[5] is None else float(row[5])
    expires = None if row[6] is None else float(row[6])
    return TokenRecord(str(row[0]), str(row[1]), scopes, str(row[3]), float(row[4]), revoked, expires)
