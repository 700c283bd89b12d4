"""Does a real pose model find the synthetic shoppers' wrists where the truth says they are?

BlazePose GHUM full (`pose/blazepose_landmark_full.onnx`, MediaPipe's landmark model) runs on a crop around
each true box (the production recipe: the box's top raised by 15 % of its height, because raised arms leave a
detector's box; a square of 1.25 x the larger side centred on that box, warped to 256 x 256). A wrist is
found ("either side") when one of the model's wrists (landmarks 15 and 16) lies within 0.1 x the box height of
the true wrist: pose models take a person seen from behind for one seen from the front and swap left and
right, which a reach detector does not care about; "same side" asks for the wrist of the person's own side,
"confident" for a found wrist the model also scores visible (>= 0.5). Counted: arms whose wrist the truth
marks visible, of shoppers at least 50 % visible; reaching and hanging arms apart; per view, clean and with
the camera's faults (random scenarios, every shopper stopping and reaching, every ``--step``-th frame), all
with jointed arms (`Scenario.arms`; ``--arms simple`` measures the original ones).

    python -m bench.bench_wrist_truth     # writes bench/results/wrist_truth.json and its table in bench/README.md
"""

from __future__ import annotations

import argparse
import json
import platform
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, get_args

import cv2
import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from bench.report import machine_facts, write_section
from shelfsight.models.registry import models_folder
from shelfsight.vision.synthetic.random_scenario import random_scenario
from shelfsight.vision.synthetic.render import RenderedFrame, Renderer
from shelfsight.vision.synthetic.scenario import ArmStyle, CrowdSpec, ViewKind
from shelfsight.vision.synthetic.story import build_story

MODEL: Final = "pose/blazepose_landmark_full.onnx"
INPUT: Final = 256
WRISTS: Final = (15, 16)
"""BlazePose landmark rows of the left and right wrist."""

RAISE_TOP: Final = 0.15
SQUARE: Final = 1.25
NEAR: Final = 0.1
"""A wrist is found within this share of the shopper's box height."""

MIN_VISIBILITY: Final = 0.5
SCORE: Final = 0.5
"""Landmark visibility (after the sigmoid) for the "confident" column."""

CROWD: Final = CrowdSpec(arrivals_per_min=8.0, window_s=40.0, stop_share=1.0, reach_share=1.0, take_share=0.5)
"""Everyone stops and reaches: many reaching frames per rendered second."""


@dataclass
class Tally:
    """Arms looked at and wrists found."""

    arms: int = 0
    found: int = 0
    either: int = 0
    confident: int = 0

    def add(self, found: bool, either: bool, confident: bool) -> None:
        self.arms += 1
        self.found += found
        self.either += either
        self.confident += confident

    def share(self, count: int) -> float:
        return count / self.arms if self.arms else float("nan")

    def row(self) -> dict[str, Any]:
        return {
            "arms": self.arms,
            "recall_either_side": round(self.share(self.either), 3),
            "recall": round(self.share(self.found), 3),
            "recall_confident": round(self.share(self.confident), 3),
        }


@dataclass
class Result:
    """Tallies of one view and condition."""

    reaching: Tally = field(default_factory=Tally)
    hanging: Tally = field(default_factory=Tally)


