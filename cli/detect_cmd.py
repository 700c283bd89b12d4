"""`shelfsight detect SOURCE`: run the person detector on an image or video file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from shelfsight.cli.options import ModelOption, ModelsDirOption, load_detector
from shelfsight.pipeline.detect_file import DetectRun, detect_file
from shelfsight.vision.detector.onnx import DetectorSettings

console = Console(stderr=True, soft_wrap=True)


def detect(
    source: Annotated[Path, typer.Argument(help="Image or video file.", exists=True, dir_okay=False)],
    model: ModelOption = "yolox_nano_416",
    models_dir: ModelsDirOption = None,
    out: Annotated[Path, typer.Option(help="Folder for the annotated copy and the JSON lines.")] = Path("runs/detect"),
    conf: Annotated[float, typer.Option(min=0.0, max=1.0, help="Confidence threshold.")] = 0.3,
    iou: Annotated[float, typer.Option(min=0.0, max=1.0, help="NMS IoU threshold.")] = 0.45,
    classes: Annotated[list[int] | None, typer.Option("--class", help="Class index to keep (repeat).")] = None,
    all_classes: Annotated[bool, typer.Option(help="Keep every class, not only people.")] = False,
    batch: Annotated[int, typer.Option(min=1, help="Frames per inference call.")] = 4,
    threads: Annotated[int, typer.Option(min=0, help="ONNX Runtime intra-op threads (0 = all cores).")] = 1,
    annotate: Annotated[bool, typer.Option(help="Write the annotated image/video.")] = True,
    blur_heads: Annotated[
        bool, typer.Option(help="Pixelate people's heads in the annotated copy (privacy; off only for debugging).")
    ] = True,
) -> None:
    """Detect people in an image or video; write an annotated copy and the boxes as JSON lines."""
    kept = None if all_classes else tuple(classes or [0])
    settings = DetectorSettings(
        conf_threshold=conf, nms_iou=iou, classes=kept, max_batch=batch, intra_op_threads=threads
    )
    detector = load_detector(model, models_dir, settings)
    result = detect_file(
        DetectRun(source=source, out_dir=out, detector=detector, batch=batch, annotate=annotate, blur_heads=blur_heads)
    )
    summary = {
        "source": str(source),
        "frames": result.frames,
        "detections": result.detections,
        "annotated": str(result.annotated_path) if result.annotated_path else None,
        "jsonl": str(result.jsonl_path),
        "seconds": round(result.seconds, 2),
    }
    console.print(f"[green]annotated:[/] {summary['annotated']}")
    console.print(f"[green]boxes (JSON lines):[/] {summary['jsonl']}")
    typer.echo(json.dumps(summary))
