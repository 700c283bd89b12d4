"""Opening a camera's ``source`` as a stream of `Frame`s, resampled to the detect fps.

One function for the offline runner and the edge capture stage, so both see the same frames with the same
stamps (the edge runtime's events are compared with the offline runner's).

Two modes:
    replay: read files and synthetic scenes once, as fast as the consumer takes them, stamped with their own
        time (file: ``start_epoch + position``; synthetic: the scenario's epoch plus scene time). For backfills,
        tests and the offline runner.
    live: what an edge box does. Streams and USB cameras are stamped with the wall clock at read; files and
        synthetic scenes loop forever, paced at their frame rate and stamped from the wall clock at open.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from shelfsight.edge_config.camera import CameraConfig, SourceKind
from shelfsight.vision.frames import Frame
from shelfsight.vision.synthetic.library import resolve_scenario
from shelfsight.vision.synthetic.source import SyntheticSource
from shelfsight.vision.video import SourceError, open_video

logger = logging.getLogger(__name__)

STREAM_OPEN_TIMEOUT_MS = 5000
STREAM_READ_TIMEOUT_MS = 2000
STALL_S = 0.9 * STREAM_READ_TIMEOUT_MS / 1000
FFMPEG_CAPTURE_OPTIONS = "rtsp_transport;tcp|analyzeduration;500000"


@dataclass(frozen=True)
class SourceFrame:
    """A frame plus its position in the source: index at the source's own rate, seconds since the first frame."""

    frame: Frame
    index: int
    position_s: float


@dataclass
class OpenedSource:
    """An open source.

    Attributes:
        frames: Frames in order (at the source's own rate; see `resample`).
        fps: The source's frame rate (0 when unknown).
        size: (height, width) in pixels, 0 when unknown until the first frame.
        finite: True when the stream ends by itself (replayed files and scenes).
        frame_count: Frames in a finite source (0 when unknown or endless).
    """

    frames: Iterator[SourceFrame]
    fps: float
    size: tuple[int, int]
    finite: bool
    frame_count: int = 0


class Resampler:
    """Which frames fall due at ``fps``, by position (seconds since the first frame).

    Sources ask it before decoding a frame's pixels (``grab`` without ``retrieve``, or no render), so frames
    the detector would never see cost little; `resample` applies the same rule to any stream of frames
    (applying it twice keeps the same frames).
    """

    def __init__(self, fps: float) -> None:
        self.step, self.next_s = 1.0 / fps, 0.0

    def due(self, position_s: float) -> bool:
        if position_s + 1e-6 < self.next_s:
            return False
        self.next_s = max(self.next_s + self.step, position_s + self.step / 2)
        return True


def resample(frames: Iterator[SourceFrame], fps: float) -> Iterator[SourceFrame]:
    """Keep the frames that fall due at ``fps`` (by position, seconds)."""
    resampler = Resampler(fps)
    return (item for item in frames if resampler.due(item.position_s))


def file_start_epoch(path: Path) -> float:
    """Default UTC epoch of a file's first frame: its modification time minus its length."""
    capture, info = open_video(path)
    capture.release()
    length_s = info.frame_count / info.fps if info.fps else 0.0
    return path.stat().st_mtime - length_s


def open_source(
    camera: CameraConfig, *, config_dir: Path, replay: bool, start_epoch: float | None = None
) -> OpenedSource:
    """Open ``camera.source``.

    Args:
        camera: The camera (its ``source`` and id).
        config_dir: Relative file paths are relative to this folder (the config file's).
        replay: See the module docstring.
        start_epoch: Replay only: UTC epoch of the first frame (files default to `file_start_epoch`,
            synthetic scenes to the scenario's start).

    Raises:
        SourceError: When the source cannot be opened.
    """
    kind = camera.source_kind
    if kind is SourceKind.SYNTHETIC:
        return _open_synthetic(camera, replay=replay, start_epoch=start_epoch)
    if kind is SourceKind.FILE:
        path = Path(str(camera.source))
        path = path if path.is_absolute() else config_dir / path
        return open_file(camera.id, path, replay=replay, start_epoch=start_epoch, detect_fps=camera.detect_fps)
    return _open_stream(camera.id, camera.source)


def _open_synthetic(camera: CameraConfig, *, replay: bool, start_epoch: float | None) -> OpenedSource:
    try:
        scenario = resolve_scenario(str(camera.source))
    except (KeyError, ValueError) as exc:
        raise SourceError(f"camera {camera.id}: cannot open {camera.source}: {exc}") from exc
    epoch = start_epoch if replay else time.time()  # None: the scenario's own start
    source = SyntheticSource(scenario, camera_id=camera.id, loop=not replay, realtime=not replay, epoch_s=epoch)
    period = 1.0 / source.fps

    def frames() -> Iterator[SourceFrame]:
        if replay:  # render only the frames due at the detect fps
            resampler, origin = Resampler(camera.detect_fps), source.epoch_s
            for seq in range(source.frame_count):
                if resampler.due(seq * period):
                    image = source.renderer.render(seq).image
                    yield SourceFrame(Frame(image, camera.id, seq, origin + seq * period), seq, seq * period)
            return
        for frame in source:
            yield SourceFrame(frame, frame.seq, frame.seq * period)

    size = (scenario.camera.height, scenario.camera.width)
    return OpenedSource(frames(), source.fps, size, finite=replay, frame_count=source.frame_count if replay else 0)


