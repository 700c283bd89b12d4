"""Options and helpers shared by several `shelfsight` commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from shelfsight.models.registry import MODELS_DIR_ENV, ModelNotFoundError, resolve_model
from shelfsight.vision.detector.layouts import UnsupportedModelError
from shelfsight.vision.detector.onnx import DetectorSettings, OnnxDetector

ModelOption = Annotated[str, typer.Option(help="Manifest model name (see `shelfsight models list`) or .onnx path.")]
ModelsDirOption = Annotated[
    Path | None, typer.Option(help=f"Folder with model files [default: ${MODELS_DIR_ENV} or the user cache].")
]


def load_detector(model: str, models_dir: Path | None, settings: DetectorSettings) -> OnnxDetector:
    """Resolve a model name and build the detector, turning lookup errors into a clean exit 2."""
    try:
        return OnnxDetector(resolve_model(model, models_dir), settings)
    except (ModelNotFoundError, UnsupportedModelError, ValueError) as exc:
        fail(exc, code=2)


def fail(error: Exception | str, *, code: int = 1) -> NoReturn:
    """Print ``error: ...`` to stderr as plain, unwrapped text (it may hold commands to copy) and exit."""
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(code)
