"""The shelf page says what happened: recent events in the store's time (journey links, misplaced put-backs called
out), names instead of ids on every page and chart, and an hour axis that fits the data.

The scenario's day (`tests.dashboard.scenario`) plus one misplaced put-back, in a store whose edge box sent
the time zone Europe/Paris (UTC+2 in June) and names for both shelves and one standing zone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shelfsight.dashboard.services.tokens import IssuedToken
from shelfsight.dashboard.storage.base import Store, StoreLabels
from shelfsight.vision.events.contract import PutbackEvent, ShelfSpot
from shelfsight.vision.events.ids import event_id_for
from tests.dashboard import builders as b
from tests.dashboard.scenario import ALL_EVENTS, T0

FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://testserver"}
NAMES = {"shelf-A": "Cereals <organic>", "shelf-B": "Biscuits & tea", "zb": "Floor by the biscuits"}
TAKEN = b.pickup(shopper="cam2-5", shelf="shelf-B", start=T0 + 7400, camera="cam2")
MISPLACED = PutbackEvent(
    event_id=event_id_for(store_id="store-1", camera_id="cam2", type="putback", shopper_id="cam2-5",
                          ts_start=T0 + 7410, extra="shelf-B/s7"),
    store_id="store-1", camera_id="cam2", ts=T0 + 7411, confidence=0.8, shopper_id="cam2-5", ts_start=T0 + 7410,
    ts_end=T0 + 7411, shelf_id="shelf-B", spot=ShelfSpot(spot_id="s7", box=(0.5, 0.2, 0.6, 0.4)),
    pickup_event_id=TAKEN.event_id, misplaced=True,
)  # fmt: skip


def _sign_in(client: TestClient, token: IssuedToken) -> None:
    response = client.post("/login", content=f"token={token.secret}&next=/", headers=FORM_HEADERS)
    assert response.status_code == 303


@pytest.fixture
def browser(app: FastAPI, sqlite_store: Store, read_token: IssuedToken) -> Iterator[TestClient]:
    sqlite_store.ingest([*ALL_EVENTS, TAKEN, MISPLACED], [], received_at=T0)
    sqlite_store.record_labels([StoreLabels("store-1", "Europe/Paris", NAMES, T0)])
    with TestClient(app, follow_redirects=False) as client:
        _sign_in(client, read_token)
        yield client


def _charts(html: str) -> dict[str, dict[str, Any]]:
    found = re.findall(r'<script type="application/json" class="chart-spec" data-element="([^"]+)">(.*?)</script>',
                       html, flags=re.DOTALL)  # fmt: skip
    return {element: json.loads(spec) for element, spec in found}


def _recent_rows(html: str) -> list[list[str]]:
    section = html.split('id="recent-events"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr class=\"[^\"]*\">(.*?)</tr>", section, flags=re.DOTALL)
    return [[re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<td>(.*?)</td>",
             row, flags=re.DOTALL)] for row in rows]  # fmt: skip


def test_recent_events_are_newest_first_in_store_time_with_journey_links(browser: TestClient) -> None:
    page = browser.get("/stores/store-1/shelves/shelf-B")
    assert page.status_code == 200
    rows = _recent_rows(page.text)
    # newest first; T0 + 7410 s is 18:03:30 UTC = 20:03:30 in Paris (CEST, UTC+2)
    assert rows[0][:3] == ["2024-06-03 20:03:30", "put-back", "cam2-5"]
    assert rows[1][:3] == ["2024-06-03 20:03:20", "pick-up", "cam2-5"]
    assert [r[1] for r in rows] == ["put-back", "pick-up", "put-back", "pick-up", "visit", "visit", "touch",
                                    "touch", "visit"]  # fmt: skip
    assert rows[-1][:3] == ["2024-06-03 18:10:00", "visit", "cam2-1"]  # T0 + 600 s
    assert rows[-1][3] == "Floor by the biscuits" and rows[-1][4] == "20.0 s"  # a visit's zone by name, its dwell
    assert "time (Europe/Paris)" in page.text
    assert '<a href="/stores/store-1/shoppers/cam2-1">cam2-1</a>' in page.text
    assert browser.get("/stores/store-1/shoppers/cam2-1").status_code == 200


def test_a_misplaced_put_back_is_called_out(browser: TestClient) -> None:
    page = browser.get("/stores/store-1/shelves/shelf-B").text
    assert "1 item put back in the wrong place" in page
    (flagged,) = re.findall(r'<tr class="putback misplaced">(.*?)</tr>', page, flags=re.DOTALL)
    assert "misplaced" in flagged and "put back at spot s7, taken from spot s1" in re.sub(r"\s+", " ", flagged)
    other = browser.get("/stores/store-1/shelves/shelf-A").text
    assert "wrong place" not in other and "misplaced</span>" not in other


def test_names_replace_ids_on_pages_and_charts_while_urls_keep_ids(browser: TestClient) -> None:
    overview = browser.get("/stores/store-1").text
    ranking = _charts(overview)["chart-ranking"]["data"][0]["x"]
    assert ranking == ["Cereals &lt;organic&gt;", "Biscuits &amp; tea"]  # plotly shows entities as text
    assert '<a href="/stores/store-1/shelves/shelf-A">Cereals &lt;organic&gt;</a>' in overview
    assert ">shelf-A<" not in overview and ">shelf-B<" not in overview
    shelf = browser.get("/stores/store-1/shelves/shelf-B").text
    assert "<h1>Biscuits &amp; tea" in shelf and "<title>Biscuits &amp; tea" in shelf
    assert "Zones: Floor by the biscuits" in shelf
    journey = browser.get("/stores/store-1/shoppers/cam2-1").text
    bars = [t for t in _charts(journey)["chart-journey"]["data"] if t.get("mode") == "lines"]
    assert bars and all(t["y"] == ["Floor by the biscuits"] * 2 for t in bars)
    assert '<a href="/stores/store-1/shelves/shelf-B">Biscuits &amp; tea</a>' in journey
    assert "2024-06-03 18:10:00" in journey  # cam2-1 entered at T0 + 600 s, 16:10 UTC


def test_the_hour_axis_covers_the_hours_with_data_plus_padding(browser: TestClient) -> None:
    chart = _charts(browser.get("/stores/store-1/shelves/shelf-B").text)["chart-timeline"]
    axis = chart["layout"]["xaxis"]
    # data in the UTC hours 16 and 18 (17 is the outage): 18:00-21:00 in Paris, padded by an hour before (the
    # page's 24-hour window ends at 21:00, after the last data), not the whole 24 hours
    assert axis["range"] == ["2024-06-03 17:00:00", "2024-06-03 21:00:00"]
    assert axis["tickformat"] == "%H:%M" and axis["dtick"] == 3_600_000
    assert axis["title"]["text"] == "Mon 3 Jun 2024 (Europe/Paris)"
    visits = next(t for t in chart["data"] if t["name"] == "visits")
    assert visits["x"] == [f"2024-06-03 {h}:30:00" for h in (17, 18, 19, 20)]
    assert visits["y"] == [0, 2, None, 1]  # the outage hour stays a gap, not a zero
    assert "camera down" in json.dumps(chart["layout"]["annotations"])


def test_days_start_at_midnight_in_the_store_time_zone(browser: TestClient) -> None:
    window = {"granularity": "day", "since": T0 - 5 * 86_400, "until": T0 + 2 * 86_400}
    chart = _charts(browser.get("/stores/store-1/shelves/shelf-B", params=window).text)["chart-timeline"]
    visits = next(t for t in chart["data"] if t["name"] == "visits")
    assert visits["x"] == ["2024-06-02 12:00:00", "2024-06-03 12:00:00"]  # Paris days: noon is their middle
    assert visits["y"][1] == 3  # the 3 visits of 3 June
    assert chart["layout"]["xaxis"]["tickformat"] == "%a %-d %b"


def test_a_store_no_box_described_shows_ids_and_utc(app: FastAPI, sqlite_store: Store, read_token: IssuedToken) -> None:
    sqlite_store.ingest(ALL_EVENTS, [], received_at=T0)
    with TestClient(app, follow_redirects=False) as client:
        _sign_in(client, read_token)
        page = client.get("/stores/store-1/shelves/shelf-B").text
    assert "<h1>shelf-B</h1>" in page and "time (UTC)" in page
    assert _recent_rows(page)[0][0] == "2024-06-03 18:01:43"  # the last put-back, T0 + 7303 s, in UTC
    assert _charts(page)["chart-timeline"]["layout"]["xaxis"]["range"] == [
        "2024-06-03 15:00:00", "2024-06-03 19:00:00",
    ]  # fmt: skip
