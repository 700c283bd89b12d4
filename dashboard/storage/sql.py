"""What every SQL backend provides: a thin connection adapter, a small pool, and versioned migrations.

The store's SQL is written once with ``?`` placeholders and portable syntax (``ON CONFLICT``, ``RETURNING``);
each backend's adapter translates placeholders and supplies the fastest bulk insert it has (``executemany``
for SQLite, ``COPY`` for PostgreSQL (``executemany`` for upserts), an Arrow table for DuckDB, whose
``executemany`` runs one statement per row).

Migrations are SQL files ``NNNN_name.sql`` in ``dashboard/storage/migrations/<backend>/``, applied in order,
each in its own transaction and recorded in ``schema_migrations``. A database whose schema is newer than the
code is refused rather than used.
"""

from __future__ import annotations

import logging
import queue
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any, Protocol

logger = logging.getLogger(__name__)

POOL_WAIT_S = 30.0
"""How long a caller waits for a pooled connection before the request fails."""

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class SqlConnection(Protocol):
    """One database connection, used by one thread at a time (the pool guarantees it)."""

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a statement and return all its rows (``RETURNING`` included)."""
        ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; return the number of rows it changed (or -1 when unknown)."""
        ...

    def insert_many(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *, on_conflict: str = ""
    ) -> None:
        """Insert ``rows`` (tuples in ``columns`` order); ``on_conflict`` is an optional ``ON CONFLICT ...`` clause."""
        ...

    def transaction(self, *, write: bool = True) -> AbstractContextManager[None]:
        """Commit on normal exit, roll back on an exception; ``write=False`` for a read-only snapshot."""
        ...

    def close(self) -> None: ...


class SchemaError(RuntimeError):
    """The database's schema cannot be used by this code (newer than it, or the migration files are broken)."""


class ConnectionPool:
    """A fixed-size pool of connections, created lazily; a caller waits up to `POOL_WAIT_S` for one."""

    def __init__(self, factory: Callable[[], SqlConnection], *, size: int) -> None:
        if size < 1:
            raise ValueError(f"size: expected at least 1 connection, got {size}")
        self._factory = factory
        self._idle: queue.LifoQueue[SqlConnection] = queue.LifoQueue()
        self._slots = queue.Queue[None]()
        for _ in range(size):
            self._slots.put(None)
        self._all: list[SqlConnection] = []

    @contextmanager
    def connection(self) -> Iterator[SqlConnection]:
        try:
            self._slots.get(timeout=POOL_WAIT_S)
        except queue.Empty:
            raise TimeoutError(f"no database connection free within {POOL_WAIT_S} s") from None
        try:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                conn = self._factory()
                self._all.append(conn)
            try:
                yield conn
            finally:
                self._idle.put(conn)
        finally:
            self._slots.put(None)

    def close(self) -> None:
        for conn in self._all:
            try:
                conn.close()
            except Exception:  # closing is best effort; one failure must not leak the others
                logger.exception("closing a pooled connection failed")
        self._all.clear()


@dataclass(frozen=True)
class Migration:
    """One schema migration: its version, name and SQL statements."""

    version: int
    name: str
    statements: tuple[str, ...]


def load_migrations(backend: str) -> list[Migration]:
    """The migrations of one backend, in version order; versions must run 1, 2, 3... without gaps."""
    folder = resources.files("shelfsight.dashboard.storage.migrations").joinpath(backend)
    found = []
    for item in folder.iterdir():
        match = _MIGRATION_NAME.match(item.name)
        if match:
            text = item.read_text(encoding="utf-8")
            statements = tuple(s.strip() for s in re.split(r";\s*$", text, flags=re.MULTILINE) if _has_sql(s))
            found.append(Migration(int(match.group(1)), match.group(2), statements))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise SchemaError(f"migrations of {backend}: expected versions 1..{len(found)} in order, got {versions}")
    return found


def migrate(conn: SqlConnection, migrations: Sequence[Migration]) -> list[int]:
    """Apply the migrations ``conn``'s database lacks; return the versions applied."""
    with conn.transaction():
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at FLOAT8 NOT NULL)"
        )
    current = applied_version(conn)
    known = migrations[-1].version if migrations else 0
    if current > known:
        raise SchemaError(f"database schema is version {current}, newer than this code knows ({known}): upgrade it")
    applied = []
    for migration in migrations:
        if migration.version <= current:
            continue
        with conn.transaction():
            for statement in migration.statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, time.time()),
            )
        logger.info("applied migration version=%d name=%s", migration.version, migration.name)
        applied.append(migration.version)
    return applied


def applied_version(conn: SqlConnection) -> int:
    """Highest version in ``schema_migrations`` (0 when none)."""
    rows = conn.query("SELECT MAX(version) FROM schema_migrations")
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def placeholders(count: int) -> str:
    """``?, ?, ...`` with ``count`` marks, for ``IN (...)`` and ``VALUES (...)``."""
    return ", ".join("?" * count)


def chunks(items: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    """``items`` in slices of at most ``size``: keeps ``IN (...)`` lists under every backend's parameter limit."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _has_sql(chunk: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in chunk.splitlines())
