"""Reading frames from image and video files with OpenCV's FFmpeg backend."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import cv2
import numpy as np
import numpy.typing as npt

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})


class SourceError(OSError):
    """A file that cannot be opened or decoded; the message names it."""


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video: frames per second, frame count (0 if unknown), size in pixels."""

    fps: float
    frame_count: int
    width: int
    height: int


def is_image(path: Path) -> bool:
    """True for still-image files, by suffix."""
    return path.suffix.lower() in IMAGE_SUFFIXES


def read_image(path: Path) -> npt.NDArray[np.uint8]:
    """Decode an image file to BGR uint8, or raise ``SourceError``."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise SourceError(f"cannot decode image {path}")
    return np.asarray(image, np.uint8)


def open_video(path: Path) -> tuple[cv2.VideoCapture, VideoInfo]:
    """Open a video file for decoding, or raise ``SourceError``."""
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise SourceError(f"cannot open video {path} (missing file or no decoder for it)")
    info = VideoInfo(
        fps=float(capture.get(cv2.CAP_PROP_FPS)) or 0.0,
        frame_count=max(0, int(capture.get(cv2.CAP_PROP_FRAME_COUNT))),
        width=int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
        height=int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
    )
    return capture, info


def iter_video(capture: cv2.VideoCapture) -> Iterator[tuple[int, float, npt.NDArray[np.uint8]]]:
    """Yield (frame index, position in seconds, BGR frame) until the stream ends; releases the capture."""
    try:
        index = 0
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            yield index, float(capture.get(cv2.CAP_PROP_POS_MSEC)) / 1000.0, np.asarray(frame, np.uint8)
            index += 1
    finally:
        capture.release()


T = TypeVar("T")


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of ``size`` items (the last may be shorter): frames grouped for batched detection."""
    if size < 1:
        raise ValueError(f"batch size must be >= 1, got {size}")
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
