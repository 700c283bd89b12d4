"""A looping H.264 RTSP stream from raw I420 frames, served by GStreamer's RTSP server (gst-rtsp-server).

Run by `tests/pipeline/edge/rtsp_server.py` with the *system* interpreter (``/usr/bin/python3``), because the
GStreamer bindings come from Debian packages (python3-gi, gir1.2-gst-rtsp-server-1.0), not from the venv:

    /usr/bin/python3 gst_rtsp_serve.py --frames clip.i420 --width 640 --height 480 --fps 10/1 --port 8554 --path /clip
    /usr/bin/python3 gst_rtsp_serve.py --check      # exit 0 when every part is installed, 3 (and what) otherwise

The frames file holds whole I420 frames back to back (width * height * 3 / 2 bytes each). Each client session
gets its own pipeline: ``appsrc`` pushes the frames in a loop, paced in real time, ``x264enc`` encodes them (a key
frame every second) and ``rtph264pay`` repeats SPS/PPS before every key frame. Like a live camera, a session
starts at the frame for the time elapsed since the server started, not at frame 0. (A pipeline shared by all
sessions answers 503 to a DESCRIBE that arrives while the last client's media is being torn down, which breaks a
quick reconnect; separate pipelines do not.) RTP goes over UDP or interleaved in the RTSP TCP connection,
whichever the client asks for. ``--ready-file`` is written once the port is bound. SIGTERM or SIGINT stops the
server; every client connection closes.

Exit codes: 0 stopped by a signal, 2 bad arguments or the port is taken, 3 GStreamer parts missing.
"""

from __future__ import annotations

import argparse
import mmap
import signal
import sys
import time
from pathlib import Path
from typing import Any

# The Debian package of each GStreamer element this server needs (`rtsp_server.APT_PACKAGES` lists them all).
ELEMENT_PACKAGES = {
    "appsrc": "gstreamer1.0-plugins-base",
    "videoconvert": "gstreamer1.0-plugins-base",
    "rtph264pay": "gstreamer1.0-plugins-good",
    "x264enc": "gstreamer1.0-plugins-ugly",
}
EXIT_BAD_ARGS = 2
EXIT_MISSING = 3


def _parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the GStreamer parts are installed")
    parser.add_argument("--frames", type=Path, help="raw I420 frames, back to back")
    parser.add_argument("--width", type=int)
    parser.add_argument("--height", type=int)
    parser.add_argument("--fps", default="10/1", help="frame rate as a fraction, e.g. 10/1 or 30000/1001")
    parser.add_argument("--port", type=int, default=8554)
    parser.add_argument("--path", default="/clip", help="mount point, e.g. /clip")
    parser.add_argument("--address", default="127.0.0.1")
    parser.add_argument("--ready-file", type=Path, help="written once the server listens")
    args = parser.parse_args(argv)
    if not args.check and (args.frames is None or args.width is None or args.height is None):
        parser.error("--frames, --width and --height are required")
    return args


def _load_gstreamer() -> tuple[Any, Any, Any]:
    """Import GLib, Gst and GstRtspServer, or exit with `EXIT_MISSING` naming what to install."""
    try:
        import gi  # type: ignore[import-not-found]  # Debian python3-gi, not in the venv

        gi.require_version("Gst", "1.0")
        gi.require_version("GstRtspServer", "1.0")
        from gi.repository import GLib, Gst, GstRtspServer  # type: ignore[import-not-found]
    except (ImportError, ValueError) as exc:
        print(f"gst_rtsp_serve: GStreamer Python bindings or GstRtspServer missing ({exc})", file=sys.stderr)
        sys.exit(EXIT_MISSING)
    Gst.init(None)
    missing = [f"{name} ({package})" for name, package in ELEMENT_PACKAGES.items() if not Gst.ElementFactory.find(name)]
    if missing:
        print(f"gst_rtsp_serve: GStreamer elements missing: {', '.join(missing)}", file=sys.stderr)
        sys.exit(EXIT_MISSING)
    return GLib, Gst, GstRtspServer


class _FrameLoop:
    """Feeds one media pipeline's appsrc: frame ``(first + i) % count`` with PTS ``i / fps``, forever."""

    def __init__(self, gst: Any, frames: mmap.mmap, frame_bytes: int, duration_ns: int, first: int) -> None:
        self._gst = gst
        self._frames = frames
        self._frame_bytes = frame_bytes
        self._count = len(frames) // frame_bytes
        self._duration_ns = duration_ns
        self._first = first
        self._index = 0

    def need_data(self, src: Any, _length: int) -> None:
        start = ((self._first + self._index) % self._count) * self._frame_bytes
        buffer = self._gst.Buffer.new_wrapped(self._frames[start : start + self._frame_bytes])
        buffer.pts = buffer.dts = self._index * self._duration_ns
        buffer.duration = self._duration_ns
        self._index += 1
        src.emit("push-buffer", buffer)


def main(argv: list[str]) -> int:
    args = _parse_args(argv)
    glib, gst, rtsp = _load_gstreamer()
    if args.check:
        print("gst_rtsp_serve: GStreamer RTSP server and elements present")
        return 0
    num, _, den = args.fps.partition("/")
    fps_num, fps_den = int(num), int(den or 1)
    frame_bytes = args.width * args.height * 3 // 2
    with args.frames.open("rb") as handle:
        frames = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    if len(frames) < frame_bytes or len(frames) % frame_bytes:
        print(f"gst_rtsp_serve: {args.frames} is not whole {args.width}x{args.height} I420 frames", file=sys.stderr)
        return EXIT_BAD_ARGS
    duration_ns = gst.SECOND * fps_den // fps_num
    caps = f"video/x-raw,format=I420,width={args.width},height={args.height},framerate={fps_num}/{fps_den}"
    key_every = max(1, round(fps_num / fps_den))
    launch = (
        f"( appsrc name=src is-live=true format=time caps={caps} "
        f"! videoconvert ! x264enc tune=zerolatency speed-preset=ultrafast bframes=0 key-int-max={key_every} "
        "! video/x-h264,profile=constrained-baseline "
        "! rtph264pay name=pay0 pt=96 config-interval=-1 )"
    )

    started = time.monotonic()

    def configure(_factory: Any, media: Any) -> None:
        first = int((time.monotonic() - started) * gst.SECOND) // duration_ns
        src = media.get_element().get_by_name_recurse_up("src")
        src.connect("need-data", _FrameLoop(gst, frames, frame_bytes, duration_ns, first).need_data)

    factory = rtsp.RTSPMediaFactory()
    factory.set_launch(launch)
    factory.set_shared(False)
    factory.connect("media-configure", configure)
    server = rtsp.RTSPServer()
    server.set_address(args.address)
    server.set_service(str(args.port))
    server.get_mount_points().add_factory(args.path, factory)
    if not server.attach(None):
        print(f"gst_rtsp_serve: cannot listen on {args.address}:{args.port}", file=sys.stderr)
        return EXIT_BAD_ARGS
    if args.ready_file is not None:
        args.ready_file.write_text(f"{args.port}\n")

    loop = glib.MainLoop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        glib.unix_signal_add(glib.PRIORITY_HIGH, signum, loop.quit)
    print(f"gst_rtsp_serve: serving rtsp://{args.address}:{args.port}{args.path}", file=sys.stderr, flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
