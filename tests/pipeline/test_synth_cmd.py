"""`shelfsight synth` as a user runs it: a real subprocess writing real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import pytest
import yaml

from shelfsight.edge_config import load_config
from shelfsight.vision.events import from_json
from shelfsight.vision.synthetic.library import library_names

pytestmark = pytest.mark.integration  # starts processes, servers or a browser

SHELFSIGHT = str(Path(sys.executable).parent / "shelfsight")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SHELFSIGHT, "synth", *args], capture_output=True, text=True, timeout=300, env=os.environ.copy()
    )


def test_render_a_library_scenario(tmp_path: Path) -> None:
    done = _run("one_takes_and_returns", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["source"] == "synthetic:one_takes_and_returns"
    assert summary["counts"]["pickup"] == summary["counts"]["putback"] == 1
    assert "rendering one_takes_and_returns" in done.stderr  # the progress bar
    video = cv2.VideoCapture(str(tmp_path / "video.mp4"))
    decoded = 0
    while video.read()[0]:
        decoded += 1
    assert decoded == summary["frames"] == json.loads((tmp_path / "truth.json").read_text())["frame_count"]
    config = load_config(tmp_path / "edge_config.yaml")
    assert config.cameras[0].source == "synthetic:one_takes_and_returns"
    events = [from_json(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert {e.type for e in events} == {"dwell_started", "dwell", "pickup", "putback"}
    rows = (tmp_path / "gt" / "gt.txt").read_text().splitlines()
    assert (
        rows and rows[0].split(",")[0] == str(min(int(r.split(",")[0]) for r in rows)) and len(rows[0].split(",")) == 9
    )
    assert "seqLength=" in (tmp_path / "seqinfo.ini").read_text()
    assert "name: one_takes_and_returns" in (tmp_path / "scenario.yaml").read_text()


def test_random_from_a_seed_is_reproducible(tmp_path: Path) -> None:
    first = _run("random", "--seed", "7", "--out", str(tmp_path / "a"), "--no-video")
    second = _run("random", "--seed", "7", "--out", str(tmp_path / "b"), "--no-video")
    videos = [_run("random", "--seed", "11", "--window-s", "6", "--out", str(tmp_path / f"v{i}")) for i in (1, 2)]
    assert all(done.returncode == 0 for done in videos), videos[0].stderr
    video = (tmp_path / "v1" / "video.mp4").read_bytes()
    assert video == (tmp_path / "v2" / "video.mp4").read_bytes()  # x264, one thread: the same bytes in every run
    assert first.returncode == second.returncode == 0, first.stderr
    assert json.loads(first.stdout.splitlines()[-1])["source"] == "synthetic:random-7"
    assert not (tmp_path / "a" / "video.mp4").exists()
    for name in ("gt/gt.txt", "events.jsonl", "truth.json", "scenario.yaml"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert load_config(tmp_path / "a" / "edge_config.yaml").cameras[0].source == "synthetic:random-7"


def test_random_with_other_rates_points_the_config_at_its_video(tmp_path: Path) -> None:
    done = _run("random", "--seed", "3", "--arrivals-per-min", "20", "--window-s", "15", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.splitlines()[-1])
    in_place = yaml.safe_load((tmp_path / "scenario.yaml").read_text())["shoppers"]
    assert summary["counts"]["shoppers"] == 5 + sum(1 for s in in_place if s["enter_s"] < 0)
    assert load_config(tmp_path / "edge_config.yaml").cameras[0].source == "video.mp4"


def test_random_comes_through_a_real_camera_unless_clean(tmp_path: Path) -> None:
    faulty = _run(
        "random", "--seed", "5", "--window-s", "8", "--view", "overhead_fisheye", "--out", str(tmp_path / "f")
    )
    clean = _run("random", "--seed", "5", "--window-s", "8", "--clean", "--out", str(tmp_path / "c"))
    assert faulty.returncode == clean.returncode == 0, faulty.stderr + clean.stderr
    camera = yaml.safe_load((tmp_path / "f" / "scenario.yaml").read_text())["camera"]
    assert camera["view"] == "overhead_fisheye" and camera["effects"]["h264_kbps"] > 0
    assert yaml.safe_load((tmp_path / "c" / "scenario.yaml").read_text())["camera"]["effects"]["h264_kbps"] is None
    codecs = {}
    for name in ("f", "c"):
        video = cv2.VideoCapture(str(tmp_path / name / "video.mp4"))
        fourcc = int(video.get(cv2.CAP_PROP_FOURCC)).to_bytes(4, "little").decode("ascii", "replace")
        codecs[name] = fourcc.lower()
        assert video.read()[0], name  # OpenCV decodes it
    assert codecs == {"f": "h264", "c": "fmp4"}  # the camera's own H.264 stream; MPEG-4 Part 2 (mp4v) as before
    wrists = (tmp_path / "f" / "gt" / "wrists.txt").read_text().splitlines()
    assert wrists[0] == "frame,id,side,x,y,visible,reaching,hand_x,hand_y" and len(wrists) > 1


def test_rendered_scenario_file_renders_again_to_the_same_truth(tmp_path: Path) -> None:
    assert _run("random", "--seed", "9", "--window-s", "20", "--out", str(tmp_path / "a"), "--no-video").returncode == 0
    again = _run(str(tmp_path / "a" / "scenario.yaml"), "--out", str(tmp_path / "b"), "--no-video")
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "a" / "gt" / "gt.txt").read_text() == (tmp_path / "b" / "gt" / "gt.txt").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("random", "--out", "x"), "synth random needs --seed N"),
        (("no_such_scenario", "--out", "x"), "no scenario 'no_such_scenario' in the library; known: busy_hour"),
        (
            ("random", "--seed", "1", "--view", "top", "--out", "x"),
            "--view must be one of eye_level, high_oblique, overhead_fisheye",
        ),
        (("one_dwells", "--size", "640by480", "--out", "x"), "--size must be WIDTHxHEIGHT"),
    ],
)
def test_mistakes_exit_2_with_a_message(args: tuple[str, ...], message: str, tmp_path: Path) -> None:
    done = _run(*[str(tmp_path / a) if a == "x" else a for a in args])
    assert done.returncode == 2
    assert message in done.stderr


def test_list_shows_the_library() -> None:
    done = _run("list")
    assert done.returncode == 0, done.stderr
    for name in library_names():
        assert name[:15] in done.stdout


def test_realism_prints_a_table(models_dir: Path) -> None:
    done = _run("realism", "one_takes_item", "empty_aisle", "--step", "10")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("yolox_nano_416 conf 0.3 NMS 0.45")
    assert any(line.startswith("| one_takes_item |") for line in lines)
    assert any(line.startswith("| empty_aisle | 10 | 0 | 0 | 1.000 | 0 | 0 | 1.000 |") for line in lines)


def test_size_and_fps_can_be_chosen(tmp_path: Path) -> None:
    done = _run("one_passes_by", "--size", "320x240", "--fps", "5", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert (truth["width"], truth["height"], truth["fps"]) == (320, 240, 5.0)
    video = cv2.VideoCapture(str(tmp_path / "video.mp4"))
    assert (video.get(cv2.CAP_PROP_FRAME_WIDTH), video.get(cv2.CAP_PROP_FPS)) == (320.0, 5.0)
    # synthetic:one_passes_by would play at 640x480 and 10 fps: the config names the rendered video instead
    assert load_config(tmp_path / "edge_config.yaml").cameras[0].source == "video.mp4"
