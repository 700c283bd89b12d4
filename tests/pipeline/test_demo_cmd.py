"""`shelfsight demo`: a synthetic store through the pipeline into a running dashboard, over real ZeroMQ and HTTP."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

SHELFSIGHT = str(Path(sys.executable).parent / "shelfsight")


def test_demo_publishes_events_the_dashboard_serves(models_dir: Path, tmp_path: Path) -> None:
    command = [SHELFSIGHT, "--log-level", "WARNING", "demo", "--scenario", "one_takes_item", "--out", str(tmp_path),
               "--port", "0", "--serve-for", "20"]  # fmt: skip
    demo = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert demo.stdout is not None
    said, deadline = "", time.monotonic() + 240
    while "admin token" not in said and time.monotonic() < deadline:
        line = demo.stdout.readline()
        if not line:
            break
        said += line
    try:
        summary = re.search(r"-> (\d+) events \((.*)\), all acknowledged", said)
        assert summary is not None, said
        assert "pickup=1" in summary.group(2) and "dwell=1" in summary.group(2)
        url = re.search(r"dashboard:\s+(\S+)", said).group(1)  # type: ignore[union-attr]
        token = re.search(r"admin token:\s+(\S+)", said).group(1)  # type: ignore[union-attr]
        request = urllib.request.Request(
            f"{url}api/v1/stores/synth-store/shelves", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            shelves = json.loads(response.read())["shelves"]
        figures = {s["shelf_id"]: s["figures"] for s in shelves}
        assert figures["shelf-a"]["visits"] == 1 and figures["shelf-a"]["pickups"] == 1
        assert figures["shelf-a"]["takes"] == 1  # taken and never put back
    finally:
        demo.terminate()
        demo.wait(timeout=30)
