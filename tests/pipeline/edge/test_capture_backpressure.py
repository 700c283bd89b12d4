"""Backpressure: when the detector falls behind, the capture stage drops frames (counted) instead of queueing
them, never blocks, and says the camera is degraded. A real capture process against a slow reader.

Nothing here waits on the wall clock: the reader takes a frame only after the capture has read several more
(it watches the capture's own counters), so the capture is behind by construction however busy the machine is,
and the test waits for the outcome (degraded, and the counts), not for a number of seconds.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import zmq

from shelfsight.pipeline.edge.capture import DEGRADED_WINDOW
from shelfsight.pipeline.edge.counters import CaptureCounters
from shelfsight.pipeline.edge.runtime import EdgeLayout, StageKind, StageSpec
from shelfsight.pipeline.edge.supervisor import _stage_entry
from shelfsight.transport.envelope import decode
from shelfsight.transport.messages import Heartbeat
from tests.pipeline.edge.harness import free_port, wait_for, write_config

FRAMES_READ_PER_TAKEN = 4
"""The slow reader takes one frame per this many the capture has read: a detector at a quarter of the fps."""
TIMEOUT_S = 300.0


def test_capture_drops_frames_when_the_detector_is_slow(tmp_path: Path) -> None:
    config = write_config(tmp_path, endpoint=f"tcp://127.0.0.1:{free_port()}")
    (tmp_path / "run").mkdir()
    layout = EdgeLayout(tmp_path / "run")
    context = zmq.Context()
    frames, beats = context.socket(zmq.PULL), context.socket(zmq.PULL)
    frames.setsockopt(zmq.RCVHWM, 1)
    frames.bind(layout.frames)
    beats.bind(layout.heartbeat)
    spec = StageSpec(stage=StageKind.CAPTURE, config_path=config, layout=layout, camera_id="aisle-cam")
    process = multiprocessing.get_context("spawn").Process(target=_stage_entry, args=(spec,))
    process.start()
    statuses: list[str] = []
    counters = CaptureCounters()
    taken = 0

    def read_beats() -> None:
        nonlocal counters
        while beats.poll(0):
            counters = CaptureCounters.from_wire(Heartbeat.from_envelope(decode(beats.recv_multipart())).counters)

    def step() -> bool:
        """Take one message when the capture has read enough frames since the last one; done once degraded."""
        nonlocal taken
        read_beats()
        if counters.frames_read_total >= (taken + 1) * FRAMES_READ_PER_TAKEN and frames.poll(100):
            envelope = decode(frames.recv_multipart())
            taken += envelope.kind == "frame"
            if envelope.kind == "status":
                statuses.append(envelope.body["status"])
        return "degraded" in statuses

    try:
        wait_for(step, timeout_s=TIMEOUT_S, every_s=0.05, what=f"the capture to say degraded (statuses {statuses})")
    finally:
        process.terminate()
        process.join(30)
        read_beats()
        context.destroy(linger=0)
    assert process.exitcode == 0
    assert statuses[:3] == ["offline", "online", "degraded"], statuses  # offline until frames flow (issue 14)
    assert counters.frames_read_total >= DEGRADED_WINDOW // 2, counters
    # One frame in FRAMES_READ_PER_TAKEN got through at most (plus the one-deep queue): the rest were dropped.
    assert counters.frames_dropped_total >= counters.frames_read_total * 0.5, counters
    assert counters.frames_sent_total + counters.frames_dropped_total == counters.frames_read_total
