"""`shelfsight run-offline` on real footage with hand-drawn zones: valid, ordered, reproducible events."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shelfsight.vision.events.codec import from_json

pytestmark = pytest.mark.integration  # starts processes, servers or a browser

SHELFSIGHT = str(Path(sys.executable).parent / "shelfsight")
CONFIG = Path(__file__).parents[2] / "edge_config" / "examples" / "supermarket_checkout.yaml"


def _run(footage_dir: Path, out: Path) -> dict[str, object]:
    video = footage_dir / "supermarket_checkout_overhead_1280x720.mp4"
    done = subprocess.run(
        [SHELFSIGHT, "--log-level", "WARNING", "run-offline", str(video),
         "--config", str(CONFIG), "--out", str(out), "--start-time", "2013-04-23T15:52:30+00:00"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return summary


def test_run_offline_writes_valid_reproducible_events(footage_dir: Path, models_dir: Path, tmp_path: Path) -> None:
    first = _run(footage_dir, tmp_path / "a")
    second = _run(footage_dir, tmp_path / "b")
    lines = (tmp_path / "a" / "events.jsonl").read_text().splitlines()
    events = [from_json(line) for line in lines]  # every line is a valid v1 event
    assert first["frames"] == 97
    assert events, "shoppers stand at the checkout for most of the clip: there must be dwells"
    assert {e.type for e in events} >= {"dwell_started", "dwell"}
    assert all(e.store_id == "iga-demo" and e.camera_id == "checkout-cam" for e in events)
    opened, closed = events[0], events[-1]  # the file's coverage: online at its first frame, offline after its last
    assert (opened.type, getattr(opened, "status", None), opened.ts) == ("camera_status", "online", 1366732350.0)
    assert (closed.type, getattr(closed, "status", None)) == ("camera_status", "offline")
    assert all(1366732350 <= e.ts <= 1366732350 + 20 for e in events)  # stamped from --start-time
    assert lines == (tmp_path / "b" / "events.jsonl").read_text().splitlines()  # same input, same events and ids
    assert first["events"] == second["events"]
    assert (tmp_path / "a" / "tracks.txt").read_text().count("\n") > 97
