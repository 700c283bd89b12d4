"""Export Ultralytics YOLO models to ONNX (needs the optional ``export`` extra, which pulls in torch).

Users with internet export pretrained weights (``yolo11n.pt``); tests build models from a yaml with random
weights, which exercises every output layout without any download.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


class ExportUnavailableError(RuntimeError):
    """ultralytics is not installed; the message says how to install it."""


def export_ultralytics(
    weights_or_yaml: str,
    out_path: Path,
    *,
    imgsz: int = 640,
    end2end: bool | None = None,
    batch: int = 1,
    dynamic: bool = False,
) -> Path:
    """Build or load a YOLO model with ultralytics and export it to ONNX at ``out_path``.

    Args:
        weights_or_yaml: ``yolo11n.pt`` (pretrained; downloads if absent) or ``yolo11n.yaml`` (random weights,
            no download).
        out_path: Where the .onnx file goes.
        imgsz: Square input size in pixels.
        end2end: Ask for the NMS-free ``[1, 300, 6]`` head (YOLO26 / YOLOv10); None keeps the model default.
        batch: Fixed batch size of the exported graph.
        dynamic: Export a dynamic batch and image size instead.

    Returns:
        ``out_path``.
    """
    try:
        from ultralytics import YOLO  # type: ignore[attr-defined]
    except ImportError as exc:
        raise ExportUnavailableError(
            "ultralytics is not installed; install the export extra: pip install 'shelfsight[export]'"
        ) from exc
    os.environ.setdefault("YOLO_OFFLINE", "1")
    kwargs: dict[str, Any] = {"format": "onnx", "imgsz": imgsz, "batch": batch, "dynamic": dynamic}
    if end2end is not None:
        kwargs["end2end"] = end2end
    out_path.parent.mkdir(parents=True, exist_ok=True)
    workdir = out_path.parent / f".export-{out_path.stem}"
    workdir.mkdir(exist_ok=True)
    cwd = Path.cwd()
    try:
        os.chdir(workdir)  # ultralytics writes next to the weights / into the working directory
        exported = Path(YOLO(weights_or_yaml).export(**kwargs))
        shutil.move(exported.resolve(), out_path)
    finally:
        os.chdir(cwd)
        shutil.rmtree(workdir, ignore_errors=True)
    logger.info("exported %s to %s", weights_or_yaml, out_path)
    return out_path
