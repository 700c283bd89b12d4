"""Issue 15 through the real app: pass-bys counted, "dwelling now" only for open confirmed visits, coverage counted
from the store's first status (and saying since when), and a shelf funnel that cannot grow downwards."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shelfsight.dashboard.pages.charts import utc_text
from shelfsight.dashboard.services.funnel import shelf_funnel
from shelfsight.dashboard.services.metrics import figures
from shelfsight.dashboard.services.tokens import IssuedToken
from shelfsight.dashboard.storage.base import RollupCounts, Store
from shelfsight.vision.events.contract import AnyEvent
from tests.dashboard import builders as b
from tests.dashboard.conftest import Clock

NOW = 1_767_610_920.0  # 2026-01-05T11:02:00Z
STARTED = NOW - 8 * 60  # the cameras came up 8 minutes ago (10:54)
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://testserver"}


def _store_events() -> list[AnyEvent]:
    """8 minutes of a store: a crowd walking past two zones, two visits, two shoppers still there."""
    events: list[AnyEvent] = [b.camera_status(camera="cam1", ts=STARTED, status="online")]
    for i in range(40):  # confirmed pass-bys: 4 s in each of two zones, under the 5 s minimum
        start = STARTED + 5 + i * 10
        for zone in ("za", "zb"):
            events.append(b.dwell_started(shopper=f"cam1-{i}", zone=zone, shelf="shelf-A", start=start, debounce_s=1))
            events.append(b.pass_by(shopper=f"cam1-{i}", zone=zone, shelf="shelf-A", start=start, seconds=4.0))
        events.append(b.pass_by(shopper=f"cam1-w{i}", zone="za", shelf="shelf-A", start=start, seconds=0.5,
                                confirmed=False))  # fmt: skip
    for shopper, start in (("cam1-100", STARTED + 30), ("cam1-101", STARTED + 60)):  # finished visits
        events.append(b.dwell_started(shopper=shopper, zone="za", shelf="shelf-A", start=start))
        events.append(b.dwell(shopper=shopper, zone="za", shelf="shelf-A", start=start, seconds=40.0))
    for shopper, start in (("cam1-200", NOW - 50), ("cam1-201", NOW - 20)):  # still there
        events.append(b.dwell_started(shopper=shopper, zone="zb", shelf="shelf-A", start=start))
    return events


@pytest.fixture
def browser(app: FastAPI, sqlite_store: Store, read_token: IssuedToken, clock: Clock) -> Iterator[TestClient]:
    clock.now = NOW
    sqlite_store.ingest(_store_events(), [], received_at=NOW)
    with TestClient(app, follow_redirects=False) as test_client:
        test_client.post("/login", content=f"token={read_token.secret}&next=/", headers=FORM_HEADERS)
        test_client.headers["Authorization"] = f"Bearer {read_token.secret}"
        yield test_client


def test_dwelling_now_holds_only_the_open_confirmed_visits(browser: TestClient, sqlite_store: Store) -> None:
    live = browser.get("/api/v1/stores/store-1/dwelling-now").json()
    assert [(v["shopper_id"], v["zone_id"], v["dwell_so_far_s"]) for v in live] == [
        ("cam1-200", "zb", 50.0),
        ("cam1-201", "zb", 20.0),
    ]
    assert len(sqlite_store.open_visits("store-1", confirmed_since=0)) == len(live)
    page = browser.get("/stores/store-1").text
    section = page.split('id="dwelling-now"')[1].split("</ul>")[0]
    assert re.findall(r">(cam1-\d+)</a>", section) == ["cam1-200", "cam1-201"]


def test_pass_bys_are_counted_by_the_rollups_and_the_api(browser: TestClient) -> None:
    (shelf,) = browser.get("/api/v1/stores/store-1/shelves").json()["shelves"]
    got = shelf["figures"]
    # 80 confirmed + 40 walk-throughs; the two shoppers still there are not pass-bys.
    assert (got["visits"], got["passbys"], got["passers_by"]) == (2, 120, 122)
    assert got["engagement_rate"] == pytest.approx(2 / 122)


def test_pass_bys_are_never_counted_twice_with_their_dwell_started() -> None:
    new_edge = figures(RollupCounts(entries=12, visits=2, passbys=9))  # 8 confirmed pass-bys, 2 still there
    assert (new_edge.passbys, new_edge.passers_by) == (9, 11)
    old_edge = figures(RollupCounts(entries=12, visits=2))  # before 1.2: confirmed entries with no dwell
    assert (old_edge.passbys, old_edge.passers_by) == (10, 12)
    assert figures(RollupCounts(visits=3)).engagement_rate is None  # no pass-by information at all


def test_coverage_counts_from_the_first_status_and_says_since_when(browser: TestClient, sqlite_store: Store) -> None:
    """Cameras up for 8 minutes of a 24 h window read their real share, not 0 %; the page says since when."""
    (shelf,) = browser.get("/api/v1/stores/store-1/shelves").json()["shelves"]
    assert shelf["coverage"] == pytest.approx(1.0) and shelf["coverage_since"] == STARTED
    (camera,) = browser.get("/api/v1/stores/store-1/cameras").json()
    assert camera["online_share"] == pytest.approx(1.0) and camera["known_since"] == STARTED
    since = f"since {utc_text(STARTED)[11:16]}"
    assert since == "since 10:54"
    overview = browser.get("/stores/store-1").text
    cell = re.search(r'<td class="coverage ([a-z]*)">([^<]*)<span class="muted since">([^<]*)</span>', overview)
    assert cell is not None and cell.groups() == ("", "100 % ", since)
    assert since in browser.get("/stores/store-1/cameras").text
    # Half of the time since then offline: half, and red; the hours before the first status still do not count.
    sqlite_store.ingest([b.camera_status(camera="cam1", ts=NOW - 4 * 60, status="offline")], [], received_at=NOW)
    (shelf,) = browser.get("/api/v1/stores/store-1/shelves").json()["shelves"]
    assert shelf["coverage"] == pytest.approx(0.5)
    overview = browser.get("/stores/store-1").text
    assert re.search(r'<td class="coverage warn">50 %', overview)


def test_a_store_that_never_reported_a_status_has_unknown_grey_coverage(
    sqlite_store: Store, browser: TestClient
) -> None:
    sqlite_store.ingest([b.dwell(shopper="x-1", zone="zx", shelf="shelf-X", start=NOW - 100, seconds=30.0,
                                 store="store-2")], [], received_at=NOW)  # fmt: skip
    (shelf,) = browser.get("/api/v1/stores/store-2/shelves").json()["shelves"]
    assert shelf["coverage"] is None and shelf["coverage_since"] is None
    assert re.search(r'<td class="coverage muted">–</td>', browser.get("/stores/store-2").text)


def test_the_shelf_funnel_is_monotonic_and_counts_visits(sqlite_store: Store) -> None:
    pick = b.pickup(shopper="c-1", shelf="shelf-F", start=NOW - 290)
    kept = b.pickup(shopper="c-2", shelf="shelf-F", start=NOW - 190)
    events: list[AnyEvent] = [
        b.pass_by(shopper="c-9", zone="zf", shelf="shelf-F", start=NOW - 400, seconds=2.0),
        b.touch(shopper="c-9", zone="zf", shelf="shelf-F", start=NOW - 399),  # during a pass-by: no visit's
        b.dwell_started(shopper="c-8", zone="zf", shelf="shelf-F", start=NOW - 30),  # still there
        b.dwell(shopper="c-1", zone="zf", shelf="shelf-F", start=NOW - 300, seconds=60.0),
        *[b.touch(shopper="c-1", zone="zf", shelf="shelf-F", start=NOW - 298 + i) for i in range(5)],
        pick,
        b.putback(shopper="c-1", shelf="shelf-F", start=NOW - 270, reverses=pick.event_id),
        b.dwell(shopper="c-2", zone="zf", shelf="shelf-F", start=NOW - 200, seconds=40.0),
        kept,
        b.dwell(shopper="c-3", zone="zf", shelf="shelf-F", start=NOW - 150, seconds=20.0),
        b.touch(shopper="c-3", zone="zf", shelf="shelf-F", start=NOW - 145),
        b.dwell(shopper="c-4", zone="zf", shelf="shelf-F", start=NOW - 120, seconds=20.0),
    ]
    sqlite_store.ingest(events, [], received_at=NOW)
    funnel = shelf_funnel(sqlite_store, store_id="store-1", shelf_id="shelf-F", since=NOW - 3600, until=NOW)
    assert funnel.stages() == [("passers-by", 6), ("visits", 4), ("interacted", 3), ("picked up", 2), ("took", 1)]
    counts = [count for _, count in funnel.stages()]
    assert counts == sorted(counts, reverse=True)  # 7 touches and 2 pickups, yet never more than the stage above


def test_the_shelf_page_draws_the_funnel_of_visits(browser: TestClient) -> None:
    html = browser.get("/stores/store-1/shelves/shelf-A").text
    spec = re.search(r'class="chart-spec" data-element="chart-funnel">(.*?)</script>', html, flags=re.DOTALL)
    assert spec is not None
    (trace,) = json.loads(spec.group(1))["data"]
    assert trace["y"] == ["passers-by", "visits", "interacted", "picked up", "took"]
    assert trace["x"] == [124, 2, 0, 0, 0]  # 120 pass-bys + 2 visits + 2 still there; nobody reached


def test_a_journey_does_not_list_a_pass_by_as_unfinished(browser: TestClient) -> None:
    journey = browser.get("/api/v1/stores/store-1/shoppers/cam1-3").json()
    assert journey["visits"] == [] and journey["unfinished"] == []  # two confirmed pass-bys, both ended
    still_there = browser.get("/api/v1/stores/store-1/shoppers/cam1-200").json()
    assert [v["zone_id"] for v in still_there["unfinished"]] == ["zb"]
