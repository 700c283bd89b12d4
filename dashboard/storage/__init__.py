"""Storage of the aggregator: the `Store` interface, its backends, and `open_store` to pick one by URL."""

from __future__ import annotations

from pathlib import Path

from shelfsight.dashboard.storage.base import Store

POSTGRES_PREFIXES = ("postgresql://", "postgres://")
DUCKDB_PREFIX = "duckdb://"
SQLITE_PREFIX = "sqlite://"


def open_store(url: str, *, pool_size: int = 8) -> Store:
    """Open (not migrate) the store that ``url`` names.

    Args:
        url: ``postgresql://...`` (PostgreSQL), ``duckdb:///path`` or a path ending in ``.duckdb`` (DuckDB),
            ``sqlite:///path`` or any other path (SQLite, the embedded default).
        pool_size: Connections kept open.

    Raises:
        ValueError: If the URL is empty, names a file in a folder that does not exist, or asks for DuckDB
            without the duckdb package (an optional backend, kept for comparison).
    """
    if not url.strip():
        raise ValueError("db: expected a file path or a postgresql:// URL, got an empty string")
    if url.startswith(POSTGRES_PREFIXES):
        from shelfsight.dashboard.storage.postgres_store import PostgresStore

        return PostgresStore(url, pool_size=pool_size)
    if url.startswith(DUCKDB_PREFIX) or url.endswith(".duckdb"):
        try:
            from shelfsight.dashboard.storage.duckdb_store import DuckdbStore
        except ImportError as exc:
            raise ValueError(f"db: {url} needs the duckdb package (pip install duckdb): {exc}") from exc

        return DuckdbStore(Path(url.removeprefix(DUCKDB_PREFIX)).expanduser(), pool_size=pool_size)
    from shelfsight.dashboard.storage.sqlite_store import SqliteStore

    return SqliteStore(Path(url.removeprefix(SQLITE_PREFIX)).expanduser(), pool_size=pool_size)


__all__ = ["Store", "open_store"]
