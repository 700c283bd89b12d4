"""`shelfsight run-offline SOURCE --config FILE --out DIR`: one camera's video -> events, in one process."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from edge_config import ConfigError, load_config
from edge_config.checks import absolute_model_ref
from models.registry import ModelNotFoundError, resolve_model
from pipeline.cli.options import ModelsDirOption, fail, load_detector
from pipeline.offline import OfflineRun, run_offline
from vision.detector.onnx import DetectorSettings
from vision.tracking.bytetrack import ByteTracker, TrackerSettings
from vision.tracking.ids import IdCounter
from vision.tracking.reid import OnnxReid
from vision.tracking.relink import FragmentRelinker, RelinkSettings
from vision.video import open_video

TRACKER_LOW_SCORE = 0.1  # the detector keeps weak boxes: the tracker's second association stage uses them


def parse_start(value: str | None, source: Path) -> float:
    """Epoch seconds of the first frame: a number, an ISO-8601 time, or (None) the file's mtime minus its length."""
    if value is None:
        capture, info = open_video(source)
        capture.release()
        length_s = info.frame_count / info.fps if info.fps else 0.0
        return source.stat().st_mtime - length_s
    try:
        return float(value)
    except ValueError:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def run_offline_cmd(
    source: Annotated[Path, typer.Argument(help="Video file of one camera.", exists=True, dir_okay=False)],
    config: Annotated[Path, typer.Option(help="The edge config with this camera's zones.", exists=True)],
    out: Annotated[Path, typer.Option(help="Folder for events.jsonl, tracks.txt, summary.json.")] = Path(
        "runs/offline"
    ),
    camera: Annotated[str | None, typer.Option(help="Camera id in the config [default: the first].")] = None,
    start_time: Annotated[
        str | None, typer.Option(help="UTC time of the first frame: epoch seconds or ISO-8601 [default: file mtime].")
    ] = None,
    models_dir: ModelsDirOption = None,
    reid: Annotated[bool, typer.Option(help="Re-link occluded shoppers by appearance (ReID model).")] = True,
    batch: Annotated[int, typer.Option(min=1, help="Frames per inference call.")] = 4,
) -> None:
    """Decode -> detect -> track -> events; writes the events as JSON lines in time order."""
    try:
        edge = load_config(config)
    except ConfigError as exc:
        fail(exc, code=2)
    chosen = edge.cameras[0] if camera is None else next((c for c in edge.cameras if c.id == camera), None)
    if chosen is None:
        fail(f"camera {camera!r} is not in {config}; cameras: {', '.join(c.id for c in edge.cameras)}", code=2)
    settings = chosen.detector
    detector = load_detector(
        absolute_model_ref(chosen.model, config_dir=config.parent),
        models_dir,
        DetectorSettings(
            conf_threshold=min(settings.conf_threshold, TRACKER_LOW_SCORE), nms_iou=settings.nms_iou_threshold,
            classes=tuple(settings.class_ids), max_batch=batch,
        ),
    )  # fmt: skip
    appearance = None
    if reid:
        try:
            appearance = OnnxReid(resolve_model("reid_retail_0287", models_dir))
        except ModelNotFoundError as exc:
            fail(exc, code=2)
    high = max(settings.conf_threshold, TRACKER_LOW_SCORE)
    tracker = ByteTracker(
        TrackerSettings(high_confidence_threshold=high, track_activation_threshold=high),
        id_counter=IdCounter(), camera_id=chosen.id, relinker=FragmentRelinker(RelinkSettings(), appearance),
    )  # fmt: skip
    run = OfflineRun(
        source=source, config=edge, camera=chosen, detector=detector, tracker=tracker, out_dir=out,
        start_epoch=parse_start(start_time, source), batch=batch,
    )  # fmt: skip
    result = run_offline(run)
    typer.echo(
        json.dumps(
            {
                "frames": result.frames,
                "events": result.events,
                "pass_bys": result.pass_bys,
                "events_path": str(result.events_path),
                "tracks_path": str(result.tracks_path),
                "seconds": round(result.seconds, 2),
            }
        )
    )
