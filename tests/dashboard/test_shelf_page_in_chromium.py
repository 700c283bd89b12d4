"""The shelf page in a real browser, with its labels sent the real way: a running `shelfsight serve`, an edge beat
over ZeroMQ carrying the store's time zone and shelf names, then headless Chromium draws the page.

Checks what a merchandiser sees: the shelf's name as the heading, recent events in Paris time with the misplaced
put-back called out, and the hour axis labelled ``HH:00`` over only the hours with data. The PNG stays under
pytest's tmp path (printed) and is copied to ``$SHELFSIGHT_SCREENSHOTS_DIR`` when that is set.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import pytest
import zmq

from shelfsight.dashboard.storage import open_store
from shelfsight.transport.envelope import encode
from shelfsight.transport.liveness import EdgeBeat
from tests.dashboard.chromium import Browser, chromium_path
from tests.dashboard.pages.test_shelf_page import MISPLACED, NAMES, TAKEN
from tests.dashboard.scenario import ALL_EVENTS, T0
from tests.dashboard.serve_process import Server, free_port, start_server

pytestmark = pytest.mark.integration  # starts processes, servers or a browser

WIDTH, HEIGHT = 1400, 1900
LABELS_TIMEOUT_S = 20.0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    db = tmp_path / "shelf.db"
    store = open_store(str(db))
    store.migrate()
    store.ingest([*ALL_EVENTS, TAKEN, MISPLACED], [], received_at=T0)
    store.close()
    running = start_server(str(db), ingest=f"tcp://127.0.0.1:{free_port()}", log=tmp_path / "serve.log",
                           extra_args=["--retention-days", "36500"])  # fmt: skip
    yield running
    running.stop()


def _send_labels(server: Server) -> None:
    """An edge box's beat, from a DEALER like the publisher's, until the page shows the shelf's name."""
    context = zmq.Context()
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(server.ingest)
    beat = EdgeBeat("store-1", ("cam1", "cam2"), 5.0, timezone="Europe/Paris", zone_names=tuple(NAMES.items()))
    deadline = time.monotonic() + LABELS_TIMEOUT_S
    try:
        with server.client() as client:
            while "<h1>Biscuits &amp; tea" not in client.get("/stores/store-1/shelves/shelf-B").text:
                assert time.monotonic() < deadline, "the beat's names never reached the shelf page"
                socket.send_multipart(encode(beat.to_envelope()))
                time.sleep(0.2)
    finally:
        socket.close()
        context.term()


def test_a_shelf_page_in_headless_chromium(server: Server, tmp_path: Path) -> None:
    _send_labels(server)
    browser = Browser(chromium_path(), tmp_path / "profile")
    assert "shelves" in browser.dom(server.sign_in)  # signed in: the cookie is in the profile
    url = f"{server.url}/stores/store-1/shelves/shelf-B"
    dom = browser.dom(url)
    assert "Biscuits &amp; tea" in dom and "1 item put back in the wrong place" in dom
    assert "2024-06-03 20:03:30" in dom  # the misplaced put-back, 18:03:30 UTC, in Paris time
    timeline = dom.split('id="chart-timeline"', 1)[1].split('id="chart-funnel"', 1)[0]
    ticks = re.findall(r'<g class="xtick"><text[^>]*>([^<]+)</text>', timeline)
    assert ticks and all(re.fullmatch(r"\d\d:00", t) for t in ticks), ticks
    assert ticks[0] >= "17:00" and ticks[-1] <= "21:00", ticks  # the hours with data, not the whole day
    assert "Mon 3 Jun 2024 (Europe/Paris)" in timeline

    path = browser.screenshot(url, tmp_path / "shelf-page.png", width=WIDTH, height=HEIGHT)
    image = cv2.imread(str(path))
    assert image is not None and image.shape[:2] == (HEIGHT, WIDTH)
    flag = (image[:, :, 2] > 170) & (image[:, :, 1] < 100) & (image[:, :, 0] < 80)  # the red "misplaced" badge
    assert int(flag.sum()) > 100, "no red call-out drawn"
    print(f"screenshot: {path}")
    target = os.environ.get("SHELFSIGHT_SCREENSHOTS_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, Path(target) / path.name)
