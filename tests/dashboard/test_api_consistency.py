"""One set of rules for every route and page (issue 15): times as epoch seconds or ISO 8601, ``until`` later than
``since`` or a 422, unknown stores and shelves a 404 with a clear message, typed CSV cells, and no "Sign out" on
the sign-in page. All through the real app over HTTP (TestClient), on the scenario's day."""

from __future__ import annotations

import io

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shelfsight.dashboard.services.feed_format import ARROW_SCHEMA, parse_csv
from shelfsight.dashboard.storage.base import Store
from shelfsight.vision.events.contract import SCHEMA_VERSION
from tests.dashboard import builders as b
from tests.dashboard.scenario import ALL_EVENTS, HOUR, T0

pytestmark = pytest.mark.slow  # tens of seconds of computation on 2 cores

FEEDS = ["/api/v1/events", "/api/v1/events.ndjson", "/api/v1/events.csv", "/api/v1/events.parquet"]
WINDOWED_API = [
    "/api/v1/stores/store-1/shelves",
    "/api/v1/stores/store-1/shelves/compare?shelf=shelf-A&shelf=shelf-B",
    "/api/v1/stores/store-1/shelves/shelf-A",
    "/api/v1/stores/store-1/shelves/shelf-A/series",
    "/api/v1/stores/store-1/cameras",
]
PAGES = ["/stores/store-1", "/stores/store-1/shelves/shelf-A", "/stores/store-1/cameras"]
TIMED = [*FEEDS, *WINDOWED_API, *PAGES]
"""Every route and page that takes ``since`` / ``until`` and answers with a finite body."""

ISO_FORMS = [
    ("2024-06-03T16:00:00Z", "2024-06-03T17:00:00Z"),
    ("2024-06-03T18:00:00%2B02:00", "2024-06-03T13:00:00-04:00"),  # offsets, + escaped as it should be
    ("2024-06-03T18:00:00+02:00", "2024-06-03T19:00:00+02:00"),  # an unescaped + arrives as a space
    ("2024-06-03T16:00:00", "2024-06-03 17:00:00"),  # no offset: UTC
    ("2024-06-03t16:00:00.000z", "20240603T170000Z"),  # RFC 3339 lower case; ISO 8601 basic format
]


@pytest.fixture
def loaded(sqlite_store: Store) -> Store:
    sqlite_store.ingest(ALL_EVENTS, [], received_at=T0)
    return sqlite_store


def _with(path: str, query: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}{query}"


@pytest.mark.parametrize("path", TIMED)
@pytest.mark.parametrize(("since", "until"), ISO_FORMS)
def test_iso_times_give_the_same_answer_as_epoch_seconds(
    client: TestClient, loaded: Store, path: str, since: str, until: str
) -> None:
    epoch = client.get(_with(path, f"since={T0:.0f}&until={T0 + HOUR:.0f}"))
    iso = client.get(_with(path, f"since={since}&until={until}"))
    assert epoch.status_code == 200, epoch.text
    assert iso.status_code == 200, iso.text
    assert iso.content == epoch.content


def test_an_iso_window_selects_the_same_events(client: TestClient, loaded: Store) -> None:
    """Not only equal answers: the ISO window is the hour it names (a wrong offset would move it)."""
    inside = sorted(e.event_id for e in ALL_EVENTS if T0 + HOUR <= e.ts < T0 + 2 * HOUR)
    page = client.get("/api/v1/events?since=2024-06-03T19:00:00%2B02:00&until=2024-06-03T18:00:00Z&limit=1000")
    assert sorted(e["event_id"] for e in page.json()["events"]) == [str(i) for i in inside]


