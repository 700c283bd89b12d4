"""The HTTP API through TestClient: auth, feeds, per-shelf figures against the hand count, journeys, admin."""

from __future__ import annotations

import base64
import io
import json

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from shelfsight.dashboard.services.feed_format import parse_csv, unflatten
from shelfsight.dashboard.services.tokens import IssuedToken
from shelfsight.dashboard.storage.base import DeadLetter, Store
from shelfsight.vision.events.codec import from_json, to_dict
from tests.dashboard.conftest import Clock
from tests.dashboard.scenario import ALL_EVENTS, HAND_COUNT_HOUR16, HAND_COVERAGE_HOUR16, HOUR, T0

HOUR16 = {"since": T0, "until": T0 + HOUR}
FEED_ORDER = sorted(ALL_EVENTS, key=lambda e: (e.ts, str(e.event_id)))


@pytest.fixture
def loaded(sqlite_store: Store) -> Store:
    sqlite_store.ingest(ALL_EVENTS, [], received_at=T0)
    return sqlite_store


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Bearer ss_unknown"}, 401), ({"Authorization": "Basic abc"}, 401)],
)
def test_the_api_needs_a_known_token(app: object, headers: dict[str, str], status: int) -> None:
    with TestClient(app) as anonymous:  # type: ignore[arg-type]
        response = anonymous.get("/api/v1/events", headers=headers)
    assert response.status_code == status
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_read_token_cannot_use_admin_routes(client: TestClient) -> None:
    response = client.get("/api/v1/admin/tokens")
    assert response.status_code == 403
    assert "lacks the 'admin' scope" in response.json()["detail"]


def test_health_needs_no_token(app: object, loaded: Store) -> None:
    with TestClient(app) as anonymous:  # type: ignore[arg-type]
        body = anonymous.get("/api/v1/health").json()
    assert body == {"status": "ok", "reason": None, "backend": "sqlite", "schema_version": 6, "ingest_running": False,
                    "events": 26, "dead_letters": 0}  # fmt: skip