def open_file(
    camera_id: str, path: Path, *, replay: bool, start_epoch: float | None = None, detect_fps: float | None = None
) -> OpenedSource:
    """A video file as camera ``camera_id`` (see `open_source`); with ``detect_fps``, frames that are not due
    are only grabbed, never converted to pixels."""
    capture, info = open_video(path)
    size = (info.height, info.width)
    if replay:
        start = file_start_epoch(path) if start_epoch is None else start_epoch

        def replayed() -> Iterator[SourceFrame]:
            try:
                index, resampler = -1, Resampler(detect_fps) if detect_fps else None
                while capture.grab():
                    index += 1
                    position = float(capture.get(cv2.CAP_PROP_POS_MSEC)) / 1000.0
                    if resampler is not None and not resampler.due(position):
                        continue
                    ok, image = capture.retrieve()
                    if not ok:
                        return
                    yield SourceFrame(
                        Frame(np.asarray(image, np.uint8), camera_id, index, start + position), index, position
                    )
                warn_if_truncated(camera_id, path, index + 1, info.frame_count)
            finally:
                capture.release()

        return OpenedSource(replayed(), info.fps, size, finite=True, frame_count=info.frame_count)

    fps = info.fps or 25.0

    def looped() -> Iterator[SourceFrame]:
        nonlocal capture
        opened, index, first_pass = time.monotonic(), 0, True
        try:
            while True:
                ok, image = capture.read()
                if not ok:  # loop the file, as a demo camera
                    if first_pass:
                        warn_if_truncated(camera_id, path, index, info.frame_count)
                        first_pass = False
                    capture.release()
                    capture, _ = open_video(path)
                    ok, image = capture.read()
                    if not ok:
                        raise SourceError(f"camera {camera_id}: {path} has no frames")
                due = opened + index / fps
                if (wait := due - time.monotonic()) > 0:
                    time.sleep(wait)
                yield SourceFrame(Frame(np.asarray(image, np.uint8), camera_id, index, time.time()), index, index / fps)
                index += 1
        finally:
            capture.release()

    return OpenedSource(looped(), fps, size, finite=False)


def warn_if_truncated(camera_id: str, path: Path, read: int, declared: int) -> None:
    """Say so when a file ends before the frames its container declares (a cut-off copy): the events then cover
    only what was read."""
    if 0 <= read < declared:
        logger.warning(
            "camera=%s %s: read %d of the %d frames it declares; the file looks truncated",
            camera_id,
            path,
            read,
            declared,
        )


def _open_stream(camera_id: str, source: str | int) -> OpenedSource:
    """RTSP/HTTP streams and USB cameras, with bounded open and read timeouts so a dead camera is noticed.

    RTSP goes over TCP unless ``OPENCV_FFMPEG_CAPTURE_OPTIONS`` says otherwise (no lost packets on a busy
    network, one port through firewalls). A hung camera may still hand out a couple of buffered frames, each
    after a full read timeout, so a read that takes that long counts as a stall too.
    """
    os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", FFMPEG_CAPTURE_OPTIONS)
    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
        STREAM_OPEN_TIMEOUT_MS,
        cv2.CAP_PROP_READ_TIMEOUT_MSEC,
        STREAM_READ_TIMEOUT_MS,
    ]
    backend = cv2.CAP_ANY if isinstance(source, int) else cv2.CAP_FFMPEG
    capture = cv2.VideoCapture(source, backend, params)
    if not capture.isOpened():
        capture.release()
        raise SourceError(f"camera {camera_id}: cannot open {source}")
    fps = float(capture.get(cv2.CAP_PROP_FPS)) or 0.0
    if not math.isfinite(fps) or fps > 1000:
        fps = 0.0
    size = (int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)), int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)))

    def streamed() -> Iterator[SourceFrame]:
        first: float | None = None
        index = 0
        try:
            while True:
                asked = time.monotonic()
                ok, image = capture.read()
                if not ok:
                    raise SourceError(f"camera {camera_id}: the stream stopped delivering frames")
                if time.monotonic() - asked > STALL_S:
                    raise SourceError(f"camera {camera_id}: the stream stalled (a read took over {STALL_S:.1f} s)")
                now = time.time()
                first = now if first is None else first
                yield SourceFrame(Frame(np.asarray(image, np.uint8), camera_id, index, now), index, now - first)
                index += 1
        finally:
            capture.release()

    return OpenedSource(streamed(), fps, size, finite=False)
