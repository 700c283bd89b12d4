"""Running a real edge box for benchmarks: configs with N cameras, `shelfsight edge run`, an acking sink.

The sink stands in for the aggregator when a benchmark measures the box, not the database: a ROUTER in its
own process that decodes each batch's envelope and acknowledges it (what the aggregator does before storing).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml
import zmq

from shelfsight.pipeline.demo import free_port
from shelfsight.transport.envelope import MessageError, decode, encode
from shelfsight.transport.messages import Ack, EventBatch

ROOT = Path(__file__).resolve().parents[1]
SHELFSIGHT = str(Path(sys.executable).parent / "shelfsight")
ZONES = yaml.safe_load((ROOT / "edge_config" / "demo.yaml").read_text())["cameras"][0]["zones"]


def cameras_config(
    folder: Path, sources: list[str], endpoint: str, *, detect_fps: float = 5.0, pose: str | None = None
) -> Path:
    """An edge config with one camera per source, each with the demo's aisle zones (ids made unique), and the
    pose model ``pose`` (a manifest name) on every camera when given."""
    cameras = []
    for n, source in enumerate(sources, start=1):
        zones = []
        for zone in ZONES:
            renamed = {**zone, "id": f"c{n}-{zone['id']}"}
            if "shelf_id" in zone:
                renamed["shelf_id"] = f"c{n}-{zone['shelf_id']}"
            zones.append(renamed)
        camera: dict[str, Any] = {"id": f"cam-{n}", "source": source, "detect_fps": detect_fps, "zones": zones}
        if pose is not None:
            camera["pose"] = {"model": pose}
        cameras.append(camera)
    config = {"version": 1, "store_id": "bench-store", "cameras": cameras, "aggregator": {"endpoint": endpoint}}
    path = folder / "edge.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _sink(endpoint: str) -> None:
    context = zmq.Context()
    router = context.socket(zmq.ROUTER)
    router.bind(endpoint)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        frames = router.recv_multipart(copy=False)
        try:
            batch = EventBatch.from_envelope(decode(frames[1:]))
        except MessageError:
            continue
        ack = Ack(batch.store_id, batch.batch_id, len(batch.events), 0, 0)
        router.send_multipart([frames[0].bytes, *encode(ack.to_envelope())])


def start_sink(endpoint: str) -> multiprocessing.process.BaseProcess:
    """An acknowledging receiver in its own process (see the module docstring)."""
    process = multiprocessing.get_context("spawn").Process(target=_sink, args=(endpoint,), daemon=True)
    process.start()
    return process


class Box:
    """`shelfsight edge run CONFIG` in a subprocess, read through its /status endpoint."""

    def __init__(self, config: Path, folder: Path, *, replay: bool = False, extra: tuple[str, ...] = ()) -> None:
        port = free_port()
        self.health = f"http://127.0.0.1:{port}"
        self.log = folder / "edge.log"
        command = [SHELFSIGHT, "--log-level", "WARNING", "edge", "run", str(config), "--health-port", str(port),
                   "--spool-dir", str(folder / "spool"), "--run-dir", str(folder / "run"),
                   *(["--replay"] if replay else []), *extra]  # fmt: skip
        with self.log.open("w") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=os.environ)

    def status(self) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(f"{self.health}/status", timeout=5) as response:
                return dict(json.loads(response.read()))
        except (urllib.error.URLError, OSError, ValueError):
            return {"stages": []}

    def counters(self) -> dict[str, dict[str, float]]:
        return {stage["name"]: stage["counters"] for stage in self.status()["stages"]}

    def pids(self) -> dict[str, int]:
        return {stage["name"]: stage["pid"] for stage in self.status()["stages"] if stage["pid"]}

    def wait_until(self, predicate: Any, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if predicate(self.counters()):
                return True
            time.sleep(0.5)
        return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()


def rss_mib(pid: int) -> float:
    """Resident memory of a process, MiB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
