"""`shelfsight eval events`: scores as a table and as JSON, shoppers matched through track files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shelfsight.vision.events.codec import to_json
from tests.vision.events.event_samples import sample_event

pytestmark = pytest.mark.integration  # starts processes, servers or a browser

SHELFSIGHT = str(Path(sys.executable).parent / "shelfsight")
T0 = 1_767_603_600.0


def _dwell(shopper: str, start: float, end: float):  # type: ignore[no-untyped-def]
    return sample_event(
        "dwell", shopper_id=shopper, zone_id="floor-1", ts_start=T0 + start, ts_end=T0 + end, ts=T0 + end,
        dwell_s=end - start, occluded_s=None,
    )  # fmt: skip


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_eval_events_json_and_shopper_matching(tmp_path: Path) -> None:
    gt = _write(tmp_path / "gt.jsonl", [to_json(_dwell("gt-1", 0, 10)), to_json(_dwell("gt-2", 20, 30))])
    # cam-7 follows gt-1, but the predicted shopper of the second dwell (cam-8) follows nobody: a false positive
    pred = _write(tmp_path / "pred.jsonl", [to_json(_dwell("cam-7", 0.5, 10)), to_json(_dwell("cam-8", 20, 31))])
    gt_tracks = _write(tmp_path / "gt.txt", [f"{f},1,100,100,50,100,1,1,1" for f in range(1, 20)])
    pred_tracks = _write(tmp_path / "pred.txt", [f"{f},7,101,100,50,100,1,-1,-1,-1" for f in range(1, 20)])
    base = ["eval", "events", "--gt", str(gt), "--pred", str(pred)]
    tracked = [*base, "--gt-tracks", str(gt_tracks), "--pred-tracks", str(pred_tracks), "--json"]
    done = subprocess.run([SHELFSIGHT, *tracked], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    dwell = json.loads(done.stdout)["dwell"]
    assert (dwell["tp"], dwell["fp"], dwell["fn"]) == (1, 1, 1)
    assert dwell["dwell_error_median_s"] == 0.5
    untracked = subprocess.run([SHELFSIGHT, *base], capture_output=True, text=True, timeout=60, check=False)
    assert untracked.returncode == 0 and "dwell        2     2    2    0    0" in untracked.stdout


def test_eval_events_rejects_bad_input(tmp_path: Path) -> None:
    gt = _write(tmp_path / "gt.jsonl", ['{"type": "dwell"}'])
    done = subprocess.run(
        [SHELFSIGHT, "eval", "events", "--gt", str(gt), "--pred", str(gt)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2 and "gt.jsonl" in done.stderr
