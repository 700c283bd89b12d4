"""Where the BlazePose crop should lie, and how a keypoint's score is made, measured on a real aisle clip.

``store_aisle_reach_480x270.gif``: the woman in teal reaches into the top-right shelf from frame 12 to the end
(frame 66) and has her arm down before frame 9; the man in the hat beside her never reaches there. Hand labels:
the shelf region she reaches into (frame pixels) and those frame ranges. Person boxes come from YOLOX-Nano on each
frame. For each crop setting, model and score rule:

- raised: frames (of 55) where one of her wrists or hand points scores >= 0.5 inside the shelf region;
- false: frames where a point scores >= 0.5 inside the shelf region although nobody reaches there (her frames with
  the arm down, her head or shoulders, and any point of the man).

    python -m bench.eval_pose_crop     # writes bench/results/pose_crop.json and its table in bench/README.md
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from bench.report import machine_facts, write_section
from shelfsight.models.registry import resolve_model
from shelfsight.vision.detector.onnx import OnnxDetector
from shelfsight.vision.pose.blazepose import BlazePoseEstimator, BlazePoseSettings
from shelfsight.vision.pose.crop import CropSettings
from shelfsight.vision.pose.keypoints import BLAZEPOSE33
from shelfsight.vision.video import iter_video, open_video
from shelfsight.vision.zones import Zone

RESULTS = Path(__file__).parent / "results" / "pose_crop.json"
CLIP = "store_aisle_reach_480x270.gif"
SHELF = Zone("top-right-shelf", "shelf", np.array([[345, 0], [480, 0], [480, 100], [400, 82], [360, 68]], np.float32),
             (270, 480))  # fmt: skip
RAISED, DOWN = range(12, 67), range(9)
HANDS = [*BLAZEPOSE33.wrists, *BLAZEPOSE33.hands[0], *BLAZEPOSE33.hands[1]]
HEAD = [0, *BLAZEPOSE33.shoulders]
MIN_SCORE = 0.5
GROW_UP = (0.0, 0.15, 0.3)
SCALE = (1.25, 1.5)
RULES = {"visibility": 0.0, "visibility, presence >= 0.5": 0.5}
"""Score rules by their ``min_presence``; the pose-flag rule is applied on top of the gated one."""


def _people(detector: OnnxDetector) -> dict[int, dict[str, np.ndarray]]:
    """Per frame: the woman's and the man's YOLOX boxes (told apart by where they stand)."""
    capture, _ = open_video(Path(os.environ.get("SHELFSIGHT_FOOTAGE_DIR", "../shared/footage")) / CLIP)
    found: dict[int, dict[str, np.ndarray]] = {}
    for index, _, frame in iter_video(capture):
        boxes = detector.detect([frame])[0].xyxy
        people: dict[str, np.ndarray] = {"frame": frame}
        for box in boxes:
            if box[0] > 330 and box[1] < 120:
                people["woman"] = box
            elif box[0] > 200 and box[2] < 345:
                people["man"] = box
        found[index] = people
    return found


def _in_shelf(points: np.ndarray) -> bool:
    good = points[points[:, 2] >= MIN_SCORE]
    return bool(SHELF.contains(good[:, :2]).any()) if len(good) else False


def evaluate(people: dict[int, dict[str, Any]], model: str, grow_up: float, scale: float) -> list[dict[str, Any]]:
    """Raised-hand hits and false placements of one model and crop, under each score rule."""
    rows = []
    for rule, min_presence in RULES.items():
        settings = BlazePoseSettings(crop=CropSettings(grow_up=grow_up, scale=scale), min_presence=min_presence)
        estimator = BlazePoseEstimator(resolve_model(model), settings)
        hits = {"raised": 0, "false": 0}
        flag_hits = {"raised": 0, "false": 0}
        for index, seen in people.items():
            for who in ("woman", "man"):
                if who not in seen:
                    continue
                estimate = estimator.estimate(seen["frame"], seen[who][None])
                keypoints, flag_ok = estimate.keypoints[0], bool(estimate.pose_score[0] >= 0.5)
                if who == "woman" and index in RAISED:
                    outcome = ("raised", _in_shelf(keypoints[HANDS]))
                elif who == "woman":
                    outcome = ("false", _in_shelf(keypoints[HEAD]) or (index in DOWN and _in_shelf(keypoints)))
                else:
                    outcome = ("false", _in_shelf(keypoints))
                hits[outcome[0]] += outcome[1]
                flag_hits[outcome[0]] += outcome[1] and flag_ok
        base = {"model": model, "grow_up": grow_up, "scale": scale}
        rows.append({**base, "rule": rule, **hits})
        if min_presence == 0.5:
            rows.append({**base, "rule": f"{rule}, pose flag >= 0.5", **flag_hits})
    return rows


def render(results: dict[str, Any]) -> str:
    raised_frames = results["raised_frames"]
    lines = [
        f"`{CLIP}`: frames (of {raised_frames}) where the woman's raised wrist or hand point lands in the "
        "hand-labelled shelf region she reaches into (score >= 0.5), and false placements there (her arm down, her "
        "head or shoulders, the man beside her). Boxes from YOLOX-Nano. Defaults: grow_up 0.15, scale 1.5, "
        "visibility with presence >= 0.5.",
        "",
        "| model | grow_up | scale | score rule | raised hand found | false |",
        "|---|---|---|---|---|---|",
    ]
    for r in results["rows"]:
        lines.append(f"| {r['model']} | {r['grow_up']} | {r['scale']} | {r['rule']} | {r['raised']} | {r['false']} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    people = _people(OnnxDetector(resolve_model("yolox_nano_416")))
    raised_frames = sum(1 for index, seen in people.items() if index in RAISED and "woman" in seen)
    rows = []
    for model, grow_up, scale in itertools.product(
        ("blazepose_landmark_full", "blazepose_landmark_lite"), GROW_UP, SCALE
    ):
        for row in evaluate(people, model, grow_up, scale):
            print(json.dumps(row), flush=True)
            rows.append(row)
    results = {"machine": machine_facts(), "raised_frames": raised_frames, "rows": rows}
    table = render(results)
    print(table)
    if not args.no_write:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
        write_section("pose_crop", table)


if __name__ == "__main__":
    main()
