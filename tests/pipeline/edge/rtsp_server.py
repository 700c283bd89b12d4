"""A real RTSP server on loopback for tests: GStreamer's RTSP server serving a clip as a looping H.264 stream.

    with RtspServer(clip) as server:           # waits until the server answers DESCRIBE for its mount
        capture = cv2.VideoCapture(server.url, cv2.CAP_FFMPEG, CAPTURE_PARAMS)
        ...
        server.stop()                          # the process ends: clients lose the stream at once
        server.start()                         # same url (port and path): a camera can reconnect
        server.freeze(); server.thaw()         # SIGSTOP / SIGCONT: a hung camera that keeps its connections

The server is `gst_rtsp_serve.py` run by the system interpreter (``/usr/bin/python3``), because the GStreamer
bindings are Debian packages (`APT_PACKAGES`), not wheels; `.ci/rtsp-server.sh` installs them when missing and
`make test` runs it. The clip is decoded once with the venv's OpenCV into raw I420 frames in a temporary folder
(at most ``max_frames`` of them); the server encodes them with x264 (a key frame every second) and loops them.

Reading the stream with OpenCV (measured with this server, the venv's OpenCV 5.0 with its FFmpeg, libavcodec 62):
- `CAPTURE_OPTIONS` (``rtsp_transport;tcp``) in ``OPENCV_FFMPEG_CAPTURE_OPTIONS`` carries RTP inside the RTSP
  TCP connection. UDP (FFmpeg's default) works on loopback too and behaves the same below.
- A server that stops (SIGTERM or SIGKILL) closes the connection: the next ``read()`` returns False within
  about 20 ms, and every later one at once.
- A server that hangs without closing (a frozen camera, a dead link) blocks ``read()`` for the read timeout,
  OpenCV's default 30 s; ``cv2.CAP_PROP_READ_TIMEOUT_MSEC`` in the constructor's params bounds it
  (`CAPTURE_PARAMS`). After a stall, the first two timed-out reads still return True (frames the decoder held
  back) and the third returns False, so a watchdog must treat a slow read as a stall, not only a False one.
- Opening a stopped server's url fails at once (connection refused); opening a hung one blocks for the open
  timeout (default 30 s), which ``cv2.CAP_PROP_OPEN_TIMEOUT_MSEC`` bounds (`CAPTURE_PARAMS`).
- Opening takes about 2.7 s by default (FFmpeg probes the stream); ``analyzeduration;500000`` in the options
  cuts it to about 0.5 s (`FAST_OPEN_OPTIONS`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import cv2

SERVE_SCRIPT = Path(__file__).with_name("gst_rtsp_serve.py")
SYSTEM_PYTHON = Path("/usr/bin/python3")
APT_PACKAGES = (
    "python3-gi",
    "gir1.2-gst-rtsp-server-1.0",
    "gstreamer1.0-plugins-base",
    "gstreamer1.0-plugins-good",
    "gstreamer1.0-plugins-ugly",
)
INSTALL_HINT = (
    f"install GStreamer's RTSP server with `bash .ci/rtsp-server.sh` (as root; `make test` runs it), i.e. "
    f"apt-get install --no-install-recommends {' '.join(APT_PACKAGES)}"
)
CAPTURE_OPTIONS = "rtsp_transport;tcp"
FAST_OPEN_OPTIONS = "rtsp_transport;tcp|analyzeduration;500000"
CAPTURE_PARAMS = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 5000, cv2.CAP_PROP_READ_TIMEOUT_MSEC, 2000]
START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 5.0
_EXIT_MISSING = 3  # gst_rtsp_serve.py's exit code when GStreamer parts are missing
_ENV_DROP = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")


class RtspServerError(RuntimeError):
    """The RTSP server could not be started (missing packages, port taken, or it did not answer in time)."""


def missing_requirements() -> str | None:
    """Why the RTSP server cannot run here (with how to install it), or None when everything is present."""
    if not SYSTEM_PYTHON.exists():
        return f"{SYSTEM_PYTHON} not found; {INSTALL_HINT}"
    result = subprocess.run(
        [str(SYSTEM_PYTHON), str(SERVE_SCRIPT), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_server_env(),
        check=False,
    )
    if result.returncode == 0:
        return None
    return f"{result.stderr.strip() or f'exit code {result.returncode}'}; {INSTALL_HINT}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_env() -> dict[str, str]:
    """The environment without the venv's Python settings, so the system interpreter finds its own gi."""
    return {key: value for key, value in os.environ.items() if key not in _ENV_DROP}


