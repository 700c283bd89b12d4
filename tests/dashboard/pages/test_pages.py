"""Pages render for a signed-in merchandiser, with chart data inline and plotly served from this server."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shelfsight.dashboard.pages.static import plotly_js_path
from shelfsight.dashboard.services.tokens import IssuedToken
from shelfsight.dashboard.storage.base import Store
from tests.dashboard.scenario import ALL_EVENTS, T0

FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://testserver"}
"""A browser posting the sign-in form of this server sends its origin."""


@pytest.fixture
def browser(app: FastAPI, sqlite_store: Store, read_token: IssuedToken) -> Iterator[TestClient]:
    """A signed-in browser: the login form set the token cookie."""
    sqlite_store.ingest(ALL_EVENTS, [], received_at=T0)
    with TestClient(app, follow_redirects=False) as test_client:
        response = test_client.post("/login", content=f"token={read_token.secret}&next=/",
                                    headers=FORM_HEADERS)  # fmt: skip
        assert response.status_code == 303 and response.headers["location"] == "/"
        assert "httponly" in response.headers["set-cookie"].lower()
        yield test_client


def _charts(html: str) -> dict[str, list[dict[str, Any]]]:
    """The plotly data of each chart on a page (its JSON data block), by element id."""
    found = re.findall(r'<script type="application/json" class="chart-spec" data-element="([^"]+)">(.*?)</script>',
                       html, flags=re.DOTALL)  # fmt: skip
    return {element: json.loads(spec)["data"] for element, spec in found}


def test_pages_send_visitors_without_a_token_to_login(app: FastAPI) -> None:
    with TestClient(app, follow_redirects=False) as anonymous:
        response = anonymous.get("/stores/store-1")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/stores/store-1"
        assert anonymous.get("/login").status_code == 200
        bad = anonymous.post("/login", content="token=ss_wrong&next=//evil.example",
                             headers=FORM_HEADERS)  # fmt: skip
        assert bad.headers["location"] == "/login?error=unknown+token&next=/"


def test_store_overview_ranks_shelves_and_draws_the_chart(browser: TestClient) -> None:
    assert browser.get("/").headers["location"] == "/stores/store-1"
    page = browser.get("/stores/store-1")
    assert page.status_code == 200
    assert '<script src="/static/plotly.min.js"></script>' in page.text
    ranking = _charts(page.text)["chart-ranking"]
    assert ranking[0]["x"] == ["shelf-A", "shelf-B"] and ranking[0]["y"] == [3, 3]
    assert "Dwelling now" in page.text


def test_shelf_detail_has_series_with_the_gap_funnel_and_dwell_histogram(browser: TestClient) -> None:
    page = browser.get("/stores/store-1/shelves/shelf-B")
    assert page.status_code == 200
    charts = _charts(page.text)
    assert set(charts) == {"chart-timeline", "chart-funnel", "chart-dwell"}
    assert charts["chart-funnel"][0]["x"] == [4, 3, 2, 1, 0]  # passers-by, visits, touches, pickups, takes
    visits = next(trace for trace in charts["chart-timeline"] if trace["name"] == "visits")
    assert None in visits["y"] and 2 in visits["y"]  # the 17:00 outage is a gap, not a zero
    assert "camera down" in page.text
    assert sum(charts["chart-dwell"][0]["y"]) == 3


def test_shopper_and_camera_pages(browser: TestClient) -> None:
    shopper = browser.get("/stores/store-1/shoppers/cam1-1")
    assert shopper.status_code == 200
    assert {trace.get("name") for trace in _charts(shopper.text)["chart-journey"]} >= {"touch", "pickup", "putback"}
    cameras = browser.get("/stores/store-1/cameras")
    assert cameras.status_code == 200
    assert {trace["y"][0] for trace in _charts(cameras.text)["chart-cameras"]} == {"cam1", "cam2"}
    assert "no frame for 20 s" in cameras.text


def test_plotly_and_our_static_files_are_served_locally(browser: TestClient) -> None:
    script = browser.get("/static/plotly.min.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert len(script.content) == plotly_js_path().stat().st_size > 1_000_000
    assert browser.get("/static/style.css").status_code == 200
    assert browser.get("/static/dashboard.js").status_code == 200
