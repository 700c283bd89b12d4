"""``shelfsight zones preview CONFIG --camera ID``: the camera's shopper-free picture with its zones, as a PNG."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import cv2
import typer

from shelfsight.cli.options import ModelsDirOption, fail
from shelfsight.edge_config import ConfigError, load_config
from shelfsight.models.registry import ModelNotFoundError
from shelfsight.vision.detector.layouts import UnsupportedModelError
from shelfsight.vision.video import SourceError

app = typer.Typer(help="Check a camera's zones on its picture.", no_args_is_help=True, add_completion=False)


@app.command()
def preview(
    config: Annotated[Path, typer.Argument(help="The edge config.", exists=True, dir_okay=False, show_default=False)],
    camera: Annotated[str, typer.Option(help="Camera id in the config.", show_default=False)],
    output: Annotated[Path | None, typer.Option(help="PNG to write [default: zones-<camera>.png].")] = None,
    seconds: Annotated[
        float, typer.Option(min=0.0, help="Seconds of the source to learn the picture from (more: fewer gaps).")
    ] = 5.0,
    models_dir: ModelsDirOption = None,
) -> None:
    """Write CAMERA's view with shoppers left out and its zones drawn on it, read from its own source.

    Every frame goes through the camera's detector; only pixels seen with no person box on or beside them make
    the picture, and what no frame showed free of people is a grey checkerboard. The same picture as the edge
    box's zones page, for when no edge runs.
    """
    from shelfsight.pipeline.zones_preview import zone_preview

    try:
        edge = load_config(config)
    except ConfigError as exc:
        fail(exc, code=2)
    chosen = next((c for c in edge.cameras if c.id == camera), None)
    if chosen is None:
        fail(f"camera {camera!r} is not in {config}; cameras: {', '.join(c.id for c in edge.cameras)}", code=2)
    try:
        drawn = zone_preview(edge, chosen, config_dir=config.parent, models_dir=models_dir, seconds=seconds)
    except (ModelNotFoundError, UnsupportedModelError, SourceError, ValueError) as exc:
        fail(exc, code=2)
    path = output or Path(f"zones-{camera}.png")
    if path.suffix.lower() != ".png" or not cv2.imwrite(str(path), drawn.image):
        fail(f"cannot write {path} (the file must end in .png and its folder exist)", code=2)
    height, width = drawn.image.shape[:2]
    typer.echo(
        f"wrote {path}: {width}x{height}, {len(chosen.zones)} zone(s), {drawn.frames} frame(s), "
        f"{drawn.known:.0%} of the view seen free of people"
    )
