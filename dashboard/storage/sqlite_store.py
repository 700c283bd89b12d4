"""SQLite backend: the embedded default (one file, no server; WAL so pages read while ingest writes)."""

from __future__ import annotations

import operator
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

from shelfsight.dashboard.storage.sql import ConnectionPool
from shelfsight.dashboard.storage.sql_store import SqlStore

CACHE_KIB = 262_144
"""SQLite page cache per connection in KiB (256 MiB); allocated as used, mostly by the ingest connection.

Event ids are random UUIDs, so primary-key inserts land all over the file (16-byte BLOBs since migration 0003,
which keeps that index half the size); once the indexes outgrow the cache, every commit reads pages back from the
OS. Measured with bench/bench_ingest.py (1 M events, quiet machine): 64 MiB
16,593 events/s, 256 MiB 18,263, 512 MiB 18,948 (ingest process 700 MB resident)."""

WAL_AUTOCHECKPOINT_PAGES = 40_000
"""Checkpoint the WAL into the database file once it holds this many pages (~160 MB; SQLite's default is 1000).

An ingest commit of up to 10,000 events writes thousands of pages, so the default checkpointed after every
commit, copying the hot pages (rollups, the ends of the time-ordered indexes) again each time. Measured with
bench/bench_ingest.py: 1000 -> 10,000 pages wrote 22 % fewer bytes over 200 k events (877 -> 680 MB); 10,000 ->
40,000 took 1 M events from 19.4-19.9 k to 19.6-20.5 k events/s. Durability is unchanged: a commit is on disk
when its WAL frames are (synchronous = FULL); the checkpoint only moves pages into the main file.
"""

# Event ids bind as their 16 bytes, the type of events.event_id (migration 0003; see shelfsight.dashboard.storage.ids).
# attrgetter is a C callable: no Python frame per bound id. sqlite3 adapters are per process; nothing else here
# binds a UUID (sqlite3 refused them before this).
sqlite3.register_adapter(UUID, operator.attrgetter("bytes"))


def _uuid_blob(text: str | None) -> bytes | None:
    """SQL ``uuid_blob(text)``: migration 0003 rewrites text ids as BLOBs (this SQLite has no ``unhex``)."""
    return None if text is None else UUID(text).bytes


BUSY_TIMEOUT_S = 30.0
"""How long a writer waits for another writer's transaction (ingest vs. a token change) before failing."""


class SqliteConnection:
    """`SqlConnection` over `sqlite3`, in autocommit mode with explicit ``BEGIN IMMEDIATE`` transactions.

    ``BEGIN IMMEDIATE`` takes the write lock up front, so two writers queue instead of deadlocking when a read
    transaction tries to upgrade.
    """

    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode = WAL")
        # FULL: every commit is on disk before ingest acks it (NORMAL could lose acked batches on a power cut).
        # Measured: no slower here, because ingest commits groups of batches (bench/bench_storage.py).
        self._conn.execute("PRAGMA synchronous = FULL")
        self._conn.execute("PRAGMA foreign_keys = ON")
        # Page cache per connection (default 2 MB): event ids are random UUIDs, so index inserts touch pages all
        # over the file; a larger cache keeps ingest from slowing down as the database grows.
        self._conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        self._conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}")
        self._conn.create_function("uuid_blob", 1, _uuid_blob, deterministic=True)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, tuple(params)).fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn.execute(sql, tuple(params)).rowcount

    def insert_many(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *, on_conflict: str = ""
    ) -> None:
        if rows:
            marks = ", ".join("?" * len(columns))
            self._conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) {on_conflict}", rows)

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[None]:
        self._conn.execute("BEGIN IMMEDIATE" if write else "BEGIN DEFERRED")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def close(self) -> None:
        self._conn.close()


class SqliteStore(SqlStore):
    """`Store` in one SQLite file.

    Args:
        path: Database file (created when missing; its folder must exist).
        pool_size: Connections kept open; readers run in parallel, writers one at a time.
    """

    backend_name = "sqlite"
    migrations_folder = "sqlite"

    def __init__(self, path: Path, *, pool_size: int = 8) -> None:
        if not path.parent.is_dir():
            raise ValueError(f"db: the folder of {path} does not exist")
        self.path = path
        super().__init__(ConnectionPool(lambda: SqliteConnection(path), size=pool_size))
