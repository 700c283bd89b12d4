"""``shelfsight run-offline``: decode -> detect -> track -> pose -> events for one camera, in one process.

A thin driver of `shelfsight.pipeline.camera_pipeline.CameraPipeline`, as the edge's track+events stage is. The events
start with ``camera_status`` online at the first frame and end with offline ("end of file") after the last, so
the aggregator knows which time the file covers.

The same stages the edge runtime runs as separate processes, run in a loop over a video file: the events
(and their ids) are the reference the edge runtime is compared with. Frames are resampled to the camera's
detect fps, and stamped ``start_epoch + position`` so events carry real UTC times.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from shelfsight.edge_config.camera import CameraConfig
from shelfsight.edge_config.store import EdgeConfig
from shelfsight.pipeline.assembly import CameraPose
from shelfsight.pipeline.camera_pipeline import OPENED, CameraPipeline, stamp_detections
from shelfsight.pipeline.sources import OpenedSource, resample
from shelfsight.vision.detector.onnx import OnnxDetector
from shelfsight.vision.events.codec import to_json
from shelfsight.vision.events.contract import AnyEvent
from shelfsight.vision.tracking.bytetrack import ByteTracker
from shelfsight.vision.tracking.mot import MotWriter
from shelfsight.vision.video import batched

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OfflineRun:
    """One offline job.

    Attributes:
        source: The camera's frames, opened in replay mode (`shelfsight.pipeline.sources.open_source`).
        label: What to call the source in progress and logs (file name or ``synthetic:...``).
        config: The edge config (zones, rules, store id).
        camera: The camera of ``config`` the frames come from.
        detector: The detector.
        tracker: A fresh tracker for this camera.
        out_dir: Folder for ``events.jsonl``, ``tracks.txt`` (MOTChallenge) and ``summary.json``.
        batch: Frames per detector call.
        pose: The camera's pose model (`shelfsight.pipeline.assembly.build_pose`), or None.
    """

    source: OpenedSource
    label: str
    config: EdgeConfig
    camera: CameraConfig
    detector: OnnxDetector
    tracker: ByteTracker
    out_dir: Path
    batch: int = 4
    pose: CameraPose | None = None


@dataclass(frozen=True)
class OfflineResult:
    """What a run produced: frames processed, events per type, pass-bys per zone, output files, wall seconds, and
    how many poses the pose model estimated (people summed over frames)."""

    frames: int
    events: dict[str, int]
    pass_bys: dict[str, int]
    events_path: Path
    tracks_path: Path
    seconds: float
    pose_people: int = 0


def run_offline(run: OfflineRun) -> OfflineResult:
    """Process the whole source; write events (JSON lines, ordered), tracks and a summary.

    Track files number frames by their index in the source (so they line up with ground truth written at
    the source frame rate).
    """
    run.out_dir.mkdir(parents=True, exist_ok=True)
    events_path, tracks_path = run.out_dir / "events.jsonl", run.out_dir / "tracks.txt"
    counts: Counter[str] = Counter()
    started, frames, pose_people = time.monotonic(), 0, 0
    camera = CameraPipeline(config=run.config, camera=run.camera, tracker=run.tracker, pose=run.pose)
    fps = run.source.fps
    total = None
    if run.source.frame_count and fps:
        total = int(run.source.frame_count * min(1.0, run.camera.detect_fps / fps))
    columns = (
        TextColumn("[bold]run-offline[/] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    first_t: float | None = None
    with events_path.open("w", encoding="utf-8") as out, tracks_path.open("w", encoding="utf-8") as mot_file:
        mot = MotWriter(mot_file)
        with Progress(*columns) as progress:
            task = progress.add_task(run.label, total=total)
            for batch in batched(resample(run.source.frames, run.camera.detect_fps), run.batch):
                detections = run.detector.detect([item.frame.image for item in batch])
                for item, found in zip(batch, detections, strict=True):
                    frame = item.frame
                    if first_t is None:  # a replayed source opens at its first frame
                        first_t = frame.captured_at
                        _write(out, camera.capture("online", OPENED, first_t), counts)
                    step = camera.step(
                        stamp_detections(found, run.camera.id, item.index, frame.captured_at), frame.image
                    )
                    pose_people += camera.pose_cost.people
                    mot.write(item.index + 1, step.tracks)
                    _write(out, step.events, counts)
                frames += len(batch)
                progress.update(task, advance=len(batch))
        _write(out, camera.finish(), counts)
    pass_bys = dict(camera.engine.dwell.pass_bys) if camera.engine is not None else {}
    seconds = time.monotonic() - started
    result = OfflineResult(frames, dict(counts), pass_bys, events_path, tracks_path, seconds, pose_people)
    summary = {
        "frames": frames,
        "events": result.events,
        "pass_bys": pass_bys,
        "seconds": round(result.seconds, 2),
        "camera_id": run.camera.id,
        "start_epoch": first_t,
        "pose_people": pose_people,
    }
    (run.out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    logger.info("run-offline camera=%s frames=%d events=%s", run.camera.id, frames, dict(counts))
    return result


def _write(out: IO[str], events: list[AnyEvent], counts: Counter[str]) -> None:
    for event in events:
        out.write(to_json(event) + "\n")
        counts[event.type] += 1
