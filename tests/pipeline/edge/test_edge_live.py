"""The edge box live (looping synthetic cameras, paced in real time), with real faults: garbage on every
socket, `kill -9` of stages, SIGTERM. No aggregator is running: events wait in the spool."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import msgpack  # type: ignore[import-untyped]
import zmq

from shelfsight.vision.events.contract import CameraStatusEvent
from tests.cli import run_shelfsight
from tests.pipeline.edge.harness import EdgeBox, free_port, wait_for, write_config

CAMERAS = ("aisle-cam", "endcap-cam")


def _garbage(topic: bytes) -> list[list[bytes]]:
    """Messages that must each be counted and dropped: not multipart, not msgpack, wrong version, wrong kind,
    a frame whose buffer does not match its header, an image of the wrong shape."""
    header = {"v": 1, "kind": "frame", "camera_id": "aisle-cam", "seq": 1, "sent_at": 0.0,
              "buffers": [["|u1", [480, 640, 3]]], "body": {}}  # fmt: skip
    bad_shape = {**header, "buffers": [["|u1", [4, 4]]], "body": {"seq": 1, "index": 1, "captured_at": 1.0,
                                                                   "read_at": 1.0}}  # fmt: skip
    return [
        [b"just one frame"],
        [topic, b"\xc1 not msgpack"],
        [topic, msgpack.packb({"v": 99})],
        [topic, msgpack.packb({**header, "kind": "launch-missiles", "buffers": []})],
        [topic, msgpack.packb(header), b"too short"],
        [topic, msgpack.packb(bad_shape), bytes(16)],
        [topic, msgpack.packb({**header, "camera_id": "no-such-cam", "buffers": []})],
    ]


def _send_garbage(endpoint: str, context: zmq.Context[zmq.Socket[bytes]], keep: list[zmq.Socket[bytes]]) -> int:
    """Send the garbage and keep the socket open (in ``keep``; the context's ``destroy`` closes it once everything
    is counted): ZeroMQ discards what a receiver at its high-water mark has not taken yet when the sender
    disconnects, whatever the sender's linger, and the count below would then wait for messages never received.
    (A socket no longer referenced is closed by the garbage collector: hence ``keep``.)"""
    socket = context.socket(zmq.PUSH)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(endpoint)
    keep.append(socket)
    messages = _garbage(b"shelfsight/demo-store/aisle-cam/frames")
    for message in messages:
        socket.send_multipart(message)
    return len(messages)


def test_live_box_survives_garbage_kills_and_stops_cleanly(tmp_path: Path) -> None:
    config = write_config(tmp_path, endpoint=f"tcp://127.0.0.1:{free_port()}")  # nobody listens there
    box = EdgeBox(config, tmp_path, replay=False)
    try:
        for camera in CAMERAS:
            wait_for(lambda c=camera: box.counter(f"events:{c}", "frames_total") >= 10, timeout_s=120,
                     what=f"{camera} frames through the event stage")  # fmt: skip

        # Garbage on every socket: counted and dropped, nothing dies.
        layout = tmp_path / "run"
        context = zmq.Context()
        senders: list[zmq.Socket[bytes]] = []
        sent = {
            "detector": _send_garbage(f"ipc://{layout / 'frames'}", context, senders),
            "events:aisle-cam": _send_garbage(f"ipc://{layout / 'det-aisle-cam'}", context, senders),
            "publisher": _send_garbage(f"ipc://{layout / 'wake'}", context, senders),
        }
        heartbeat_garbage = _send_garbage(f"ipc://{layout / 'heartbeat'}", context, senders)
        for stage, count in sent.items():
            wait_for(lambda s=stage, n=count: box.counter(s, "bad_messages_total") >= n, timeout_s=60,
                     what=f"{stage} to count {count} bad messages: {box.stage(stage)}\n{box.tail()}")  # fmt: skip
        wait_for(lambda: box.status().get("bad_heartbeats", 0) >= heartbeat_garbage, timeout_s=60,
                 what="the supervisor to count bad heartbeats")  # fmt: skip
        context.destroy(linger=0)
        assert all(s["alive"] and s["restarts"] == 0 for s in box.status()["stages"]), box.status()

        # kill -9 of the detector and of an event stage: the supervisor restarts them and frames flow again.
        for name in ("detector", "events:endcap-cam"):
            pid = box.stage(name)["pid"]
            os.kill(pid, signal.SIGKILL)
            wait_for(lambda n=name, p=pid: box.stage(n).get("restarts") == 1 and box.stage(n)["alive"]
                     and box.stage(n)["pid"] != p, timeout_s=30, what=f"{name} restarted")  # fmt: skip
            wait_for(lambda n=name: box.counter(n, "frames_total") >= 5, timeout_s=60,
                     what=f"frames through the restarted {name}")  # fmt: skip
        assert "killed by SIGKILL" in box.tail(200_000)

        # Health: Prometheus text and `shelfsight edge status`.
        metrics = box.metrics()
        assert 'shelfsight_edge_frames_dropped_total{camera="aisle-cam",stage="capture"}' in metrics
        assert 'shelfsight_edge_stage_restarts_total{camera="*",stage="detector"} 1.0' in metrics
        assert 'shelfsight_edge_spool_events{camera="*",stage="publisher"}' in metrics
        assert "shelfsight_edge_detector_p99_ms" in metrics
        status = run_shelfsight("edge", "status", "--url", box.health)
        assert status.returncode == 0, status.stderr
        assert "events:aisle-cam" in status.stdout and "publisher" in status.stdout

        # SIGTERM: every stage stops, open visits are closed and each camera is recorded offline, in the spool.
        box.terminate()
        assert box.wait(60) == 0, box.tail()
    finally:
        box.terminate()
    statuses = [e for e in box.spooled() if isinstance(e, CameraStatusEvent)]
    for camera in CAMERAS:
        mine = [e.status for e in statuses if e.camera_id == camera]
        assert mine[:2] == ["offline", "online"] and mine[-1] == "offline", (camera, mine)  # offline at start
    assert run_shelfsight("edge", "status", "--url", box.health).returncode == 1  # nothing answers any more
