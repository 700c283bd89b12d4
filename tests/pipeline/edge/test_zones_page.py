"""The zones page of the edge box's health server, over real HTTP and in the system Chromium: an installer draws a
zone, saves it, the saved file passes `config check`, a reload shows it; a corner is dragged; a bow-tie is refused
with config check's message; nothing answers without the box's credentials."""

from __future__ import annotations

import base64
import json
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect, sync_playwright

from shelfsight.edge_config.loader import check_config, load_config
from shelfsight.pipeline.edge.health import HealthServer
from shelfsight.pipeline.edge.status import EdgeStatus
from shelfsight.pipeline.edge.zone_pictures import ZonePictureWriter, picture_path
from shelfsight.pipeline.edge.zones_page import USER, ZonesPage, edge_token
from tests.dashboard.chromium import chromium_path

DEMO = Path(__file__).parents[3] / "edge_config" / "demo.yaml"
TOKEN = "test-token-123"
WAIT_MS = 30_000
"""Deadline of each browser wait: generous, for a busy machine; each wait ends as soon as its condition holds."""


def _snapshot() -> EdgeStatus:
    return EdgeStatus(store_id="demo-store", uptime_s=1.0, bad_heartbeats=0, stages=[])


@pytest.fixture
def box(tmp_path: Path, models_dir: Path) -> Iterator[tuple[str, Path]]:
    """A health server with the zones page over a copy of the demo config, and a picture of endcap-cam."""
    config = tmp_path / "store.yaml"
    shutil.copy(DEMO, config)
    spool = tmp_path / "spool"
    writer = ZonePictureWriter(picture_path(spool, "endcap-cam"))
    frame = np.full((240, 320, 3), (40, 120, 60), np.uint8)
    frame[80:160, 60:260] = (30, 140, 220)  # a "shelf"
    for t in (0.0, 1.0, 2.0, 3.0):
        writer.offer(frame, np.zeros((0, 4), np.float32), 1e9 + t)
    assert writer.written == 1
    server = HealthServer(_snapshot, port=0, zones=ZonesPage(config, spool, TOKEN, models_dir=models_dir))
    server.start()
    try:
        yield server.url, config
    finally:
        server.close()


def _request(
    url: str, *, method: str = "GET", body: bytes | None = None, password: str | None = TOKEN, json_body: bool = True
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=body, method=method)
    if password is not None:
        request.add_header("Authorization", "Basic " + base64.b64encode(f"{USER}:{password}".encode()).decode())
    if body is not None and json_body:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_nothing_under_zones_answers_without_the_boxs_credentials(box: tuple[str, Path]) -> None:
    url, config = box
    before = config.read_bytes()
    zones = json.dumps([{"id": "z", "kind": "aisle", "polygon": [[0.1, 0.1], [0.3, 0.1], [0.3, 0.3]]}]).encode()
    for password in (None, "wrong", ""):
        for path in ("/zones", "/zones/api/cameras", "/zones/picture/endcap-cam.png"):
            code, headers, _ = _request(url + path, password=password)
            assert code == 401, (path, password)
            assert headers["WWW-Authenticate"].startswith("Basic realm=")
        code, _, _ = _request(url + "/zones/api/cameras/endcap-cam/zones", method="PUT", body=zones, password=password)
        assert code == 401
    assert config.read_bytes() == before
    code, headers, picture = _request(url + "/zones/picture/endcap-cam.png")
    assert code == 200 and headers["Content-Type"] == "image/png" and picture.startswith(b"\x89PNG")
    code, headers, page = _request(url + "/zones")
    assert code == 200 and b'<svg id="overlay"' in page
    assert headers["X-Frame-Options"] == "DENY"  # no other site may frame it
    assert _request(url + "/zones/picture/..%2Fstore.yaml.png")[0] == 404  # only configured camera ids
    assert _request(url + "/zones/picture/aisle-cam.png")[0] == 404  # configured, but no picture yet


def test_bad_saves_get_clear_errors_and_change_nothing(box: tuple[str, Path], models_dir: Path) -> None:
    url, config = box
    before = config.read_bytes()
    put = url + "/zones/api/cameras/endcap-cam/zones"
    good = json.dumps([{"id": "z", "kind": "aisle", "polygon": [[0.1, 0.1], [0.3, 0.1], [0.3, 0.3]]}]).encode()
    assert _request(put, method="PUT", body=good, json_body=False)[0] == 415  # a form post from another site
    code, _, body = _request(put, method="PUT", body=b'[{"id": "z"}]')
    assert code == 400 and b"polygon" in body
    assert _request(url + "/zones/api/cameras/nope/zones", method="PUT", body=good)[0] == 409
    bow_tie = json.dumps([{"id": "z", "kind": "aisle", "polygon": [[0.1, 0.6], [0.5, 0.9], [0.5, 0.6], [0.1, 0.9]]}])
    code, _, body = _request(put, method="PUT", body=bow_tie.encode())
    assert code == 422
    problems = json.loads(body)["problems"]
    assert any("cross each other (a bow-tie outline)" in p["message"] and p["line"] for p in problems)
    assert all(p["text"].startswith(f"{config}:") for p in problems)
    assert config.read_bytes() == before
    assert check_config(config, models_dir=models_dir) == []


