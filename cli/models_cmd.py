"""`shelfsight models ...`: list the known models, fetch them, export Ultralytics ones."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import DownloadColumn, Progress, TransferSpeedColumn
from rich.table import Table

from shelfsight.cli.options import fail
from shelfsight.models.export import ExportUnavailableError, export_ultralytics
from shelfsight.models.fetch import FetchError, fetch_model
from shelfsight.models.registry import ModelNotFoundError, get_spec, load_manifest, models_folder, resolve_model

app = typer.Typer(help="Known models: list, fetch (with checksum), export from Ultralytics.", no_args_is_help=True)
console = Console(stderr=True, soft_wrap=True)


@app.command("list")
def list_models() -> None:
    """List the manifest with where each file is expected and whether it is present."""
    table = Table("name", "task", "input", "licence", "present", "how to get")
    folder = models_folder()
    for spec in load_manifest().values():
        present = (folder / spec.file).is_file()
        how = "fetch" if spec.urls else ("export" if spec.export else "-")
        table.add_row(
            spec.name,
            spec.task,
            "x".join(map(str, spec.input_size)),
            spec.licence,
            "yes" if present else "no",
            how,
        )
    Console().print(table)
    console.print(f"models folder: {folder}")


@app.command("path")
def model_path(name: str, models_dir: Annotated[Path | None, typer.Option()] = None) -> None:
    """Print the file path a model name resolves to (exit 1 with advice when it is missing)."""
    try:
        typer.echo(resolve_model(name, models_dir))
    except ModelNotFoundError as exc:
        fail(exc)


@app.command("fetch")
def fetch(
    name: str,
    models_dir: Annotated[Path | None, typer.Option(help="Where to put it [default: the models folder].")] = None,
    force: Annotated[bool, typer.Option(help="Download again even if present.")] = False,
) -> None:
    """Download a model and verify its sha256; says what to do where there is no internet."""
    try:
        spec = get_spec(name)
        with Progress(*Progress.get_default_columns(), DownloadColumn(), TransferSpeedColumn(), console=console) as bar:
            task = bar.add_task(name, total=spec.size_bytes)
            path = fetch_model(
                spec,
                models_dir or models_folder(),
                force=force,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except (ModelNotFoundError, FetchError) as exc:
        fail(exc)
    typer.echo(path)


@app.command("export")
def export(
    weights: Annotated[str, typer.Argument(help="yolo11n.pt, yolo11n-pose.pt, yolo26n.pt, or a model .yaml.")],
    out: Annotated[Path, typer.Option(help="Output .onnx path.")],
    imgsz: Annotated[int, typer.Option(help="Square input size in pixels.")] = 640,
    end2end: Annotated[bool | None, typer.Option(help="NMS-free [1, 300, 6] head (YOLO26 / YOLOv10).")] = None,
) -> None:
    """Export an Ultralytics YOLO model to ONNX (needs `pip install 'shelfsight[export]'`)."""
    try:
        typer.echo(export_ultralytics(weights, out, imgsz=imgsz, end2end=end2end))
    except ExportUnavailableError as exc:
        fail(exc)
