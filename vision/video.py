"""Reading frames from image and video files with OpenCV's FFmpeg backend."""

from __future__ import annotations

import time
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


@dataclass(frozen=True)
class VideoProbe:
    """How much of a video decodes.

    Attributes:
        declared: Frames the container says it holds (0 when it does not say).
        readable: Frames that decoded, counted from the start.
        complete: The count reached the end of the stream (False when the time budget ran out first).
    """

    declared: int
    readable: int
    complete: bool

    @property
    def truncated(self) -> bool:
        """The stream ends before the frames its container declares: a cut-off copy or an interrupted recording."""
        return self.complete and 0 < self.readable < self.declared


def probe_video(path: Path, *, budget_s: float = 30.0) -> VideoProbe:
    """Count the frames of ``path`` that decode (``grab``: no colour conversion), for at most ``budget_s`` seconds.

    Raises:
        SourceError: When the file cannot be opened.
    """
    capture, info = open_video(path)
    deadline = time.monotonic() + budget_s
    readable, complete = 0, False
    try:
        while time.monotonic() < deadline:
            if not capture.grab():
                complete = True
                break
            readable += 1
    finally:
        capture.release()
    return VideoProbe(info.frame_count, readable, complete)


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
