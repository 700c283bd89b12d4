"""Run detector + tracker over a video file: MOTChallenge results plus an annotated copy with track ids.

Tracking only (no zones, no events), so it drives the tracker itself, on detections stamped as every runner
stamps them (`shelfsight.pipeline.camera_pipeline.stamp_detections`).

The side effects (decoding, writing files, progress) live here; the detector and tracker are pure.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from shelfsight.pipeline.camera_pipeline import stamp_detections
from shelfsight.vision.detector.onnx import OnnxDetector
from shelfsight.vision.draw import draw_detections
from shelfsight.vision.privacy import blur_heads
from shelfsight.vision.tracking.bytetrack import ByteTracker, TrackerSettings
from shelfsight.vision.tracking.ids import IdCounter
from shelfsight.vision.tracking.mot import MotWriter
from shelfsight.vision.tracking.reid import AppearanceModel
from shelfsight.vision.tracking.relink import FragmentRelinker, RelinkSettings
from shelfsight.vision.video import batched, iter_video, open_video

logger = logging.getLogger(__name__)

Image = npt.NDArray[np.uint8]
FALLBACK_FPS = 10.0


@dataclass(frozen=True)
class TrackRun:
    """One `shelfsight track` job.

    Attributes:
        source: Video file.
        out_dir: Folder for ``<stem>.mot.txt`` and ``<stem>.tracked.mp4``.
        detector: The detector (its confidence threshold should be at most the tracker's low threshold).
        tracker: Tracker settings.
        relink: Fragment re-linking settings, or None to switch re-linking off.
        reid: Appearance model for re-linking, or None for motion-only re-linking.
        camera_id: Camera name put on the frames.
        batch: Frames per detector call.
        annotate: Also write the annotated video.
        blur_heads: Pixelate people's heads in the annotated video (`shelfsight.vision.privacy`).
    """

    source: Path
    out_dir: Path
    detector: OnnxDetector
    tracker: TrackerSettings
    relink: RelinkSettings | None = None
    reid: AppearanceModel | None = None
    camera_id: str = "file"
    batch: int = 4
    annotate: bool = True
    blur_heads: bool = True


@dataclass(frozen=True)
class TrackResult:
    """What a run wrote and saw.

    Attributes:
        frames: Frames decoded and tracked.
        boxes: Track boxes written (rows of the MOT file).
        distinct_ids: Different track ids reported.
        fragments_merged: New tracks re-linked to a lost one.
        mot_path: The MOTChallenge results file.
        annotated_path: The annotated video, if written.
        tracker_ms_median: Median tracker ``update`` time per frame, ms (ReID included when on).
        seconds: Wall time of the whole run.
    """

    frames: int
    boxes: int
    distinct_ids: int
    fragments_merged: int
    mot_path: Path
    annotated_path: Path | None
    tracker_ms_median: float
    seconds: float


def frame_times(positions: Iterator[tuple[int, float, Image]], fps: float) -> Iterator[tuple[int, float, Image]]:
    """(index, capture time s, frame): the container's position when it increases, else the previous + 1/fps.

    Some containers report no position (all zero); the tracker needs strictly increasing times to know how much
    time passed, so those fall back to the nominal frame rate.
    """
    step = 1.0 / (fps if fps > 0 else FALLBACK_FPS)
    previous: float | None = None
    for index, position, frame in positions:
        t = position if previous is None or position > previous else previous + step
        previous = t
        yield index, t, frame


def build_tracker(run: TrackRun) -> ByteTracker:
    """The tracker of one camera, with its own id counter and, when asked for, a relinker."""
    relinker = None if run.relink is None else FragmentRelinker(run.relink, run.reid)
    return ByteTracker(run.tracker, id_counter=IdCounter(), camera_id=run.camera_id, relinker=relinker)


def track_file(run: TrackRun) -> TrackResult:
    """Detect and track every frame of ``run.source``; write the MOT results and the annotated video."""
    run.out_dir.mkdir(parents=True, exist_ok=True)
    mot_path = run.out_dir / f"{run.source.stem}.mot.txt"
    annotated = run.out_dir / f"{run.source.stem}.tracked.mp4" if run.annotate else None
    capture, info = open_video(run.source)
    tracker = build_tracker(run)
    names = run.detector.layout.class_names
    writer = None
    if annotated is not None:
        fourcc = cv2.VideoWriter.fourcc(*"mp4v")
        writer = cv2.VideoWriter(str(annotated), fourcc, info.fps or FALLBACK_FPS, (info.width, info.height))
    started = time.monotonic()
    frames = boxes = 0
    ids: set[int] = set()
    update_s: list[float] = []
    columns = (
        TextColumn("[bold]track[/] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    try:
        with mot_path.open("w", encoding="utf-8") as handle, Progress(*columns, transient=False) as progress:
            mot = MotWriter(handle)
            task = progress.add_task(run.source.name, total=info.frame_count or None)
            for batch in batched(frame_times(iter_video(capture), info.fps), run.batch):
                results = run.detector.detect([frame for _, _, frame in batch])
                for (index, t, frame), dets in zip(batch, results, strict=True):
                    dets = stamp_detections(dets, run.camera_id, index, t)
                    tick = time.perf_counter()
                    tracks = tracker.update(dets, frame)
                    update_s.append(time.perf_counter() - tick)
                    mot.write(index + 1, tracks)
                    if tracks.tracker_id is not None:
                        ids.update(tracks.tracker_id.tolist())
                    if writer is not None:
                        shown = blur_heads(frame, tracks, run.detector.layout.person_class) if run.blur_heads else frame
                        writer.write(draw_detections(shown, tracks, names))
                frames += len(batch)
                progress.update(task, advance=len(batch))
            boxes = mot.rows
    finally:
        if writer is not None:
            writer.release()
    seconds = time.monotonic() - started
    median_ms = float(np.median(update_s) * 1000.0) if update_s else 0.0
    logger.info(
        "track source=%s frames=%d boxes=%d ids=%d merged=%d seconds=%.2f",
        run.source,
        frames,
        boxes,
        len(ids),
        tracker.fragments_merged,
        seconds,
    )
    return TrackResult(frames, boxes, len(ids), tracker.fragments_merged, mot_path, annotated, median_ms, seconds)