def test_feed_pages_follow_cursors_through_every_event_once(client: TestClient, loaded: Store) -> None:
    seen, cursor = [], None
    while True:
        params: dict[str, object] = {"store": "store-1", "limit": 7}
        if cursor:
            params["cursor"] = cursor
        body = client.get("/api/v1/events", params=params).json()
        seen.extend(body["events"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [to_dict(e) for e in FEED_ORDER]


def test_feed_filters_combine(client: TestClient, loaded: Store) -> None:
    params = {"shelf": "shelf-A", "type": ["pickup", "putback"], "since": T0, "until": T0 + HOUR}
    events = client.get("/api/v1/events", params=params).json()["events"]
    assert [(e["type"], e["shopper_id"]) for e in events] == [("pickup", "cam1-1"), ("putback", "cam1-1"),
                                                            ("pickup", "cam1-2")]  # fmt: skip
    assert client.get("/api/v1/events", params={"type": "dwel"}).status_code == 422
    assert client.get("/api/v1/events", params={"cursor": "%%%"}).status_code == 400


def test_one_event_by_id(client: TestClient, loaded: Store) -> None:
    event = ALL_EVENTS[3]
    assert client.get(f"/api/v1/events/{event.event_id}").json() == to_dict(event)
    assert client.get("/api/v1/events/00000000-0000-0000-0000-000000000000").status_code == 404


def test_the_feed_round_trips_through_ndjson_csv_and_parquet(client: TestClient, loaded: Store) -> None:
    ndjson = client.get("/api/v1/events.ndjson", params={"store": "store-1"})
    assert ndjson.headers["content-type"].startswith("application/x-ndjson")
    assert [from_json(line) for line in ndjson.text.splitlines()] == FEED_ORDER
    csv_response = client.get("/api/v1/events.csv", params={"store": "store-1", "escape_formulas": "false"})
    assert csv_response.headers["content-type"].startswith("text/csv")
    assert parse_csv(csv_response.text) == FEED_ORDER
    parquet = client.get("/api/v1/events.parquet", params={"store": "store-1"})
    table = pq.read_table(io.BytesIO(parquet.content))
    assert [unflatten(row) for row in table.to_pylist()] == FEED_ORDER
    empty = client.get("/api/v1/events.parquet", params={"store": "nowhere"})
    assert pq.read_table(io.BytesIO(empty.content)).num_rows == 0


def test_shelves_are_ranked_with_figures_equal_to_the_hand_count(client: TestClient, loaded: Store) -> None:
    body = client.get("/api/v1/stores/store-1/shelves", params=HOUR16).json()
    assert [s["shelf_id"] for s in body["shelves"]] == ["shelf-A", "shelf-B"]
    shelf_a, shelf_b = body["shelves"]
    for shelf in body["shelves"]:
        assert shelf["figures"] == pytest.approx(HAND_COUNT_HOUR16[shelf["shelf_id"]])
        assert shelf["coverage"] == HAND_COVERAGE_HOUR16[shelf["shelf_id"]]
    assert (shelf_a["zones"], shelf_a["cameras"]) == (["za"], ["cam1"])
    assert [b["count"] for b in shelf_b["dwell_histogram"]][7:10] == [1, 0, 1]


def test_one_shelf_and_a_comparison(client: TestClient, loaded: Store) -> None:
    one = client.get("/api/v1/stores/store-1/shelves/shelf-A", params=HOUR16).json()
    assert one["figures"]["visits"] == 3
    assert client.get("/api/v1/stores/store-1/shelves/nope").status_code == 404
    compared = client.get("/api/v1/stores/store-1/shelves/compare", params={**HOUR16, "shelf": ["shelf-B"]}).json()
    assert [s["shelf_id"] for s in compared["shelves"]] == ["shelf-B"]


def test_a_repeated_list_parameter_is_accepted_whatever_the_store_id(client: TestClient, loaded: Store) -> None:
    """``shelf`` is a list: repeating it is never "expected one value", even for a store id made of a tab (which
    ``request.url.path`` drops when it re-parses the URL; found by schemathesis)."""
    params = {**HOUR16, "shelf": ["shelf-A", "shelf-B"]}
    response = client.get("/api/v1/stores/%09/shelves/compare", params=params)
    assert response.status_code == 404, response.text  # an unknown store, not a 422 for the repeated shelf
    assert client.get("/api/v1/stores/store-1/shelves/compare", params=params).status_code == 200


def test_hourly_series_marks_the_outage_as_a_gap_not_zero(client: TestClient, loaded: Store) -> None:
    params = {"since": T0 - HOUR, "until": T0 + 6 * HOUR, "granularity": "hour"}
    points = client.get("/api/v1/stores/store-1/shelves/shelf-B/series", params=params).json()["points"]
    assert [p["start"] for p in points] == [T0 - HOUR, T0, T0 + HOUR, T0 + 2 * HOUR]  # none after now (19:00)
    # 15:00-16:00: only the minute since the store's first status (15:59) counts, and it was up then.
    assert [p["coverage"] for p in points] == [1.0, 0.5, 0.0, 1.0]
    assert [p["gap"] for p in points] == [False, False, True, False]
    assert points[2]["figures"] is None
    assert [p["figures"]["visits"] for p in points if p["figures"]] == [0, 2, 1]
    assert points[3]["figures"]["takes"] == 0 and points[3]["figures"]["put_back_rate"] == 1.0


@pytest.mark.parametrize(
    ("tz", "expected_start", "expected_coverage"),
    [
        # Up 15:59-16:30 and 18:00-19:00 of the 3 h 1 min since the store's first status (15:59): the hours of
        # the day before it are unknown, not down, whenever the local day began (04:00 UTC in New York).
        ("UTC", T0 - 16 * HOUR, (1860 + 3600) / (3 * 3600 + 60)),
        ("America/New_York", T0 - 12 * HOUR, (1860 + 3600) / (3 * 3600 + 60)),
    ],
)
def test_daily_series_in_a_time_zone(
    client: TestClient, loaded: Store, tz: str, expected_start: float, expected_coverage: float
) -> None:
    params = {"since": T0 - 16 * HOUR, "until": T0 + 8 * HOUR, "granularity": "day", "tz": tz}
    points = client.get("/api/v1/stores/store-1/shelves/shelf-B/series", params=params).json()["points"]
    day = next(p for p in points if p["figures"] and p["figures"]["visits"])
    assert day["start"] == expected_start
    assert day["figures"]["visits"] == 3
    assert day["coverage"] == pytest.approx(expected_coverage)
    assert (
        client.get("/api/v1/stores/store-1/shelves/shelf-B/series", params={**params, "tz": "Mars/Base"}).status_code
        == 422
    )


def test_a_shoppers_journey(client: TestClient, loaded: Store) -> None:
    journey = client.get("/api/v1/stores/store-1/shoppers/cam1-1").json()
    assert [(v["dwell"]["zone_id"], v["dwell"]["dwell_s"]) for v in journey["visits"]] == [("za", 30.0)]
    visit = journey["visits"][0]
    assert (len(visit["touches"]), len(visit["pickups"]), len(visit["putbacks"])) == (1, 1, 1)
    assert journey["totals"] == {"visits": 1, "dwell_s": 30.0, "touches": 1, "pickups": 1, "putbacks": 1, "takes": 0}
    assert client.get("/api/v1/stores/store-1/shoppers/cam1-2").json()["totals"]["takes"] == 1
    passer = client.get("/api/v1/stores/store-1/shoppers/cam1-3").json()
    assert (passer["visits"], [e["zone_id"] for e in passer["unfinished"]]) == ([], ["za"])
    assert journey["unfinished"] == []
    assert client.get("/api/v1/stores/store-1/shoppers/nobody").status_code == 404


def test_cameras_report_status_drops_and_coverage(client: TestClient, loaded: Store) -> None:
    cameras = client.get("/api/v1/stores/store-1/cameras", params={"since": T0, "until": T0 + 3 * HOUR}).json()
    summary = {c["camera_id"]: (c["latest"]["status"], c["drops"], c["online_share"]) for c in cameras}
    assert summary == {"cam1": ("online", 0, 1.0), "cam2": ("online", 1, 0.5)}


def test_who_is_dwelling_now(client: TestClient, loaded: Store, clock: Clock) -> None:
    clock.now = T0 + 310
    body = client.get("/api/v1/stores/store-1/dwelling-now").json()
    assert body == [{"shopper_id": "cam1-3", "zone_id": "za", "shelf_id": "shelf-A", "camera_id": "cam1",
                     "ts_start": T0 + 300, "dwell_so_far_s": 10.0}]  # fmt: skip
    clock.now = T0 + 300 + 3600  # older than open_visit_max_s: presumed abandoned
    assert client.get("/api/v1/stores/store-1/dwelling-now").json() == []


def test_admin_tokens_dead_letters_and_retention(
    app: object, loaded: Store, admin_token: IssuedToken, read_token: IssuedToken
) -> None:
    loaded.ingest([], [DeadLetter(b"\x01\x02", "bad event", "store-1", "b-9", T0)], received_at=T0)
    with TestClient(app, headers={"Authorization": f"Bearer {admin_token.secret}"}) as admin:  # type: ignore[arg-type]
        blank = admin.post("/api/v1/admin/tokens", json={"name": " ", "scopes": ["read"]})
        assert blank.status_code == 422 and blank.json()["detail"][0]["loc"][-1] == "name"  # not a 500
        created = admin.post("/api/v1/admin/tokens", json={"name": "analyst", "scopes": ["read"]})
        assert created.status_code == 201
        secret, token_id = created.json()["token"], created.json()["record"]["token_id"]
        listed = admin.get("/api/v1/admin/tokens").json()
        assert "token_hash" not in listed[0] and {t["name"] for t in listed} == {"reader", "admin", "analyst"}
        assert admin.get("/api/v1/events", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        assert admin.delete(f"/api/v1/admin/tokens/{token_id}").status_code == 204
        assert admin.get("/api/v1/events", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
        letters = admin.get("/api/v1/admin/dead-letters").json()
        assert [(d["error"], base64.b64decode(d["raw_base64"])) for d in letters] == [("bad event", b"\x01\x02")]
        assert admin.get("/api/v1/admin/ingest").status_code == 404  # this app runs without ingest


def test_retention_deletes_raw_events_but_shelf_figures_stay(
    make_app: object, loaded: Store, admin_token: IssuedToken
) -> None:
    app = make_app(retention_days=0.01)  # type: ignore[operator]
    with TestClient(app, headers={"Authorization": f"Bearer {admin_token.secret}"}) as admin:
        result = admin.post("/api/v1/admin/retention").json()
        assert (result["events"], result["cutoff"]) == (26, T0 + 3 * HOUR - 864.0)
        assert admin.get("/api/v1/events").json()["events"] == []
        shelves = admin.get("/api/v1/stores/store-1/shelves", params=HOUR16).json()["shelves"]
        assert [s["figures"]["visits"] for s in shelves] == [3, 2]


def test_openapi_documents_the_versioned_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/events", "/api/v1/events.ndjson", "/api/v1/events.csv", "/api/v1/events.parquet",
                 "/api/v1/events/live", "/api/v1/stores/{store_id}/shelves/{shelf_id}/series",
                 "/api/v1/stores/{store_id}/shoppers/{shopper_id}", "/api/v1/admin/tokens"):  # fmt: skip
        assert path in paths, path
    assert json.dumps(paths).count('"/login"') == 0  # pages stay out of the API schema