def _corner(page: Page, x: float, y: float) -> tuple[float, float]:
    """Page pixels of the normalised picture point (x, y)."""
    box = page.locator("#overlay").bounding_box()
    assert box is not None
    return box["x"] + x * box["width"], box["y"] + y * box["height"]


def _open(page: Page, url: str) -> None:
    page.goto(f"{url}/zones?camera=endcap-cam")
    expect(page.locator("body")).to_have_attribute("data-ready", "endcap-cam", timeout=WAIT_MS)
    page.wait_for_function("document.getElementById('picture').naturalWidth === 320", timeout=WAIT_MS)


def _points(page: Page, zone_id: str) -> list[list[float]]:
    text = page.locator(f"#overlay polygon[data-zone='{zone_id}']").get_attribute("points")
    assert text is not None
    return [[float(v) for v in pair.split(",")] for pair in text.split()]


def test_draw_save_reload_and_drag_in_chromium(box: tuple[str, Path], models_dir: Path) -> None:
    url, config = box
    args = ["--no-sandbox"] if os.geteuid() == 0 else []  # Chromium refuses to run as root with its sandbox
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=args)
        try:
            anonymous = browser.new_page()  # no credentials: headless Chromium gets the 401 and shows nothing
            with pytest.raises(PlaywrightError, match="ERR_INVALID_AUTH_CREDENTIALS"):
                anonymous.goto(f"{url}/zones")
            context = browser.new_context(
                http_credentials={"username": USER, "password": TOKEN}, viewport={"width": 1300, "height": 900}
            )
            page = context.new_page()
            _open(page, url)
            expect(page.locator("#zones li")).to_have_count(4, timeout=WAIT_MS)

            # A bow-tie is refused with config check's message; the file is not touched.
            before = config.read_bytes()
            page.click("#new")
            for x, y in ((0.1, 0.85), (0.3, 0.95), (0.3, 0.85), (0.1, 0.95)):
                page.mouse.click(*_corner(page, x, y))
            page.click("#finish")
            page.click("#save")
            expect(page.locator("#status")).to_contain_text("Not saved", timeout=WAIT_MS)
            expect(page.locator("#problems")).to_contain_text("cross each other (a bow-tie outline)")
            assert config.read_bytes() == before
            page.click("#delete")

            # Draw a checkout zone, name it, save.
            drawn = ((0.05, 0.82), (0.35, 0.82), (0.35, 0.97), (0.05, 0.97))
            page.click("#new")
            for x, y in drawn:
                page.mouse.click(*_corner(page, x, y))
            page.click("#finish")
            page.fill("#zone-id", "endcap-till")
            page.select_option("#zone-kind", "checkout")
            page.click("#save")
            expect(page.locator("#status")).to_contain_text("Saved 5 zone(s)", timeout=WAIT_MS)
            expect(page.locator("#status")).to_contain_text("restart the edge")

            assert check_config(config, models_dir=models_dir) == []
            saved = {z.id: z for z in load_config(config).cameras[1].zones}
            assert saved["endcap-till"].kind.value == "checkout"
            assert np.allclose(saved["endcap-till"].polygon, drawn, atol=0.01)

            # A reload shows it, from the file.
            page.reload()
            _open(page, url)
            expect(page.locator("#zones li[data-zone='endcap-till']")).to_have_count(1, timeout=WAIT_MS)
            assert np.allclose(_points(page, "endcap-till"), drawn, atol=0.01)

            # Drag the first corner of a shelf zone and save.
            page.click("#zones li[data-zone='endcap-shelf-top']")
            first = _points(page, "endcap-shelf-top")[0]
            page.mouse.move(*_corner(page, *first))
            page.mouse.down()
            page.mouse.move(*_corner(page, 0.15, 0.30), steps=5)
            page.mouse.up()
            page.click("#save")
            expect(page.locator("#status")).to_contain_text("Saved 5 zone(s)", timeout=WAIT_MS)
            moved = {z.id: z for z in load_config(config).cameras[1].zones}["endcap-shelf-top"]
            assert np.allclose(moved.polygon[0], (0.15, 0.30), atol=0.01)
            assert check_config(config, models_dir=models_dir) == []
        finally:
            browser.close()


def test_the_token_comes_from_the_environment_or_a_private_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SHELFSIGHT_EDGE_TOKEN", raising=False)
    made = edge_token(tmp_path / "spool")
    assert len(made) >= 24 and edge_token(tmp_path / "spool") == made  # kept across restarts
    assert (tmp_path / "spool" / "zones-token").stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("SHELFSIGHT_EDGE_TOKEN", "from-env")
    assert edge_token(tmp_path / "spool") == "from-env"
