"""`shelfsight track` and `shelfsight eval tracks` as a user runs them: real subprocesses, real files."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from shelfsight.vision.tracking.mot import read_mot
from tests.cli import run_shelfsight

pytestmark = pytest.mark.integration  # starts processes, servers or a browser


def test_track_video_writes_mot_results_and_annotated_video(
    footage_dir: Path, models_dir: Path, tmp_path: Path
) -> None:
    source = footage_dir / "supermarket_checkout_overhead_1280x720.mp4"
    done = run_shelfsight("track", str(source), "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["frames"] == 97
    table = read_mot(Path(summary["mot"]))
    assert len(table) == summary["boxes"] > 97  # several shoppers in most frames
    assert table.frame.min() >= 1 and table.frame.max() <= 97
    distinct = set(table.track_id.tolist())
    assert len(distinct) == summary["distinct_ids"]
    assert 3 <= len(distinct) <= 15, f"a few shoppers and staff, not one id per frame: {sorted(distinct)}"
    lengths = [int((table.track_id == i).sum()) for i in distinct]
    assert max(lengths) >= 80, "the shopper at the till is followed for most of the clip under one id"
    video = cv2.VideoCapture(summary["annotated"])
    decoded = 0
    while video.read()[0]:
        decoded += 1
    assert decoded == 97


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def test_eval_tracks_prints_a_table_and_json(tmp_path: Path) -> None:
    gt = _write(tmp_path / "gt.txt", [f"{f},{i},{100 * i},0,50,100,1,1,1.0" for f in (1, 2, 3, 4) for i in (1, 2)])
    switched = {(3, 1): 9, (4, 1): 9}
    pred = _write(
        tmp_path / "pred.txt",
        [f"{f},{switched.get((f, i), i)},{100 * i},0,50,100,0.9,-1,-1,-1" for f in (1, 2, 3, 4) for i in (1, 2)],
    )
    table = run_shelfsight("eval", "tracks", "--gt", str(gt), "--pred", str(pred))
    assert table.returncode == 0, table.stderr
    for label in ("HOTA", "IDF1", "MOTA", "ID switches", "Fragmentations"):
        assert label in table.stdout
    as_json = run_shelfsight("eval", "tracks", "--gt", str(gt), "--pred", str(pred), "--json")
    values = json.loads(as_json.stdout)
    assert values["idf1"] == 0.75 and values["id_switches"] == 1 and values["mota"] == 0.875
    assert 0 < values["hota"] < 1


def test_eval_tracks_names_a_bad_file(tmp_path: Path) -> None:
    gt = _write(tmp_path / "gt.txt", ["1,1,0,0,50,100,1,1,1.0"])
    bad = _write(tmp_path / "pred.txt", ["1,1,zero,0,50,100"])
    done = run_shelfsight("eval", "tracks", "--gt", str(gt), "--pred", str(bad))
    assert done.returncode == 2
    assert "pred.txt:1: not a number" in done.stderr