class RtspServer:
    """GStreamer's RTSP server in a child process, serving ``clip`` in a loop at ``rtsp://127.0.0.1:PORT/clip``.

    The port (chosen free when not given) and path are fixed at construction, so `url` is the same across
    `stop` / `start`. Use as a context manager, or call `start` and `close` (which also deletes the frames).

    Args:
        clip: A video file OpenCV can read; served at its own size and frame rate (10 fps if it has none).
        port: TCP port on 127.0.0.1; a free one when None.
        path: Mount point, with or without the leading slash.
        max_frames: Serve at most this many frames of the clip per loop (raw frames are kept on disk:
            width * height * 1.5 bytes each, 460 KB at 640x480).
        start_timeout_s: How long `start` waits for the server to answer before failing.

    Raises:
        ValueError: When the clip has no frames, odd dimensions or ``max_frames`` < 1.
    """

    def __init__(
        self,
        clip: Path,
        port: int | None = None,
        *,
        path: str = "clip",
        max_frames: int = 300,
        start_timeout_s: float = START_TIMEOUT_S,
    ) -> None:
        if max_frames < 1:
            raise ValueError(f"max_frames must be >= 1, got {max_frames}")
        self.clip = Path(clip)
        self.port = port if port is not None else free_port()
        self.path = "/" + path.lstrip("/")
        self.start_timeout_s = start_timeout_s
        self._workdir = tempfile.TemporaryDirectory(prefix="shelfsight-rtsp-")
        self._frames_file = Path(self._workdir.name) / "frames.i420"
        self._log_file = Path(self._workdir.name) / "server.log"
        self._ready_file = Path(self._workdir.name) / "ready"
        self.width, self.height, self.fps, self.frame_count = _write_i420(self.clip, self._frames_file, max_frames)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """``rtsp://127.0.0.1:PORT/PATH``; the same for the server's whole life."""
        return f"rtsp://127.0.0.1:{self.port}{self.path}"

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the server and wait until it listens and answers DESCRIBE for its mount (no-op when running).

        Raises:
            RtspServerError: When the server exits (missing GStreamer parts, port taken) or does not answer
                within ``start_timeout_s``; the message holds the server's log.
        """
        if self.running:
            return
        fps = Fraction(self.fps).limit_denominator(1001)
        command = [
            str(SYSTEM_PYTHON),
            str(SERVE_SCRIPT),
            *("--frames", str(self._frames_file), "--width", str(self.width), "--height", str(self.height)),
            *("--fps", f"{fps.numerator}/{fps.denominator}", "--port", str(self.port), "--path", self.path),
            *("--ready-file", str(self._ready_file)),
        ]
        self._ready_file.unlink(missing_ok=True)
        with self._log_file.open("ab") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=log, env=_server_env())
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            code = self._process.poll()
            if code is not None:
                hint = f"; {INSTALL_HINT}" if code == _EXIT_MISSING else ""
                raise RtspServerError(f"RTSP server exited with code {code}{hint}\n{self._log_tail()}")
            # The ready file says that this process bound the port, so the DESCRIBE reaches it and no other.
            if self._ready_file.exists() and self._answers_describe():
                return
            time.sleep(0.05)
        self.stop()
        raise RtspServerError(
            f"RTSP server did not answer DESCRIBE {self.url} within {self.start_timeout_s} s\n{self._log_tail()}"
        )

    def freeze(self) -> None:
        """Suspend the server process (SIGSTOP): connections stay open but no data flows, like a hung camera."""
        if not self.running:
            raise RuntimeError(f"RTSP server for {self.url} is not running")
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """Resume a frozen server (SIGCONT)."""
        if self.running:
            assert self._process is not None
            self._process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """Stop the server process (SIGTERM, then SIGKILL after `STOP_TIMEOUT_S`); its clients' connections close."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        process.send_signal(signal.SIGCONT)  # a frozen server handles the SIGTERM once resumed
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_S)

    def close(self) -> None:
        """Stop the server and delete the raw frames."""
        self.stop()
        self._workdir.cleanup()

    def __enter__(self) -> RtspServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def _answers_describe(self) -> bool:
        """Whether the server answers ``DESCRIBE`` for the mount with 200 (its media pipeline builds)."""
        request = f"DESCRIBE {self.url} RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n\r\n".encode()
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2.0) as conn:
                conn.sendall(request)
                return conn.recv(64).startswith(b"RTSP/1.0 200")
        except OSError:
            return False

    def _log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self._log_file.read_text(errors="replace").splitlines()[-lines:])
        return "(no server log)"


def _write_i420(clip: Path, out: Path, max_frames: int) -> tuple[int, int, float, int]:
    """Decode up to ``max_frames`` of ``clip`` into raw I420 frames in ``out``; (width, height, fps, frames)."""
    capture = cv2.VideoCapture(str(clip), cv2.CAP_FFMPEG)
    if not capture.isOpened():
        raise ValueError(f"cannot open clip {clip}")
    fps = capture.get(cv2.CAP_PROP_FPS)
    fps = fps if fps and fps > 0 else 10.0
    width = height = count = 0
    try:
        with out.open("wb") as sink:
            while count < max_frames:
                ok, frame = capture.read()
                if not ok:
                    break
                height, width = frame.shape[:2]
                if width % 2 or height % 2:
                    raise ValueError(f"clip {clip} is {width}x{height}; I420 needs even width and height")
                sink.write(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
                count += 1
    finally:
        capture.release()
    if count == 0:
        raise ValueError(f"clip {clip} has no frames")
    return width, height, fps, count
