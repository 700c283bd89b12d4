"""The loopback RTSP server used by the edge runtime tests: OpenCV reads it, loses it on stop, gets it back on start."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.pipeline.edge import rtsp_server as rtsp_server_module
from tests.pipeline.edge.rtsp_server import CAPTURE_PARAMS, RtspServer, RtspServerError

LOST_WITHIN_S = 3.0


def _open(url: str) -> cv2.VideoCapture:
    capture = cv2.VideoCapture(url, cv2.CAP_FFMPEG, CAPTURE_PARAMS)
    assert capture.isOpened(), f"OpenCV could not open {url}"
    return capture


def _read_frames(capture: cv2.VideoCapture, count: int, *, limit_s: float = 10.0) -> list[np.ndarray]:
    frames: list[np.ndarray] = []
    deadline = time.monotonic() + limit_s
    while len(frames) < count and time.monotonic() < deadline:
        ok, frame = capture.read()
        if ok:
            frames.append(frame)
    return frames


@pytest.mark.usefixtures("rtsp_capture_options")
def test_opencv_reads_the_clip_from_the_server(rtsp_server: RtspServer) -> None:
    assert rtsp_server.url == f"rtsp://127.0.0.1:{rtsp_server.port}/clip"
    capture = _open(rtsp_server.url)
    try:
        frames = _read_frames(capture, 20)
        assert capture.get(cv2.CAP_PROP_FPS) == pytest.approx(10.0)
    finally:
        capture.release()
    assert len(frames) == 20
    assert {frame.shape for frame in frames} == {(480, 640, 3)}
    assert all(frame.std() > 5.0 for frame in frames), "frames should show the synthetic store, not a flat image"


@pytest.mark.usefixtures("rtsp_capture_options")
def test_readers_lose_the_stream_on_stop_and_get_it_back_on_start(rtsp_server: RtspServer) -> None:
    url = rtsp_server.url
    capture = _open(url)
    try:
        assert len(_read_frames(capture, 20)) == 20
        rtsp_server.stop()
        assert not rtsp_server.running
        stopped = time.monotonic()
        while capture.read()[0]:
            assert time.monotonic() - stopped < LOST_WITHIN_S, "reads still succeed after the server stopped"
        assert time.monotonic() - stopped < LOST_WITHIN_S
    finally:
        capture.release()
    assert not cv2.VideoCapture(url, cv2.CAP_FFMPEG, CAPTURE_PARAMS).isOpened()

    rtsp_server.start()
    assert rtsp_server.url == url
    again = _open(url)
    try:
        frames = _read_frames(again, 20)
    finally:
        again.release()
    assert len(frames) == 20
    assert {frame.shape for frame in frames} == {(480, 640, 3)}


@pytest.mark.usefixtures("rtsp_capture_options")
def test_a_frozen_server_blocks_reads_only_for_the_read_timeout(rtsp_server: RtspServer) -> None:
    read_timeout_ms = 1000
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 5000, cv2.CAP_PROP_READ_TIMEOUT_MSEC, read_timeout_ms]
    capture = cv2.VideoCapture(rtsp_server.url, cv2.CAP_FFMPEG, params)
    try:
        assert len(_read_frames(capture, 5)) == 5
        rtsp_server.freeze()
        # Frames the decoder still holds come out first, each after a timed-out read; then reads fail.
        for _ in range(4):
            started = time.monotonic()
            ok = capture.read()[0]
            assert time.monotonic() - started < read_timeout_ms / 1000 + 1.0
            if not ok:
                break
        assert not ok, "reads should fail while the server is frozen"
    finally:
        capture.release()
        rtsp_server.thaw()
    again = _open(rtsp_server.url)
    try:
        assert len(_read_frames(again, 5)) == 5
    finally:
        again.release()


def test_a_taken_port_fails_start_with_the_server_log(rtsp_server: RtspServer, rtsp_clip: Path) -> None:
    second = RtspServer(rtsp_clip, port=rtsp_server.port, max_frames=2)
    try:
        with pytest.raises(RtspServerError, match=r"cannot listen on 127\.0\.0\.1"):
            second.start()
    finally:
        second.close()


def test_missing_gstreamer_names_the_install_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(rtsp_server_module, "SYSTEM_PYTHON", tmp_path / "no-python3")
    problem = rtsp_server_module.missing_requirements()
    assert problem is not None
    assert "apt-get install" in problem
    assert "gir1.2-gst-rtsp-server-1.0" in problem
