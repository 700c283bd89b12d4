"""A camera on a real RTSP server (GStreamer's, on loopback): the server stops and starts again, the camera
goes offline and comes back, frames and events resume, and ``camera_status`` events tell the story."""

from __future__ import annotations

import time
from pathlib import Path

from shelfsight.vision.events.contract import CameraStatusEvent
from tests.pipeline.edge.harness import EdgeBox, free_port, wait_for, write_config
from tests.pipeline.edge.rtsp_server import RtspServer

CAMERA = "synth1"


def test_rtsp_camera_goes_offline_and_comes_back(tmp_path: Path, rtsp_server: RtspServer, rtsp_clip: Path) -> None:
    base = rtsp_clip.parent / "edge_config.yaml"
    config = write_config(tmp_path, endpoint=f"tcp://127.0.0.1:{free_port()}", base=base,
                          sources={CAMERA: rtsp_server.url})  # fmt: skip
    box = EdgeBox(config, tmp_path, replay=False)
    try:
        wait_for(lambda: box.counter(f"events:{CAMERA}", "frames_total") >= 10, timeout_s=120,
                 what="frames from the RTSP camera")  # fmt: skip
        rtsp_server.stop()
        wait_for(lambda: box.counter(f"capture:{CAMERA}", "online") == 0, timeout_s=30, what="the camera offline")
        time.sleep(3.0)
        before = box.counter(f"events:{CAMERA}", "frames_total")
        rtsp_server.start()
        wait_for(lambda: box.counter(f"capture:{CAMERA}", "online") == 1, timeout_s=60, what="the camera back online")
        wait_for(lambda: box.counter(f"events:{CAMERA}", "frames_total") >= before + 10, timeout_s=60,
                 what="frames flowing again")  # fmt: skip
        assert box.counter(f"capture:{CAMERA}", "reconnects_total") >= 1
        assert all(s["restarts"] == 0 for s in box.status()["stages"]), "the watchdog, not the supervisor, recovers"
        box.terminate()
        assert box.wait(60) == 0, box.tail()
    finally:
        box.terminate()
    statuses = [e for e in box.spooled() if isinstance(e, CameraStatusEvent)]
    story = [(e.status, e.reason.split(":")[0]) for e in statuses]
    assert story[:4] == [("offline", "starting"), ("online", "stream opened"), ("offline", "stream lost"),
                         ("online", "stream opened")], story  # fmt: skip
    assert story[-1] == ("offline", "edge stopped"), story
    assert [e.ts for e in statuses] == sorted(e.ts for e in statuses)
