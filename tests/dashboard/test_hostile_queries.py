"""Queries a read token could send to hurt the server (issue 14, items 1-3): each gets a clear 4xx or a cheap
answer, never a 500; and health tells the truth about ingest. Cost is measured in bench/bench_hardening.py."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shelfsight.dashboard.app import create_app
from shelfsight.dashboard.ingest.receiver import IngestOptions, IngestReceiver
from shelfsight.dashboard.services.bus import EventBus
from shelfsight.dashboard.settings import DashboardSettings
from shelfsight.dashboard.storage.base import Store
from tests.dashboard.conftest import Clock
from tests.dashboard.scenario import ALL_EVENTS, T0

MAX_EPOCH = 253_402_300_799


@pytest.fixture
def loaded(sqlite_store: Store) -> Store:
    sqlite_store.ingest(ALL_EVENTS, [], received_at=T0)
    return sqlite_store


def _cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        _cursor(b"[" * 10_000 + b"]" * 10_000),  # RecursionError in json.loads: was a 500
        _cursor(b'["inf", "00000000-0000-0000-0000-000000000000"]'),
        _cursor(b'[1e999, "00000000-0000-0000-0000-000000000000"]'),
        _cursor(b'{"a": 1, "b": 2}'),
        "A" * 10_000,
    ],
)
def test_a_forged_cursor_is_a_400(client: TestClient, loaded: Store, cursor: str) -> None:
    response = client.get("/api/v1/events", params={"cursor": cursor})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("cursor: not a cursor issued by this feed")


def test_the_widest_windows_are_answered(client: TestClient, loaded: Store) -> None:
    wide = {"since": 0, "until": MAX_EPOCH}
    shelves = client.get("/api/v1/stores/store-1/shelves", params=wide)
    assert shelves.status_code == 200 and [s["figures"]["visits"] for s in shelves.json()["shelves"]] == [3, 3]
    cameras = client.get("/api/v1/stores/store-1/cameras", params=wide)
    assert cameras.status_code == 200 and {c["camera_id"] for c in cameras.json()} == {"cam1", "cam2"}
    for bad in ({"until": "inf"}, {"since": "-1e308"}, {"since": "1e300"}, {"since": "nan"}):
        assert client.get("/api/v1/stores/store-1/shelves", params=bad).status_code == 422


@pytest.mark.parametrize("tz", ["UTC", "Asia/Tokyo", "Pacific/Kiritimati"])
def test_day_buckets_at_the_end_of_the_calendar_are_a_422_not_a_500(client: TestClient, loaded: Store, tz: str) -> None:
    params = {"since": MAX_EPOCH - 3 * 86_400, "until": MAX_EPOCH, "granularity": "day", "tz": tz}
    response = client.get("/api/v1/stores/store-1/shelves/shelf-A/series", params=params)
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        assert response.json()["detail"][0]["msg"].startswith("since/until: day buckets")


def test_health_is_503_with_the_reason_when_ingest_is_not_running(
    sqlite_store: Store, clock: Clock, tmp_path: Path
) -> None:
    settings = DashboardSettings(db="unused", ingest_endpoint="ipc://unused")
    ingest = IngestReceiver(store=sqlite_store, endpoint=f"ipc://{tmp_path}/i.sock", options=IngestOptions(poll_ms=20))
    app = create_app(settings, sqlite_store, bus=EventBus(), ingest=ingest, run_retention=False, clock=clock)
    with TestClient(app) as client:
        healthy = client.get("/api/v1/health")
        assert (healthy.status_code, healthy.json()["status"], healthy.json()["ingest_running"]) == (200, "ok", True)
        ingest.stop()  # as if the receive thread had ended
        sick = client.get("/api/v1/health")
        assert sick.status_code == 503
        assert (sick.json()["status"], sick.json()["reason"]) == ("error", "ingest is not running")
