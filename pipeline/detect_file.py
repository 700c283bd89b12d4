"""Run a detector over an image or video file: annotated copy plus one JSON line per frame.

The side effects (decoding, writing files, progress) live here; the detector itself is pure.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import cv2
import numpy as np
import numpy.typing as npt
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from shelfsight.vision.detections import FrameDetections
from shelfsight.vision.detector.onnx import OnnxDetector
from shelfsight.vision.draw import draw_detections
from shelfsight.vision.privacy import blur_heads
from shelfsight.vision.video import batched, is_image, iter_video, open_video, read_image

logger = logging.getLogger(__name__)

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class DetectRun:
    """One `shelfsight detect` job.

    Attributes:
        source: Image or video file.
        out_dir: Folder for ``<stem>.annotated.<ext>`` and ``<stem>.detections.jsonl``.
        detector: The detector to run.
        batch: Frames per detector call.
        annotate: Also write the annotated image or video.
        blur_heads: Pixelate people's heads in the annotated copy (`shelfsight.vision.privacy`): a frame that leaves the
            process shows no face unless asked for.
    """

    source: Path
    out_dir: Path
    detector: OnnxDetector
    batch: int = 4
    annotate: bool = True
    blur_heads: bool = True


@dataclass(frozen=True)
class DetectResult:
    """What a run wrote: frame and box counts, output paths, wall time in seconds."""

    frames: int
    detections: int
    annotated_path: Path | None
    jsonl_path: Path
    seconds: float


def detection_record(index: int, position_s: float, dets: FrameDetections, names: tuple[str, ...]) -> dict[str, Any]:
    """The JSON-lines record of one frame: boxes in frame pixels, scores, labels, keypoints if any."""
    boxes = []
    for i in range(len(dets)):
        class_id = int(dets.class_id[i])
        box: dict[str, Any] = {
            "xyxy": [round(float(v), 1) for v in dets.xyxy[i]],
            "score": round(float(dets.confidence[i]), 4),
            "class_id": class_id,
            "label": names[class_id] if class_id < len(names) else str(class_id),
        }
        if dets.keypoints is not None:
            box["keypoints"] = np.round(dets.keypoints[i], 2).tolist()
        boxes.append(box)
    height, width = dets.frame_size
    return {
        "frame": index,
        "t_s": round(position_s, 4),
        "width": width,
        "height": height,
        "detections": boxes,
    }


def detect_file(run: DetectRun) -> DetectResult:
    """Detect in every frame of ``run.source`` and write the outputs; returns what was written."""
    run.out_dir.mkdir(parents=True, exist_ok=True)
    stem = run.source.stem
    jsonl_path = run.out_dir / f"{stem}.detections.jsonl"
    started = time.monotonic()
    with jsonl_path.open("w", encoding="utf-8") as jsonl:
        if is_image(run.source):
            frames, boxes, annotated = _detect_image(run, jsonl)
        else:
            frames, boxes, annotated = _detect_video(run, jsonl)
    seconds = time.monotonic() - started
    logger.info("detect source=%s frames=%d boxes=%d seconds=%.2f", run.source, frames, boxes, seconds)
    return DetectResult(frames, boxes, annotated, jsonl_path, seconds)


def _detect_image(run: DetectRun, jsonl: IO[str]) -> tuple[int, int, Path | None]:
    image = read_image(run.source)
    dets = run.detector.detect([image])[0]
    names = run.detector.layout.class_names
    jsonl.write(json.dumps(detection_record(0, 0.0, dets, names)) + "\n")
    annotated = None
    if run.annotate:
        annotated = run.out_dir / f"{run.source.stem}.annotated{run.source.suffix}"
        cv2.imwrite(str(annotated), draw_detections(_redacted(run, image, dets), dets, names))
    return 1, len(dets), annotated


def _detect_video(run: DetectRun, jsonl: IO[str]) -> tuple[int, int, Path | None]:
    capture, info = open_video(run.source)
    names = run.detector.layout.class_names
    annotated = run.out_dir / f"{run.source.stem}.annotated.mp4" if run.annotate else None
    writer = None
    if annotated is not None:
        fourcc = cv2.VideoWriter.fourcc(*"mp4v")
        writer = cv2.VideoWriter(str(annotated), fourcc, info.fps or 10.0, (info.width, info.height))
    frames = boxes = 0
    columns = (
        TextColumn("[bold]detect[/] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    try:
        with Progress(*columns, transient=False) as progress:
            task = progress.add_task(run.source.name, total=info.frame_count or None)
            for batch in batched(iter_video(capture), run.batch):
                results = run.detector.detect([frame for _, _, frame in batch])
                for (index, position, frame), dets in zip(batch, results, strict=True):
                    jsonl.write(json.dumps(detection_record(index, position, dets, names)) + "\n")
                    if writer is not None:
                        writer.write(draw_detections(_redacted(run, frame, dets), dets, names))
                    boxes += len(dets)
                frames += len(batch)
                progress.update(task, advance=len(batch))
    finally:
        if writer is not None:
            writer.release()
    return frames, boxes, annotated


def _redacted(run: DetectRun, image: Image, dets: FrameDetections) -> Image:
    return blur_heads(image, dets, run.detector.layout.person_class) if run.blur_heads else image
