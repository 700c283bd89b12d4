"""Dashboard fixtures: a migrated store per backend, and app / client built by the factory with a clock.

PostgreSQL comes from ``SHELFSIGHT_TEST_POSTGRES_DSN`` (``.ci/postgres.sh`` starts one and prints it). When it
is unset the PostgreSQL tests FAIL, never skip: CI must not pass without the real server. Each test gets a
schema of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shelfsight.dashboard.app import create_app
from shelfsight.dashboard.services.bus import EventBus
from shelfsight.dashboard.services.tokens import IssuedToken, Scope, issue_token
from shelfsight.dashboard.settings import DashboardSettings
from shelfsight.dashboard.storage import open_store
from shelfsight.dashboard.storage.base import Store

POSTGRES_DSN_ENV = "SHELFSIGHT_TEST_POSTGRES_DSN"
BACKENDS = ("sqlite", "duckdb", "postgresql")


def postgres_dsn() -> str:
    dsn = os.environ.get(POSTGRES_DSN_ENV, "")
    if not dsn:
        pytest.fail(
            f'{POSTGRES_DSN_ENV} is not set: start a server with `eval "$(.ci/postgres.sh)"` (CI does this)',
            pytrace=False,
        )
    return dsn


@pytest.fixture
def postgres_schema_url() -> Iterator[str]:
    """A DSN whose search_path is a fresh schema (dropped after the test)."""
    import psycopg

    dsn = postgres_dsn()
    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in dsn else "?"
    try:
        yield f"{dsn}{separator}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def _url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return str(tmp_path / "shelfsight.db")
    if backend == "duckdb":
        return f"duckdb://{tmp_path / 'shelfsight.duckdb'}"
    url: str = request.getfixturevalue("postgres_schema_url")
    return url


# PostgreSQL needs a server: its cases are integration tests (`make check` leaves them out).
BACKEND_PARAMS = [pytest.param(b, marks=pytest.mark.integration) if b == "postgresql" else b for b in BACKENDS]


@pytest.fixture(params=BACKEND_PARAMS)
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated store of each backend in turn: the shared storage suite runs against all of them."""
    store = open_store(_url(str(request.param), tmp_path, request))
    store.migrate()
    yield store
    store.close()


@pytest.fixture(params=BACKEND_PARAMS)
def any_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database of each backend in turn, for tests that open and close stores themselves."""
    return _url(str(request.param), tmp_path, request)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(str(tmp_path / "shelfsight.db"))
    store.migrate()
    yield store
    store.close()


class Clock:
    """A settable wall clock for the app."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    from tests.dashboard.scenario import HOUR, T0

    return Clock(T0 + 3 * HOUR)


@pytest.fixture
def make_app(sqlite_store: Store, clock: Clock) -> Callable[..., FastAPI]:
    def build(**overrides: object) -> FastAPI:
        settings = DashboardSettings(db="unused", ingest_endpoint=None, **overrides)  # type: ignore[arg-type]
        return create_app(settings, sqlite_store, bus=EventBus(), run_retention=False, clock=clock)

    return build


@pytest.fixture
def app(make_app: Callable[..., FastAPI]) -> FastAPI:
    return make_app()


@pytest.fixture
def read_token(sqlite_store: Store) -> IssuedToken:
    return issue_token(sqlite_store, name="reader", scopes=[Scope.READ], now=1.0)


@pytest.fixture
def admin_token(sqlite_store: Store) -> IssuedToken:
    return issue_token(sqlite_store, name="admin", scopes=[Scope.ADMIN], now=1.0)


@pytest.fixture
def client(app: FastAPI, read_token: IssuedToken) -> Iterator[TestClient]:
    """A client of a fresh app that sends a read token."""
    with TestClient(app, headers={"Authorization": f"Bearer {read_token.secret}"}) as test_client:
        yield test_client
