"""`shelfsight detect` as a user runs it: a real subprocess, real decode, real files written."""

from __future__ import annotations

import json
from pathlib import Path

import cv2

from tests.cli import run_shelfsight


def test_detect_video_writes_annotated_video_and_json_lines(
    footage_dir: Path, models_dir: Path, tmp_path: Path
) -> None:
    source = footage_dir / "supermarket_checkout_overhead_1280x720.mp4"
    done = run_shelfsight("detect", str(source), "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    records = [json.loads(line) for line in Path(summary["jsonl"]).read_text().splitlines()]
    assert summary["frames"] == len(records) == 97
    assert [r["frame"] for r in records] == list(range(97))
    boxes = [d for r in records for d in r["detections"]]
    assert summary["detections"] == len(boxes) > 97  # several shoppers in most frames
    assert all(d["label"] == "person" and 0.3 < d["score"] <= 1 for d in boxes)
    assert all(0 <= d["xyxy"][0] < d["xyxy"][2] <= 1280 and 0 <= d["xyxy"][1] < d["xyxy"][3] <= 720 for d in boxes)
    video = cv2.VideoCapture(summary["annotated"])
    decoded = 0
    while video.read()[0]:
        decoded += 1
    assert decoded == 97


def test_detect_image(footage_dir: Path, models_dir: Path, tmp_path: Path) -> None:
    done = run_shelfsight("detect", str(footage_dir / "images" / "zidane.jpg"), "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    record = json.loads((tmp_path / "zidane.detections.jsonl").read_text())
    assert len(record["detections"]) == 2
    assert cv2.imread(str(tmp_path / "zidane.annotated.jpg")).shape == (720, 1280, 3)


def test_detect_with_unknown_model_says_what_to_do(footage_dir: Path, tmp_path: Path) -> None:
    done = run_shelfsight(
        "detect", str(footage_dir / "images" / "bus.jpg"), "--model", "yolo11n_640", "--out", str(tmp_path)
    )
    assert done.returncode == 2
    assert "yolo export model=yolo11n.pt" in done.stderr
