"""`shelfsight demo`: the aggregator and the multi-process edge runtime on the demo store, as the README's
first command runs them; checked over plain HTTP while it runs, and for a clean stop (no process left)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.dashboard.chromium import Browser, chromium_path
from tests.processes import alive

pytestmark = pytest.mark.integration  # starts processes, servers or a browser

SHELFSIGHT = str(Path(sys.executable).parent / "shelfsight")


def _get(url: str, token: str) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_demo_runs_edge_and_dashboard_and_stops_cleanly(models_dir: Path, tmp_path: Path) -> None:
    command = [SHELFSIGHT, "--log-level", "WARNING", "demo", "--out", str(tmp_path), "--port", "0"]
    demo = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert demo.stdout is not None
    said, deadline = "", time.monotonic() + 120
    while "edge box:" not in said and time.monotonic() < deadline:
        line = demo.stdout.readline()
        if not line:
            break
        said += line
    try:
        url = re.search(r"dashboard:\s+(\S+)", said).group(1).rstrip("/")  # type: ignore[union-attr]
        token = re.search(r"admin token:\s+(\S+)", said).group(1)  # type: ignore[union-attr]
        health = re.search(r"--url (\S+)", said).group(1)  # type: ignore[union-attr]

        def edge_stages() -> list[dict[str, Any]]:
            with urllib.request.urlopen(f"{health}/status", timeout=10) as response:
                return list(json.loads(response.read())["stages"])

        deadline = time.monotonic() + 60
        while not (stages := _try(edge_stages)):
            assert time.monotonic() < deadline, "the edge box's status never answered"
            time.sleep(0.5)
        assert {s["name"] for s in stages} >= {"capture:aisle-cam", "detector", "events:endcap-cam", "publisher"}

        def cameras_online() -> bool:
            cameras = _get(f"{url}/api/v1/stores/demo-store/cameras", token)
            return {c["camera_id"] for c in cameras if c["latest"] and c["latest"]["status"] == "online"} == {
                "aisle-cam", "endcap-cam"}  # fmt: skip

        def shoppers_seen() -> int:
            now = time.time()
            shelves = _get(f"{url}/api/v1/stores/demo-store/shelves?since={now - 3600:.0f}&until={now + 60:.0f}", token)
            return sum(s["figures"]["passers_by"] for s in shelves["shelves"])

        deadline = time.monotonic() + 180
        while not (_try(cameras_online) and _try(shoppers_seen)):
            assert demo.poll() is None, "the demo stopped early"
            assert time.monotonic() < deadline, "no shoppers reached the dashboard in 3 minutes"
            time.sleep(2)

        # A merchandiser's view of the running demo, in a real browser, signed in with the printed link.
        browser = Browser(chromium_path(), tmp_path / "profile")
        sign_in = re.search(r"sign in:\s+(\S+)", said).group(1)  # type: ignore[union-attr]
        assert "demo-store: shelves" in browser.dom(sign_in)
        shots = Path(os.environ.get("SHELFSIGHT_SCREENSHOTS_DIR", tmp_path / "shots")) / "demo"
        shots.mkdir(parents=True, exist_ok=True)
        for name, path in (("overview", "/stores/demo-store"), ("cameras", "/stores/demo-store/cameras")):
            shot = browser.screenshot(f"{url}{path}", shots / f"{name}.png", width=1400, height=1000)
            assert shot.stat().st_size > 20_000, f"{name} looks empty"
        # Every stage's process, once all have one (a stage still starting or restarting reports no pid yet).
        deadline = time.monotonic() + 60
        while None in (pids := [s["pid"] for s in _try(edge_stages) or [{"pid": None}]]):
            assert time.monotonic() < deadline, "a stage never reported its process"
            time.sleep(0.5)
    finally:
        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=60) == 0
    time.sleep(1)
    assert not [pid for pid in pids if alive(pid)], "a stage outlived the demo"


def _try(check: Any) -> Any:
    try:
        return check()
    except (urllib.error.URLError, OSError, KeyError, ValueError):
        return 0
