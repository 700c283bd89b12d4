"""SQLite backend: the embedded default (one file, no server; WAL so pages read while ingest writes)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dashboard.storage.sql import ConnectionPool
from dashboard.storage.sql_store import SqlStore

CACHE_KIB = 65_536
"""SQLite page cache per connection in KiB (64 MiB); allocated as used, mostly by the ingest connection."""

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
