"""The pages in a real browser: headless Chromium signs in with the link `shelfsight serve` prints and takes a
screenshot of each page of a running server holding the scenario's store day.

Each screenshot must have the asked size, not be blank (pixel spread, and unlike a blank page), and its charts
must have drawn: plotly's SVG is in the DOM, and the page differs clearly from the same HTML and CSS with its
scripts removed (where the chart panels stay empty). The PNGs stay under pytest's tmp path (printed) and are copied to
``$SHELFSIGHT_SCREENSHOTS_DIR`` when that is set (e.g. ``runs/screenshots``) for people to look at.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

from shelfsight.dashboard.storage import open_store
from tests.dashboard.chromium import Browser, chromium_path
from tests.dashboard.scenario import ALL_EVENTS, T0
from tests.dashboard.serve_process import Server, free_port, start_server

pytestmark = pytest.mark.integration  # starts processes, servers or a browser

SCREENSHOTS_ENV = "SHELFSIGHT_SCREENSHOTS_DIR"
WIDTH = 1400
MIN_GREY_STD = 12.0
"""Grey-level standard deviation a page with text, cards and charts shows (a blank page: 0)."""
MIN_CHART_SHARE = 0.02
"""Share of pixels that must change when charts draw (a chart panel is several per cent of the page)."""


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    height: int
    charts: int
    text: str


PAGES = (
    Page("overview", "/stores/store-1", 1000, 1, "Dwelling now"),
    Page("shelf", "/stores/store-1/shelves/shelf-B", 1500, 3, "camera down"),
    Page("shopper", "/stores/store-1/shoppers/cam1-1", 1000, 1, "Journey"),
    Page("cameras", "/stores/store-1/cameras", 1000, 1, "no frame for 20 s"),
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """`shelfsight serve` over a database holding the scenario's day (2024: retention is set to keep it)."""
    db = tmp_path / "demo.db"
    store = open_store(str(db))
    store.migrate()
    store.ingest(ALL_EVENTS, [], received_at=T0)
    store.close()
    running = start_server(str(db), ingest=f"tcp://127.0.0.1:{free_port()}", log=tmp_path / "serve.log",
                           extra_args=["--retention-days", "36500"])  # fmt: skip
    yield running
    running.stop()


def _grey(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    assert image is not None, f"{path} is not a readable PNG"
    return image


def _without_scripts(server: Server, path: str, html_file: Path) -> str:
    """A file:// copy of the page with every script removed (its styles still load from the server)."""
    with server.client() as client:
        response = client.get(path)
    assert response.status_code == 200, response.text[:500]
    html = re.sub(r"<script\b.*?</script>", "", response.text, flags=re.DOTALL)
    html_file.write_text(html.replace("<head>", f'<head><base href="{server.url}/">', 1))
    return html_file.as_uri()


def test_each_page_in_headless_chromium(server: Server, tmp_path: Path) -> None:
    browser = Browser(chromium_path(), tmp_path / "profile")
    shots = tmp_path / "screenshots"
    shots.mkdir()

    # Not signed in: the page sends the browser to the sign-in form.
    assert 'id="login-form"' in browser.dom(f"{server.url}/stores/store-1")
    # The printed sign-in link: the token travels after '#', the page's script posts it, the cookie is set and
    # the browser lands on the store overview.
    assert server.sign_in.startswith(f"{server.url}/login#token=")
    landed = browser.dom(server.sign_in)
    assert "store-1: shelves" in landed and 'id="login-form"' not in landed

    blank = _grey(browser.screenshot("about:blank", shots / "blank.png", width=WIDTH, height=1000))
    assert float(blank.std()) < 1.0
    for page in PAGES:
        url = f"{server.url}{page.path}"
        dom = browser.dom(url)
        assert page.text in dom, f"{page.name}: {page.text!r} missing"
        assert dom.count('class="main-svg"') >= page.charts, f"{page.name}: plotly drew no chart"
        shot = _grey(browser.screenshot(url, shots / f"{page.name}.png", width=WIDTH, height=page.height))
        assert shot.shape == (page.height, WIDTH), f"{page.name}: screenshot is {shot.shape}"
        assert float(shot.std()) > MIN_GREY_STD, f"{page.name}: screenshot looks blank"
        assert not np.array_equal(shot[:1000], blank), f"{page.name}: screenshot equals a blank page"
        bare_url = _without_scripts(server, page.path, tmp_path / f"{page.name}-noscript.html")
        bare = _grey(browser.screenshot(bare_url, tmp_path / f"{page.name}-noscript.png", width=WIDTH,
                                        height=page.height))  # fmt: skip
        changed = float(np.mean(np.abs(shot.astype(np.int16) - bare.astype(np.int16)) > 16))
        assert changed > MIN_CHART_SHARE, f"{page.name}: charts changed only {changed:.1%} of the pixels"

    # The API docs draw from this server's own copy of Swagger UI (Chromium here has no Internet) under the CSP.
    docs = browser.dom(f"{server.url}/docs")
    assert "opblock" in docs and "/api/v1/events" in docs, docs[-1000:]
    browser.screenshot(f"{server.url}/docs", shots / "docs.png", width=WIDTH, height=1000)

    print(f"screenshots: {shots}")
    target = os.environ.get(SCREENSHOTS_ENV)
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        for png in shots.glob("*.png"):
            shutil.copy2(png, Path(target) / png.name)
        print(f"screenshots copied to {target}")
