"""`shelfsight track SOURCE`: detect and track people in a video; MOT results and an annotated copy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from shelfsight.cli.options import ModelOption, ModelsDirOption, fail, load_detector
from shelfsight.models.registry import ModelNotFoundError, resolve_model
from shelfsight.pipeline.track_file import TrackRun, track_file
from shelfsight.vision.detector.onnx import DetectorSettings
from shelfsight.vision.tracking.bytetrack import TrackerSettings
from shelfsight.vision.tracking.reid import OnnxReid
from shelfsight.vision.tracking.relink import RelinkSettings

console = Console(stderr=True, soft_wrap=True)


def track(
    source: Annotated[Path, typer.Argument(help="Video file.", exists=True, dir_okay=False)],
    model: ModelOption = "yolox_nano_416",
    models_dir: ModelsDirOption = None,
    out: Annotated[Path, typer.Option(help="Folder for the MOT results and the annotated video.")] = Path("runs/track"),
    conf: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Detector threshold; keep it low, the tracker uses weak boxes.")
    ] = 0.1,
    iou: Annotated[float, typer.Option(min=0.0, max=1.0, help="NMS IoU threshold.")] = 0.45,
    high: Annotated[float, typer.Option(min=0.0, max=1.0, help="Score of a confident box (stage 1).")] = 0.5,
    lost_buffer_s: Annotated[float, typer.Option(min=0.0, help="Seconds a lost track stays matchable.")] = 1.5,
    relink: Annotated[bool, typer.Option(help="Re-link fragments of a shopper hidden for a few seconds.")] = True,
    relink_window_s: Annotated[float, typer.Option(min=0.0, help="Seconds a lost track can be re-linked.")] = 6.0,
    reid: Annotated[bool, typer.Option(help="Compare appearance (ReID model) when re-linking.")] = True,
    reid_model: Annotated[str, typer.Option(help="ReID model name or .onnx path.")] = "reid_retail_0287",
    camera: Annotated[str, typer.Option(help="Camera id put on the frames.")] = "file",
    batch: Annotated[int, typer.Option(min=1, help="Frames per inference call.")] = 4,
    threads: Annotated[int, typer.Option(min=0, help="ONNX Runtime intra-op threads (0 = all cores).")] = 1,
    annotate: Annotated[bool, typer.Option(help="Write the annotated video.")] = True,
    blur_heads: Annotated[
        bool, typer.Option(help="Pixelate people's heads in the annotated copy (privacy; off only for debugging).")
    ] = True,
) -> None:
    """Track people in a video: write <stem>.mot.txt (MOTChallenge) and <stem>.tracked.mp4 with ids."""
    try:
        tracker = TrackerSettings(
            high_confidence_threshold=high, track_activation_threshold=high, lost_track_buffer_s=lost_buffer_s
        )
        relink_settings = RelinkSettings(relink_window_s=relink_window_s) if relink else None
    except ValueError as exc:
        fail(exc, code=2)
    detector = load_detector(
        model, models_dir, DetectorSettings(conf_threshold=conf, nms_iou=iou, max_batch=batch, intra_op_threads=threads)
    )
    appearance = None
    if relink and reid:
        try:
            appearance = OnnxReid(resolve_model(reid_model, models_dir), intra_op_threads=max(threads, 1))
        except (ModelNotFoundError, ValueError) as exc:
            fail(exc, code=2)
    run = TrackRun(
        source=source,
        out_dir=out,
        detector=detector,
        tracker=tracker,
        relink=relink_settings,
        reid=appearance,
        camera_id=camera,
        batch=batch,
        annotate=annotate,
        blur_heads=blur_heads,
    )
    result = track_file(run)
    summary = {
        "source": str(source),
        "frames": result.frames,
        "boxes": result.boxes,
        "distinct_ids": result.distinct_ids,
        "fragments_merged": result.fragments_merged,
        "mot": str(result.mot_path),
        "annotated": str(result.annotated_path) if result.annotated_path else None,
        "tracker_ms_median": round(result.tracker_ms_median, 3),
        "seconds": round(result.seconds, 2),
    }
    console.print(f"[green]tracks (MOTChallenge):[/] {summary['mot']}")
    console.print(f"[green]annotated:[/] {summary['annotated']}")
    typer.echo(json.dumps(summary))
