"""Browser-facing protections (issue 14, item 8 and 9): headers, same-origin state changes, sessions, the
``Secure`` cookie, the offline API docs, formula-safe CSV and chart labels that stay text."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shelfsight.dashboard.deps import TOKEN_COOKIE
from shelfsight.dashboard.pages import charts
from shelfsight.dashboard.services.feed_format import parse_csv
from shelfsight.dashboard.services.labels import PageLabels
from shelfsight.dashboard.services.shelves import summarize_shelves
from shelfsight.dashboard.services.tokens import IssuedToken, Scope, authorize
from shelfsight.dashboard.services.windows import TimeWindow
from shelfsight.dashboard.storage.base import Store
from tests.dashboard import builders as b
from tests.dashboard.scenario import ALL_EVENTS, HOUR, T0
from tests.dashboard.thread_server import serve_in_thread

SAME_ORIGIN = {"Origin": "http://testserver"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
EXPECTED_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


@pytest.fixture
def loaded(sqlite_store: Store) -> Store:
    sqlite_store.ingest(ALL_EVENTS, [], received_at=T0)
    return sqlite_store


@pytest.fixture
def anonymous(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        yield client


def _sign_in(client: TestClient, token: str) -> str:
    response = client.post("/login", content=f"token={token}&next=/", headers={**FORM, **SAME_ORIGIN})
    assert response.status_code == 303 and response.headers["location"] == "/", response.text
    cookie = client.cookies.get(TOKEN_COOKIE)
    assert cookie
    return cookie


def test_every_response_carries_the_security_headers(app: FastAPI, loaded: Store, read_token: IssuedToken) -> None:
    with serve_in_thread(app) as url, httpx.Client(base_url=url) as client:
        bearer = {"Authorization": f"Bearer {read_token.secret}"}
        responses = [
            client.get("/api/v1/health"),
            client.get("/api/v1/stores/store-1/shelves", headers=bearer),
            client.get("/api/v1/events.csv", headers=bearer),
            client.get("/api/v1/events", headers=bearer, params={"cursor": "bad"}),  # 400
            client.get("/login"),
            client.get("/stores/store-1"),  # 303 to the login
            client.get("/static/dashboard.js"),
            client.get("/docs"),
            client.post("/logout", headers={"Origin": "http://evil.example"}),  # refused: 403
        ]
    for response in responses:
        for name, value in EXPECTED_HEADERS.items():
            assert response.headers.get(name) == value, (response.request.url, name)
        policy = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self';" in policy, response.request.url
    assert [r.status_code for r in responses] == [200, 200, 200, 400, 200, 303, 200, 200, 403]


def test_pages_have_no_inline_script_so_the_policy_can_forbid_it(
    anonymous: TestClient, loaded: Store, read_token: IssuedToken
) -> None:
    _sign_in(anonymous, read_token.secret)
    for path in ("/stores/store-1", "/stores/store-1/shelves/shelf-A", "/stores/store-1/cameras", "/login", "/docs"):
        html = anonymous.get(path).text
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.DOTALL)
        assert scripts, path
        for attributes, body in scripts:
            assert "src=" in attributes or 'type="application/json"' in attributes, (path, attributes)
            assert "src=" not in attributes or not body.strip(), path
        assert not re.search(r"\son[a-z]+=", html), f"{path}: an inline event handler"
        assert "cdn." not in html and "https://" not in html, f"{path}: something loads from outside"


def test_a_cookie_state_change_from_another_origin_is_refused(
    anonymous: TestClient, loaded: Store, admin_token: IssuedToken
) -> None:
    # A cookie holding an admin token (as cookies did before sessions): the worst case for cross-site requests.
    anonymous.cookies.set(TOKEN_COOKIE, admin_token.secret)
    assert anonymous.post("/api/v1/admin/retention", headers={"Origin": "http://evil.example"}).status_code == 403
    assert anonymous.post("/api/v1/admin/retention", headers={"Referer": "http://evil.example/x"}).status_code == 403
    assert anonymous.post("/api/v1/admin/retention", headers={"Origin": "null"}).status_code == 403
    assert anonymous.post("/api/v1/admin/retention").status_code == 403  # neither Origin nor Referer
    assert anonymous.post("/api/v1/admin/retention", headers=SAME_ORIGIN).status_code == 200
    assert (
        anonymous.post("/api/v1/admin/retention", headers={"Referer": "http://testserver/stores/x"}).status_code == 200
    )
    # A Bearer token is never sent by a browser on its own: no origin needed (API clients).
    anonymous.cookies.clear()
    bearer = {"Authorization": f"Bearer {admin_token.secret}", "Origin": "http://evil.example"}
    assert anonymous.post("/api/v1/admin/retention", headers=bearer).status_code == 200
    # Signing in from a foreign page is refused too (login CSRF).
    foreign = anonymous.post(
        "/login", content=f"token={admin_token.secret}", headers={**FORM, "Origin": "http://x.example"}
    )
    assert foreign.status_code == 403 and not anonymous.cookies.get(TOKEN_COOKIE)


def test_signing_in_starts_a_read_session_that_signing_out_revokes(
    anonymous: TestClient, loaded: Store, sqlite_store: Store, admin_token: IssuedToken
) -> None:
    session = _sign_in(anonymous, admin_token.secret)
    assert session != admin_token.secret  # the cookie never holds the pasted token
    record = authorize(sqlite_store, session, Scope.READ, now=T0 + 3 * HOUR)
    assert record is not None and record.scopes == ("read",) and record.expires_at is not None
    assert anonymous.get("/stores/store-1").status_code == 200
    assert anonymous.post("/api/v1/admin/retention", headers=SAME_ORIGIN).status_code == 403  # read only
    assert anonymous.post("/logout", headers=SAME_ORIGIN).status_code == 303
    # The session is revoked, not only forgotten: a copy of the cookie stops working.
    with TestClient(anonymous.app, follow_redirects=False) as thief:
        thief.cookies.set(TOKEN_COOKIE, session)
        assert thief.get("/stores/store-1").status_code == 303
        assert thief.get("/api/v1/stores", headers={"Cookie": f"{TOKEN_COOKIE}={session}"}).status_code == 401
    # The admin token itself still works (sign-out ends the session only).
    assert authorize(sqlite_store, admin_token.secret, Scope.ADMIN, now=T0) is not None


def test_a_session_expires(
    anonymous: TestClient, loaded: Store, sqlite_store: Store, read_token: IssuedToken, clock: object
) -> None:
    session = _sign_in(anonymous, read_token.secret)
    record = authorize(sqlite_store, session, Scope.READ, now=T0 + 3 * HOUR)
    assert record is not None and record.expires_at is not None
    clock.now = record.expires_at + 1  # type: ignore[attr-defined]
    assert anonymous.get("/stores/store-1").status_code == 303


def test_the_cookie_is_secure_over_https_only(app: FastAPI, loaded: Store, read_token: IssuedToken) -> None:
    body = f"token={read_token.secret}&next=/"
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        response = client.post("/login", content=body, headers={**FORM, "Origin": "https://testserver"})
        assert response.status_code == 303 and "secure" in response.headers["set-cookie"].lower()
    with TestClient(app, follow_redirects=False) as client:
        response = client.post("/login", content=body, headers={**FORM, **SAME_ORIGIN})
        assert response.status_code == 303 and "secure" not in response.headers["set-cookie"].lower()
        assert "httponly" in response.headers["set-cookie"].lower()


def test_api_docs_are_served_from_this_server(anonymous: TestClient) -> None:
    page = anonymous.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources == ["/static/docs/swagger-ui.css", "/static/docs/swagger-ui-bundle.js", "/static/api-docs.js"]
    for source in sources:
        asset = anonymous.get(source)
        assert asset.status_code == 200 and len(asset.content) > 300, source
    assert "SwaggerUIBundle" in anonymous.get("/static/docs/swagger-ui-bundle.js").text
    assert anonymous.get("/static/docs/favicon.png").status_code == 404  # only the two assets it needs
    assert anonymous.get("/redoc").status_code != 200  # FastAPI's CDN-based page is off


def test_api_docs_can_be_turned_off(make_app: object) -> None:
    with TestClient(make_app(api_docs=False)) as client:  # type: ignore[operator]
        assert client.get("/docs").status_code == 404
        assert client.get("/openapi.json").status_code == 200


def test_csv_download_neutralises_formulas_and_the_exact_feed_does_not(client: TestClient, sqlite_store: Store) -> None:
    sneaky = [
        b.dwell(shopper='=HYPERLINK("http:evil")', zone="@za", shelf="+shelf", start=T0, seconds=3.0),
        b.camera_status(camera="cam1", ts=T0, status="offline", reason="-2+3\tcell"),
    ]
    sqlite_store.ingest(sneaky, [], received_at=T0)
    download = client.get("/api/v1/events.csv").text
    assert "'=HYPERLINK" in download and ',"\'@za",' in download and ',"\'+shelf",' in download and "'-2+3" in download
    for row in download.splitlines()[1:]:
        cells = re.findall(r'(?:^|,)("(?:[^"]|"")*"|[^,]*)', row)
        assert not any(c.strip('"').startswith(("=", "+", "@")) for c in cells), row
    assert ",0.9," in download  # numbers stay numbers
    exact = client.get("/api/v1/events.csv", params={"escape_formulas": "false"}).text
    assert sorted(parse_csv(exact), key=lambda e: e.type) == sorted(sneaky, key=lambda e: e.type)


def test_chart_labels_show_ids_as_text_never_markup(sqlite_store: Store) -> None:
    link = '<a href="http:evil.example">x'
    events = [b.dwell(shopper="s1", zone="<b>z", shelf=link, start=T0, seconds=5.0),
              b.camera_status(camera="<i>cam", ts=T0 - 60, status="online")]  # fmt: skip
    sqlite_store.ingest(events, [], received_at=T0)
    summaries = summarize_shelves(sqlite_store, store_id="store-1", window=TimeWindow(T0, T0 + HOUR), now=T0 + HOUR)
    ranking = charts.shelf_ranking(summaries, PageLabels())
    assert ranking.data[0]["x"] == ['&lt;a href="http:evil.example"&gt;x']
    named = charts.shelf_ranking(summaries, PageLabels(names={link: "<b>Cereals</b>"}))  # names are text too
    assert named.data[0]["x"] == ["&lt;b&gt;Cereals&lt;/b&gt;"]
    assert charts.label("a & <b>") == "a &amp; &lt;b&gt;"


@pytest.mark.parametrize(
    "query",
    ["until=inf", "since=-1e308", "since=1e300", "since=nan", "until=253402300800", "since=5&until=4"],
)
@pytest.mark.parametrize("page", ["/stores/store-1", "/stores/store-1/shelves/shelf-A", "/stores/store-1/cameras"])
def test_pages_refuse_windows_outside_the_calendar_with_422(
    anonymous: TestClient, loaded: Store, read_token: IssuedToken, page: str, query: str
) -> None:
    _sign_in(anonymous, read_token.secret)
    assert anonymous.get(f"{page}?{query}").status_code == 422


def test_a_shelf_page_over_the_widest_window_is_a_clear_422_or_a_page(
    anonymous: TestClient, loaded: Store, read_token: IssuedToken
) -> None:
    _sign_in(anonymous, read_token.secret)
    too_many_days = anonymous.get("/stores/store-1/shelves/shelf-B?since=0&until=253402300799")
    assert too_many_days.status_code == 422 and "a series holds at most" in too_many_days.text
    assert (
        anonymous.get(f"/stores/store-1/shelves/shelf-B?since={T0 - 20 * 365 * 86_400}&until={T0}").status_code == 200
    )
    assert anonymous.get("/stores/store-1/cameras?since=0&until=253402300799").status_code == 200
    assert anonymous.get("/stores/store-1?since=0&until=253402300799").status_code == 200
