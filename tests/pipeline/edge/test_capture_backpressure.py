"""Backpressure: when the detector falls behind, the capture stage drops frames (counted) instead of queueing
them, never blocks, and says the camera is degraded. A real capture process against a slow reader."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import zmq

from pipeline.edge.runtime import EdgeLayout, StageSpec
from pipeline.edge.supervisor import _stage_entry
from pipeline.transport.envelope import decode
from tests.pipeline.edge.harness import free_port, write_config

READ_EVERY_S = 0.5
RUN_S = 9.0


def test_capture_drops_frames_when_the_detector_is_slow(tmp_path: Path) -> None:
    config = write_config(tmp_path, endpoint=f"tcp://127.0.0.1:{free_port()}")
    (tmp_path / "run").mkdir()
    layout = EdgeLayout(tmp_path / "run")
    context = zmq.Context()
    frames, beats = context.socket(zmq.PULL), context.socket(zmq.PULL)
    frames.setsockopt(zmq.RCVHWM, 1)
    frames.bind(layout.frames)
    beats.bind(layout.heartbeat)
    spec = StageSpec(stage="capture", config_path=config, layout=layout, camera_id="aisle-cam")
    process = multiprocessing.get_context("spawn").Process(target=_stage_entry, args=(spec,))
    process.start()
    kinds: list[str] = []
    statuses: list[str] = []
    try:
        deadline = time.monotonic() + RUN_S
        while time.monotonic() < deadline:
            if frames.poll(int(READ_EVERY_S * 1000)):
                envelope = decode(frames.recv_multipart())
                kinds.append(envelope.kind)
                if envelope.kind == "status":
                    statuses.append(envelope.body["status"])
            time.sleep(READ_EVERY_S)  # a detector far slower than the camera
        counters: dict[str, float] = {}
        while beats.poll(100):
            counters = decode(beats.recv_multipart()).body["counters"]
    finally:
        process.terminate()
        process.join(20)
        context.destroy(linger=0)
    assert process.exitcode == 0
    assert counters["frames_read_total"] >= 25, counters  # about 5 fps for the run: capture never waited
    assert counters["frames_dropped_total"] >= counters["frames_read_total"] * 0.5, counters
    assert kinds.count("frame") <= RUN_S / READ_EVERY_S + 1
    assert statuses[:2] == ["online", "degraded"], statuses
