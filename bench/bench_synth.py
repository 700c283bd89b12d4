"""Synthetic store speed: frames rendered per second at 640x480 on one core, per library scenario.

Each scenario is rendered whole (``Renderer.render`` for every frame: shelf state, shoppers back to front with
their visibility masks, effects) with OpenCV held to one thread, ``--repeats`` times; the figure is the best
repeat (the least disturbed by other load); a last row renders busy_hour through oblique_effects' camera
(every effect on the most shoppers). "with truth" adds collecting the MOT rows (`TruthBuilder.add`),
as ``shelfsight synth`` does; video encoding is not included. Target: >= 100 frames/s, so that 8 synthetic
cameras at 5 fps (40 frames/s) cost a fraction of one core next to the detector (~15 ms a frame).

    python -m bench.bench_synth     # writes bench/results/synth.json and its table in bench/README.md
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

import cv2
import numpy as np

from bench.report import machine_facts, write_section
from vision.synthetic.library import library_names, library_scenario
from vision.synthetic.render import Renderer
from vision.synthetic.scenario import Scenario
from vision.synthetic.story import build_story
from vision.synthetic.truth import TruthBuilder

TARGET_FPS: Final = 100.0


def _timed(renderer: Renderer, with_truth: bool) -> float:
    """Seconds to render every frame of the renderer's story once."""
    builder = TruthBuilder(renderer.story) if with_truth else None
    started = time.perf_counter()
    for frame in renderer.frames():
        if builder is not None:
            builder.add(frame)
    return time.perf_counter() - started


def worst_case() -> Scenario:
    """busy_hour seen through oblique_effects' camera: the most shoppers with every effect (JPEG, lens, noise)."""
    busy = library_scenario("busy_hour")
    return replace(busy, name="busy_hour-all-effects", camera=library_scenario("oblique_effects").camera)


def bench_scenario(scenario: Scenario, repeats: int) -> dict[str, Any]:
    """Render one scenario ``repeats`` times, with and without truth collection; one results row."""
    name = scenario.name
    story = build_story(scenario)
    renderer = Renderer(story)
    on_screen = [len(f.truth.shopper_ids) for f in renderer.frames(step=10)]
    render_s = min(_timed(renderer, with_truth=False) for _ in range(repeats))
    truth_s = min(_timed(renderer, with_truth=True) for _ in range(repeats))
    effects = story.scenario.camera.effects
    return {
        "scenario": name,
        "view": story.scenario.camera.view,
        "effects": Renderer(story).effects.active,
        "jpeg": effects.jpeg_quality is not None,
        "frames": story.frame_count,
        "shoppers": len(story.shoppers),
        "mean_on_screen": round(float(np.mean(on_screen)), 2),
        "max_on_screen": int(max(on_screen)),
        "render_fps": round(story.frame_count / render_s, 1),
        "with_truth_fps": round(story.frame_count / truth_s, 1),
        "ms_per_frame": round(1000.0 * truth_s / story.frame_count, 2),
    }


def render_table(rows: list[dict[str, Any]], repeats: int) -> str:
    """The README section: one row per scenario."""
    lines = [
        f"640x480, `cv2.setNumThreads(1)`, best of {repeats} whole-scenario renders. Target: >= {TARGET_FPS:g} "
        "frames/s on one core (8 synthetic cameras at 5 fps need 40).",
        "",
        "| scenario | view | effects | frames | shoppers (mean / max on screen) | render frames/s | "
        "with truth frames/s | ms per frame |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        effects = ("yes (JPEG)" if r["jpeg"] else "yes") if r["effects"] else "no"
        lines.append(
            f"| {r['scenario']} | {r['view']} | {effects} | {r['frames']} | {r['mean_on_screen']} / "
            f"{r['max_on_screen']} | {r['render_fps']} | {r['with_truth_fps']} | {r['ms_per_frame']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scenarios", nargs="*", default=None, help="Library names [default: all].")
    parser.add_argument("--no-write", action="store_true", help="Print only; leave bench/ files alone.")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    rows = []
    scenarios = [library_scenario(name) for name in args.scenarios or library_names()]
    for scenario in [*scenarios, *([] if args.scenarios else [worst_case()])]:
        rows.append(bench_scenario(scenario, args.repeats))
        print(json.dumps(rows[-1]), flush=True)
    table = render_table(rows, args.repeats)
    print(table)
    if not args.no_write:
        facts = machine_facts() | {"opencv": cv2.__version__, "python": platform.python_version(), "cv2_threads": "1"}
        out = Path(__file__).parent / "results" / "synth.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps({"machine": facts, "rows": rows}, indent=2) + "\n")
        write_section("synth", table + f"\n\nMachine: {facts}")


if __name__ == "__main__":
    main()
