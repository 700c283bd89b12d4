"""`shelfsight synth ...`: render synthetic-store scenarios with exact ground truth.

shelfsight synth list                              the scenario library
shelfsight synth one_takes_item --out DIR          a library scenario (same as `synth render ...`)
shelfsight synth random --seed 7 --out DIR         a random crowd from a seed, through a real camera's faults
                                                   (--clean: a perfect camera; --arrivals-per-min ...)
shelfsight synth path/to/scenario.yaml --out DIR   a scenario file
shelfsight synth realism [NAME ...] --step 5       how well the real detector sees the shoppers
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, get_args

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from typer.core import TyperGroup

from shelfsight.cli.options import ModelOption, ModelsDirOption, fail, load_detector
from shelfsight.edge_config import ConfigError, load_config
from shelfsight.vision.detector.onnx import DetectorSettings
from shelfsight.vision.synthetic.library import library_names, library_scenario, resolve_scenario
from shelfsight.vision.synthetic.random_scenario import random_scenario
from shelfsight.vision.synthetic.realism import RealismCounts, measure_realism
from shelfsight.vision.synthetic.render import Renderer
from shelfsight.vision.synthetic.scenario import CrowdSpec, Scenario, ScenarioError, ViewKind
from shelfsight.vision.synthetic.story import Story, build_story
from shelfsight.vision.synthetic.writer import write_outputs

console = Console(stderr=True, soft_wrap=True)


class _RenderByDefault(TyperGroup):
    """`synth NAME ...` means `synth render NAME ...` when NAME is not a sub-command."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # Any: typer vendors click's Context
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["render", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_RenderByDefault,
    help="Synthetic store: scenarios rendered to video with exact ground truth (MOT boxes, true events).",
    no_args_is_help=True,
)


@app.command("list")
def list_scenarios() -> None:
    """List the scenario library: name, length, shoppers and what happens."""
    table = Table("name", "view", "seconds", "shoppers", "description")
    for name in library_names():
        story = build_story(library_scenario(name))
        scenario = story.scenario
        seconds = f"{story.frame_count / story.fps:.1f}"
        table.add_row(name, scenario.camera.view, seconds, str(len(story.shoppers)), scenario.description)
    Console(soft_wrap=True).print(table)
    console.print("also: random --seed N (a random crowd), or a scenario YAML file")


def _scenario(
    ref: str, seed: int | None, crowd: CrowdSpec, view: ViewKind | None, clean: bool
) -> tuple[Scenario, bool]:
    """The scenario to render and whether ``synthetic:<name>`` can reproduce it (else the config names the video)."""
    if ref == "random":
        if seed is None:
            fail("synth random needs --seed N (the same seed gives the same scenario)", code=2)
        default = crowd == CrowdSpec() and view is None and not clean
        return random_scenario(seed, crowd, view=view, clean=clean), default
    scenario = resolve_scenario(ref)
    named = ref in library_names() or ref.startswith("random-")
    if seed is not None and seed != scenario.seed:
        return replace(scenario, seed=seed), False
    return scenario, named


def _render_with_progress(story: Story, out: Path, source: str, video: bool) -> None:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(f"rendering {story.scenario.name}", total=story.frame_count)
        write_outputs(story, out, source=source, video=video, progress=lambda done: bar.update(task, completed=done))


@app.command("render")
def render(
    scenario: Annotated[str, typer.Argument(help="Library name, 'random', 'random-SEED', or a scenario .yaml file.")],
    out: Annotated[Path, typer.Option(help="Folder for video.mp4, edge_config.yaml, gt/gt.txt, events.jsonl, ...")],
    seed: Annotated[
        int | None, typer.Option(help="Seed (required for 'random'; re-seeds looks and stock otherwise).")
    ] = None,
    arrivals_per_min: Annotated[
        float, typer.Option(min=0, help="random: shoppers per minute.")
    ] = CrowdSpec.arrivals_per_min,
    window_s: Annotated[
        float, typer.Option(min=0, help="random: seconds during which shoppers arrive.")
    ] = CrowdSpec.window_s,
    stop_share: Annotated[
        float, typer.Option(min=0, max=1, help="random: share who stop at a shelf.")
    ] = CrowdSpec.stop_share,
    reach_share: Annotated[
        float, typer.Option(min=0, max=1, help="random: share of stoppers who reach.")
    ] = CrowdSpec.reach_share,
    take_share: Annotated[
        float, typer.Option(min=0, max=1, help="random: share of reaches that take.")
    ] = CrowdSpec.take_share,
    return_share: Annotated[
        float, typer.Option(min=0, max=1, help="random: share of takes put back.")
    ] = CrowdSpec.return_share,
    view: Annotated[
        str | None,
        typer.Option(help="random: eye_level, high_oblique or overhead_fisheye [default: drawn from the seed]."),
    ] = None,
    clean: Annotated[
        bool,
        typer.Option(
            "--clean",
            help="random: a perfect camera (still, no H.264, no noise), plain packaging, nobody in place at the start.",
        ),
    ] = False,
    size: Annotated[str | None, typer.Option(help="Frame size WIDTHxHEIGHT [default: the scenario's].")] = None,
    fps: Annotated[float | None, typer.Option(min=1, max=60, help="Frame rate [default: the scenario's].")] = None,
    video: Annotated[bool, typer.Option(help="Write video.mp4 (truth is written either way).")] = True,
) -> None:
    """Render a scenario: the video, its edge config, MOT ground truth, true events and a truth summary."""
    views: tuple[ViewKind, ...] = get_args(ViewKind)
    if view is not None and view not in views:
        fail(f"--view must be one of {', '.join(views)}, got {view!r}", code=2)
    view_kind = next((v for v in views if v == view), None)
    crowd = CrowdSpec(0, arrivals_per_min, window_s, stop_share, reach_share, take_share, return_share)
    started = time.monotonic()
    try:
        chosen, named = _scenario(scenario, seed, crowd, view_kind, clean)
        if size is not None or fps is not None:
            chosen, named = _with_camera(chosen, size, fps), False
        story = build_story(chosen)
    except (KeyError, ScenarioError) as exc:
        fail(exc.args[0] if isinstance(exc, KeyError) else exc, code=2)
    source = f"synthetic:{chosen.name}" if named else "video.mp4"
    if not named and not video:
        console.print("[yellow]warning:[/] the edge config names video.mp4, which --no-video did not write")
    _render_with_progress(story, out, source, video)
    _report(story, out, source, started)