class BlazePose:
    """The landmark model on one person crop at a time, one thread."""

    def __init__(self) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = ort.InferenceSession(str(models_folder() / MODEL), options, providers=["CPUExecutionProvider"])

    def wrists(self, image: npt.NDArray[np.uint8], box: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        """(2, 3) left and right wrist (x, y in frame pixels, visibility 0..1) of the person in ``box``."""
        x1, y1, x2, y2 = (float(v) for v in box)
        y1 -= RAISE_TOP * (y2 - y1)
        side = SQUARE * max(x2 - x1, y2 - y1)
        cx, cy = (x1 + x2) / 2.0, (y1 + y2) / 2.0
        scale = INPUT / side
        to_crop = np.array([[scale, 0.0, INPUT / 2.0 - scale * cx], [0.0, scale, INPUT / 2.0 - scale * cy]])
        crop = cv2.warpAffine(image, to_crop, (INPUT, INPUT), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
        blob = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB).astype(np.float32)[None] / 255.0
        landmarks = np.asarray(self.session.run(["Identity"], {"input_1": blob})[0], np.float64).reshape(39, 5)
        out = np.zeros((2, 3))
        for i, row in enumerate(WRISTS):
            x, y, _, visibility, _ = landmarks[row]
            out[i] = (cx + (x - INPUT / 2.0) / scale, cy + (y - INPUT / 2.0) / scale, 1.0 / (1.0 + np.exp(-visibility)))
        return out


def score_frame(frame: RenderedFrame, model: BlazePose, result: Result) -> None:
    """Run the model on every shopper of a frame and tally their visible wrists."""
    truth, arms = frame.truth, frame.truth.arms
    if arms is None:
        raise ValueError("frames need arm truth")
    for i in range(len(truth.shopper_ids)):
        if truth.visibility[i] < MIN_VISIBILITY or not arms.visible[i].any():
            continue
        predicted = model.wrists(frame.image, truth.boxes[i])
        height = float(truth.boxes[i, 3] - truth.boxes[i, 1])
        for side in (0, 1):
            if not arms.visible[i, side]:
                continue
            distances = np.hypot(*(predicted[:, :2] - arms.wrists[i, side]).T)
            nearest = int(np.argmin(distances))
            either = bool(distances[nearest] <= NEAR * height)
            tally = result.reaching if arms.reaching[i, side] else result.hanging
            tally.add(bool(distances[side] <= NEAR * height), either, either and predicted[nearest, 2] >= SCORE)


def measure(view: ViewKind, clean: bool, arms: ArmStyle, seeds: list[int], step: int, model: BlazePose) -> Result:
    """Tallies over the scenarios of ``seeds`` in one view, clean or faulty."""
    result = Result()
    for seed in seeds:
        scenario = replace(random_scenario(seed, CROWD, view=view, clean=clean), arms=arms)
        renderer = Renderer(build_story(scenario))
        for frame in renderer.frames(step=step):
            score_frame(frame, model, result)
    return result


def render_table(rows: list[dict[str, Any]]) -> str:
    """The README section."""
    lines = [
        "| view | camera | reaching wrists | recall (either side) | same side | confident | hanging wrists | recall "
        "(either side) | same side |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        reach, hang = r["reaching"], r["hanging"]
        lines.append(
            f"| {r['view']} | {r['camera']} | {reach['arms']} | {reach['recall_either_side']:.3f} | "
            f"{reach['recall']:.3f} | {reach['recall_confident']:.3f} | {hang['arms']} | "
            f"{hang['recall_either_side']:.3f} | {hang['recall']:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="*", default=[8101, 8102, 8103])
    parser.add_argument("--step", type=int, default=3, help="Every n-th frame.")
    parser.add_argument("--views", nargs="*", default=list(get_args(ViewKind)))
    parser.add_argument("--arms", choices=get_args(ArmStyle), default="jointed")
    parser.add_argument("--no-write", action="store_true", help="Print only; leave bench/ files alone.")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    model = BlazePose()
    rows = []
    for view in args.views:
        for clean in (True, False):
            result = measure(view, clean, args.arms, args.seeds, args.step, model)
            row = {
                "arms": args.arms,
                "view": view,
                "camera": "clean" if clean else "faults",
                "reaching": result.reaching.row(),
                "hanging": result.hanging.row(),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    table = render_table(rows)
    print(table)
    if not args.no_write:
        facts = machine_facts() | {"onnxruntime": ort.__version__, "python": platform.python_version()}
        settings = {"seeds": args.seeds, "step": args.step, "arms": args.arms, "near": NEAR, "score": SCORE}
        out = Path(__file__).parent / "results" / "wrist_truth.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps({"machine": facts, "settings": settings, "rows": rows}, indent=2) + "\n")
        note = (
            f"BlazePose full on true boxes, {args.arms} arms, seeds {args.seeds}, frames 0, {args.step}, "
            f"{2 * args.step}, ...; found = within {NEAR} x box height; confident = also visibility >= {SCORE}."
        )
        write_section("wrist_truth", note + "\n\n" + table)


if __name__ == "__main__":
    main()