@pytest.mark.parametrize("path", [*TIMED, "/api/v1/events/live"])
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("since=yesterday", "expected UTC epoch seconds or an ISO 8601 time"),
        ("until=2024-13-01T00:00:00Z", "expected UTC epoch seconds or an ISO 8601 time"),
        ("until=9999-12-31T23:59:59-01:00", "expected a time in 1970-01-01T00:00:00Z .. 9999-12-31T23:59:59Z"),
        ("since=0001-01-01T00:00:00%2B01:00", "expected a time in 1970-01-01T00:00:00Z .. 9999-12-31T23:59:59Z"),
        ("since=1969-12-31T23:59:59Z", "expected a time in 1970-01-01T00:00:00Z .. 9999-12-31T23:59:59Z"),
        ("until=inf", "expected a time in 1970-01-01T00:00:00Z .. 9999-12-31T23:59:59Z"),
    ],
)
def test_a_bad_time_is_a_422_that_says_what_is_expected(
    client: TestClient, loaded: Store, path: str, query: str, message: str
) -> None:
    response = client.get(_with(path, query))
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", query.split("=")[0]]
    assert error["msg"].startswith(message), error


@pytest.mark.parametrize("path", [*TIMED, "/api/v1/events/live"])
@pytest.mark.parametrize(
    ("since", "until"),
    [(T0 + HOUR, T0), (T0, T0), ("2024-06-03T17:00:00Z", "2024-06-03T18:00:00%2B02:00")],  # last: same instant
)
def test_until_not_after_since_is_a_422_everywhere(
    client: TestClient, loaded: Store, path: str, since: object, until: object
) -> None:
    response = client.get(_with(path, f"since={since}&until={until}"))
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", "until"]
    assert error["msg"].startswith("until: expected later than since"), error


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/stores/nowhere/shelves",
        "/api/v1/stores/nowhere/shelves/compare?shelf=shelf-A",
        "/api/v1/stores/nowhere/shelves/shelf-A",
        "/api/v1/stores/nowhere/shelves/shelf-A/series",
        "/api/v1/stores/nowhere/cameras",
        "/api/v1/stores/nowhere/dwelling-now",
        "/api/v1/stores/nowhere/shoppers/cam1-1",
    ],
)
def test_an_unknown_store_is_a_404_on_every_store_route(client: TestClient, loaded: Store, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404, response.text
    assert response.json()["detail"] == "no store 'nowhere' (stores with data: 'store-1')"
    assert client.get(path.replace("nowhere", "store-1")).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/stores/store-1/shelves/shelf-Z",
        "/api/v1/stores/store-1/shelves/shelf-Z/series",
        "/api/v1/stores/store-1/shelves/compare?shelf=shelf-A&shelf=shelf-Z",
    ],
)
def test_an_unknown_shelf_is_a_404_naming_the_known_ones(client: TestClient, loaded: Store, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404, response.text
    assert response.json()["detail"] == "no shelf 'shelf-Z' in store 'store-1' (its shelves: 'shelf-A', 'shelf-B')"


def test_a_known_shelf_without_events_in_the_window_is_not_a_404(client: TestClient, loaded: Store) -> None:
    """Known means "has data at all", not "has data in this window": an idle shelf has zero figures."""
    response = client.get("/api/v1/stores/store-1/shelves/shelf-A", params={"since": 0, "until": 3600})
    assert response.status_code == 200 and response.json()["figures"]["visits"] == 0


def test_a_store_known_only_from_camera_statuses_is_not_a_404(client: TestClient, sqlite_store: Store) -> None:
    sqlite_store.ingest([b.camera_status(camera="cam9", ts=T0, status="online", store="store-9")], [], received_at=T0)
    assert client.get("/api/v1/stores/store-9/cameras").status_code == 200
    assert client.get("/api/v1/stores/store-9/shelves").json()["shelves"] == []
    assert client.get("/api/v1/stores/store-9/shelves/shelf-A").status_code == 404


def test_an_unknown_store_is_a_401_before_a_404(app: FastAPI, loaded: Store) -> None:
    """Without a token nothing tells whether a store exists."""
    with TestClient(app) as anonymous:
        assert anonymous.get("/api/v1/stores/nowhere/shelves").status_code == 401


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/stores/nowhere", "no store &#39;nowhere&#39;"),
        ("/stores/nowhere/cameras", "no store &#39;nowhere&#39;"),
        ("/stores/nowhere/shoppers/cam1-1", "no store &#39;nowhere&#39;"),
        ("/stores/nowhere/shelves/shelf-A", "no store &#39;nowhere&#39;"),
        ("/stores/store-1/shelves/shelf-Z", "no shelf &#39;shelf-Z&#39; in store &#39;store-1&#39;"),
    ],
)
def test_pages_of_an_unknown_store_or_shelf_are_404_pages(
    client: TestClient, loaded: Store, path: str, message: str
) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert message in response.text
    assert '<a href="/stores/store-1">store-1</a>' in response.text  # a way on