def _with_camera(scenario: Scenario, size: str | None, fps: float | None) -> Scenario:
    """The scenario with another frame size (``WIDTHxHEIGHT``) and/or frame rate."""
    camera = scenario.camera
    if size is not None:
        width, _, height = size.lower().partition("x")
        if not (width.isdigit() and height.isdigit()):
            fail(f"--size must be WIDTHxHEIGHT, e.g. 1280x720, got {size!r}", code=2)
        camera = replace(camera, width=int(width), height=int(height))
    if fps is not None:
        camera = replace(camera, fps=fps)
    return replace(scenario, camera=camera)


def _report(story: Story, out: Path, source: str, started: float) -> None:
    """Check that the written edge config loads, then print where things went and the summary line."""
    try:
        load_config(out / "edge_config.yaml")
    except ConfigError as exc:
        fail(f"the generated edge config does not load (a bug): {exc}")
    counts = json.loads((out / "truth.json").read_text(encoding="utf-8"))["counts"]
    console.print(f"[green]wrote[/] {out}: {story.frame_count} frames, {counts['shoppers']} shoppers")
    summary = {
        "scenario": story.scenario.name,
        "out": str(out),
        "frames": story.frame_count,
        "source": source,
        "counts": counts,
        "seconds": round(time.monotonic() - started, 2),
    }
    typer.echo(json.dumps(summary))


def _ordinal_suffix(n: int) -> str:
    if n % 100 in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def realism_table(rows: list[tuple[str, RealismCounts]]) -> str:
    """The per-scenario realism figures as a Markdown table (with an all-scenarios row)."""
    lines = [
        "| scenario | frames | shoppers >= 70% visible | found | recall | detections | false positives | precision |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, c in [*rows, ("**all**", sum((c for _, c in rows), RealismCounts()))]:
        lines.append(
            f"| {name} | {c.frames} | {c.visible} | {c.found} | {c.recall:.3f} | {c.detections} | "
            f"{c.false_positives} | {c.precision:.3f} |"
        )
    return "\n".join(lines)


@app.command("realism")
def realism(
    scenarios: Annotated[list[str] | None, typer.Argument(help="Scenarios to measure [default: the library].")] = None,
    step: Annotated[int, typer.Option(min=1, help="Evaluate every n-th frame.")] = 5,
    model: ModelOption = "yolox_nano_416",
    models_dir: ModelsDirOption = None,
    conf: Annotated[float, typer.Option(min=0.0, max=1.0, help="Detector confidence threshold.")] = 0.3,
    iou: Annotated[float, typer.Option(min=0.0, max=1.0, help="Detector NMS IoU threshold.")] = 0.45,
) -> None:
    """Run the real detector over rendered scenarios: recall of shoppers >= 70% visible, precision (IoU 0.5)."""
    detector = load_detector(model, models_dir, DetectorSettings(conf_threshold=conf, nms_iou=iou))
    rows: list[tuple[str, RealismCounts]] = []
    for name in scenarios or library_names():
        try:
            story = build_story(resolve_scenario(name))
        except (KeyError, ScenarioError) as exc:
            fail(exc.args[0] if isinstance(exc, KeyError) else exc, code=2)
        rows.append((name, measure_realism(Renderer(story), detector.detect, step=step)))
        console.print(f"measured {name}")
    every = "every frame" if step == 1 else f"every {step}{_ordinal_suffix(step)} frame"
    typer.echo(f"{model} conf {conf} NMS {iou}, {every}, match IoU 0.5")
    typer.echo(realism_table(rows))
