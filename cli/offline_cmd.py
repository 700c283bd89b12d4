"""`shelfsight run-offline [SOURCE] --config FILE --out DIR`: one camera's frames -> events, in one process."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from shelfsight.cli.options import ModelsDirOption, fail
from shelfsight.edge_config import ConfigError, load_config
from shelfsight.models.registry import ModelNotFoundError
from shelfsight.pipeline.assembly import build_detector, build_pose, build_tracker, detector_key
from shelfsight.pipeline.offline import OfflineRun, run_offline
from shelfsight.pipeline.sources import open_source
from shelfsight.vision.detector.layouts import UnsupportedModelError
from shelfsight.vision.video import SourceError


def parse_start(value: str | None) -> float | None:
    """Epoch seconds of the first frame from a number or an ISO-8601 time; None keeps the source's default."""
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def run_offline_cmd(
    source: Annotated[
        str | None,
        typer.Argument(help="Video file, or synthetic:<scenario> [default: the camera's source in the config]."),
    ] = None,
    config: Annotated[Path, typer.Option(help="The edge config with this camera's zones.", exists=True)] = Path(
        "edge_config/demo.yaml"
    ),
    out: Annotated[Path, typer.Option(help="Folder for events.jsonl, tracks.txt, summary.json.")] = Path(
        "runs/offline"
    ),
    camera: Annotated[str | None, typer.Option(help="Camera id in the config [default: the first].")] = None,
    start_time: Annotated[
        str | None,
        typer.Option(
            help="UTC time of the first frame: epoch seconds or ISO-8601 "
            "[default: file mtime minus its length; a synthetic scenario's own start]."
        ),
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
    if source is not None:
        given = source if source.startswith("synthetic:") else str(Path(source).absolute())
        chosen = chosen.model_copy(update={"source": given})
    try:
        settings = edge.tracker_for(chosen.id)
        key = detector_key(chosen, settings, config_dir=config.parent, models_dir=models_dir, max_batch=batch)
        detector = build_detector(key)
        tracker = build_tracker(chosen, settings, models_dir=models_dir, reid=reid)
        pose = build_pose(chosen, config_dir=config.parent, models_dir=models_dir)
        opened = open_source(chosen, config_dir=config.parent, replay=True, start_epoch=parse_start(start_time))
    except (ModelNotFoundError, UnsupportedModelError, SourceError, ValueError) as exc:
        fail(exc, code=2)
    run = OfflineRun(
        source=opened,
        label=str(chosen.source),
        config=edge,
        camera=chosen,
        detector=detector,
        tracker=tracker,
        out_dir=out,
        batch=batch,
        pose=pose,
    )
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
                "pose_people": result.pose_people,
            }
        )
    )