def test_pages_of_an_unknown_store_still_send_visitors_to_sign_in_first(app: FastAPI, loaded: Store) -> None:
    with TestClient(app, follow_redirects=False) as anonymous:
        response = anonymous.get("/stores/nowhere")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/stores/nowhere"


def test_the_sign_in_page_has_no_sign_out_and_the_pages_do(app: FastAPI, client: TestClient, loaded: Store) -> None:
    with TestClient(app) as anonymous:
        sign_in = anonymous.get("/login")
    assert sign_in.status_code == 200 and "Sign in" in sign_in.text
    assert "Sign out" not in sign_in.text and 'action="/logout"' not in sign_in.text
    assert 'action="/logout"' in client.get("/stores/store-1").text


def test_csv_cells_are_typed_text_quoted_booleans_true_false(client: TestClient, loaded: Store) -> None:
    text = client.get("/api/v1/events.csv", params={"escape_formulas": "false"}).text
    header, *rows = text.split("\r\n")[:-1]
    assert header.startswith("event_id,schema_version,type,")  # names are not quoted: the header is plain
    putback = next(r for r in rows if '"putback"' in r)
    assert putback.startswith('"') and f',"{SCHEMA_VERSION}","putback","store-1","cam1",' in putback
    assert ",false," in putback and "False" not in text and "True" not in text
    status = next(r for r in rows if '"camera_status"' in r and '"online"' in r)
    assert status.endswith(',"online","",5.0')  # the empty reason is text (quoted), absent fields are null


def test_the_csv_read_with_its_documented_types_is_the_parquet_export(client: TestClient, loaded: Store) -> None:
    """A typed reader (Arrow) gets the Parquet table from the CSV: schema_version text, misplaced boolean, empty
    quoted text "" and nulls apart. Its column types are the Parquet file's (docs/dashboard.md)."""
    csv_bytes = client.get("/api/v1/events.csv", params={"escape_formulas": "false"}).content
    options = pacsv.ConvertOptions(
        column_types=ARROW_SCHEMA, strings_can_be_null=True, quoted_strings_can_be_null=False
    )
    from_csv = pacsv.read_csv(io.BytesIO(csv_bytes), convert_options=options)
    from_parquet = pq.read_table(io.BytesIO(client.get("/api/v1/events.parquet").content))
    assert from_csv.schema == ARROW_SCHEMA
    assert from_csv.to_pylist() == from_parquet.to_pylist()
    assert set(from_csv.column("schema_version").to_pylist()) == {SCHEMA_VERSION}
    assert parse_csv(csv_bytes.decode()) == sorted(ALL_EVENTS, key=lambda e: (e.ts, str(e.event_id)))


def test_a_quote_in_text_survives_the_csv(client: TestClient, sqlite_store: Store) -> None:
    event = b.camera_status(camera="cam1", ts=T0, status="degraded", reason='lens "fogged", 40%')
    sqlite_store.ingest([event], [], received_at=T0)
    text = client.get("/api/v1/events.csv", params={"escape_formulas": "false"}).text
    assert '"lens ""fogged"", 40%"' in text
    assert parse_csv(text) == [event]


def test_the_openapi_spec_documents_iso_times_and_404s(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/api/v1/events", "/api/v1/stores/{store_id}/shelves"):
        (since,) = [p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == "since"]
        assert "ISO 8601" in since["description"] and "without an offset is UTC" in since["description"]
        kinds = since["schema"]["anyOf"]
        assert {"type": "string", "format": "date-time"} in kinds and kinds[0]["type"] == "number"
    for path in ("/shelves", "/shelves/compare", "/shelves/{shelf_id}", "/shelves/{shelf_id}/series", "/cameras",
                 "/dwelling-now", "/shoppers/{shopper_id}"):  # fmt: skip
        assert "404" in spec["paths"]["/api/v1/stores/{store_id}" + path]["get"]["responses"], path
