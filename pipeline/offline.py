"""``shelfsight run-offline``: decode -> detect -> track -> events for one camera, in one process.

The events start with ``camera_status`` online at the first frame and end with offline ("end of file") after
the last, so the aggregator knows which time the file covers.

The same stages the edge runtime runs as separate processes, run in a loop over a video file: the events
(and their ids) are the reference the edge runtime is compared with. Frames are resampled to the camera's
detect fps, and stamped ``start_epoch + position`` so events carry real UTC times.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from edge_config.camera import CameraConfig
from edge_config.store import EdgeConfig
from pipeline.camera_status import camera_status_event
from vision.detector.onnx import OnnxDetector
from vision.events.codec import to_json
from vision.events.contract import AnyEvent
from vision.events.engine import CameraEventEngine, build_zones
from vision.tracking.bytetrack import ByteTracker
from vision.tracking.mot import MotWriter
from vision.video import batched, iter_video, open_video

logger = logging.getLogger(__name__)

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class OfflineRun:
    """One offline job.

    Attributes:
        source: Video file of the camera.
        config: The edge config (zones, rules, store id).
        camera: The camera of ``config`` the video comes from.
        detector: The detector.
        tracker: A fresh tracker for this camera.
        out_dir: Folder for ``events.jsonl``, ``tracks.txt`` (MOTChallenge) and ``summary.json``.
        start_epoch: UTC epoch seconds of the video's first frame.
        batch: Frames per detector call.
    """

    source: Path
    config: EdgeConfig
    camera: CameraConfig
    detector: OnnxDetector
    tracker: ByteTracker
    out_dir: Path
    start_epoch: float
    batch: int = 4


@dataclass(frozen=True)
class OfflineResult:
    """What a run produced: frames processed, events per type, pass-bys per zone, output files, wall seconds."""

    frames: int
    events: dict[str, int]
    pass_bys: dict[str, int]
    events_path: Path
    tracks_path: Path
    seconds: float


def resample(frames: Iterator[tuple[int, float, Image]], fps: float) -> Iterator[tuple[int, float, Image]]:
    """Keep the frames that fall due at ``fps`` (position seconds), with their index in the source video
    (so track files line up with ground truth written at the source frame rate)."""
    step, due = 1.0 / fps, 0.0
    for index, position, frame in frames:
        if position + 1e-6 >= due:
            yield index, position, frame
            due = max(due + step, position + step / 2)


def run_offline(run: OfflineRun) -> OfflineResult:
    """Process the whole video; write events (JSON lines, ordered), tracks and a summary."""
    run.out_dir.mkdir(parents=True, exist_ok=True)
    capture, info = open_video(run.source)
    engine = CameraEventEngine(
        store_id=run.config.store_id,
        camera_id=run.camera.id,
        zones=build_zones(run.config, run.camera, (info.height, info.width)),
    )
    events_path, tracks_path = run.out_dir / "events.jsonl", run.out_dir / "tracks.txt"
    counts: Counter[str] = Counter()
    started, frames, last_t = time.monotonic(), 0, run.start_epoch
    total = int(info.frame_count * min(1.0, run.camera.detect_fps / info.fps)) if info.fps else None
    columns = (
        TextColumn("[bold]run-offline[/] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with events_path.open("w", encoding="utf-8") as out, tracks_path.open("w", encoding="utf-8") as mot_file:
        mot = MotWriter(mot_file)
        with Progress(*columns) as progress:
            task = progress.add_task(run.source.name, total=total)
            for batch in batched(resample(iter_video(capture), run.camera.detect_fps), run.batch):
                detections = run.detector.detect([frame for _, _, frame in batch])
                for (index, position, frame), dets in zip(batch, detections, strict=True):
                    stamped = replace(
                        dets, camera_id=run.camera.id, frame_seq=index, captured_at=run.start_epoch + position
                    )
                    if frames == 0 and index == batch[0][0]:
                        _write(out, [_status(run, "online", "stream opened", stamped.captured_at)], counts)
                    last_t = stamped.captured_at
                    tracks = run.tracker.update(stamped, frame)
                    mot.write(index + 1, tracks)
                    _write(out, engine.update(tracks, frame), counts)
                frames += len(batch)
                progress.update(task, advance=len(batch))
        _write(out, engine.flush(), counts)
        if frames:
            _write(out, [_status(run, "offline", "end of file", last_t + 1.0 / run.camera.detect_fps)], counts)
    pass_bys = dict(engine.dwell.pass_bys)
    result = OfflineResult(frames, dict(counts), pass_bys, events_path, tracks_path, time.monotonic() - started)
    summary = {"frames": frames, "events": result.events, "pass_bys": pass_bys, "seconds": round(result.seconds, 2),
               "camera_id": run.camera.id, "start_epoch": run.start_epoch}  # fmt: skip
    (run.out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    logger.info("run-offline camera=%s frames=%d events=%s", run.camera.id, frames, dict(counts))
    return result


def _status(run: OfflineRun, status: str, reason: str, ts: float) -> AnyEvent:
    return camera_status_event(
        store_id=run.config.store_id, camera_id=run.camera.id, status=status, reason=reason, ts=ts,
        fps=run.camera.detect_fps if status == "online" else None,
    )  # fmt: skip


def _write(out: IO[str], events: list[AnyEvent], counts: Counter[str]) -> None:
    for event in events:
        out.write(to_json(event) + "\n")
        counts[event.type] += 1
