"""DuckDB backend: embedded and columnar; kept to compare with SQLite (bench/bench_storage.py), not the default.

DuckDB's ``executemany`` runs one statement per row (about 600 rows/s measured here), so bulk inserts go
through an Arrow table registered as a view and one ``INSERT ... SELECT``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

import duckdb
import pyarrow as pa

from shelfsight.dashboard.storage.sql import ConnectionPool
from shelfsight.dashboard.storage.sql_store import SqlStore


class DuckdbConnection:
    """`SqlConnection` over one DuckDB cursor (a connection of its own to the shared database)."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self._conn = cursor
        self._views = 0

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._conn.execute(sql, [_plain(p) for p in params]).fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        rows = self._conn.execute(sql, [_plain(p) for p in params]).fetchall()
        # DML returns one row holding the changed-row count; DDL returns nothing.
        return int(rows[0][0]) if rows and len(rows[0]) == 1 and isinstance(rows[0][0], int) else -1

    def insert_many(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *, on_conflict: str = ""
    ) -> None:
        if not rows:
            return
        self._views += 1
        view = f"_batch_{self._views}"
        arrays = {name: [_plain(row[i]) for row in rows] for i, name in enumerate(columns)}
        self._conn.register(view, pa.table(arrays))
        try:
            names = ", ".join(columns)
            self._conn.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {view} {on_conflict}")
        finally:
            self._conn.unregister(view)

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[None]:
        self._conn.begin()
        try:
            yield
        except BaseException:
            self._conn.rollback()
            raise
        self._conn.commit()

    def close(self) -> None:
        self._conn.close()


def _plain(value: Any) -> Any:
    """A `UUID` as canonical text (DuckDB keeps event ids as text, see `shelfsight.dashboard.storage.ids`); else
    ``value``."""
    return str(value) if isinstance(value, UUID) else value


class DuckdbStore(SqlStore):
    """`Store` in one DuckDB file (one process may open it for writing).

    Args:
        path: Database file (created when missing; its folder must exist).
        pool_size: Cursors kept open.
    """

    backend_name = "duckdb"
    migrations_folder = "duckdb"

    def __init__(self, path: Path, *, pool_size: int = 8) -> None:
        if not path.parent.is_dir():
            raise ValueError(f"db: the folder of {path} does not exist")
        self.path = path
        self._root = duckdb.connect(str(path))
        self._lock = threading.Lock()
        super().__init__(ConnectionPool(self._cursor, size=pool_size))

    def close(self) -> None:
        super().close()
        self._root.close()

    def _cursor(self) -> DuckdbConnection:
        with self._lock:
            return DuckdbConnection(self._root.cursor())
