"""The demo: a synthetic store -> the event pipeline -> ZeroMQ -> the aggregator and dashboard.

Renders a synthetic scenario (video, edge config, ground truth), starts ``shelfsight serve`` as its own
process on the embedded SQLite store, runs decode -> detect -> track -> events over the video (the offline
runner; the multi-process edge runtime replaces it once built), spools the events on disk and publishes them
over ZeroMQ with acknowledgements, then leaves the dashboard running.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from edge_config import load_config
from models.registry import resolve_model
from pipeline.offline import OfflineResult, OfflineRun, run_offline
from pipeline.publisher import EventPublisher, PublisherSettings
from pipeline.sources import open_file
from pipeline.spool import Spool, SpooledEvent
from vision.detector.onnx import DetectorSettings, OnnxDetector
from vision.events.codec import from_json, to_msgpack
from vision.synthetic.library import resolve_scenario
from vision.synthetic.story import build_story
from vision.synthetic.writer import write_outputs
from vision.tracking.bytetrack import ByteTracker, TrackerSettings
from vision.tracking.ids import IdCounter
from vision.tracking.reid import OnnxReid
from vision.tracking.relink import FragmentRelinker, RelinkSettings

logger = logging.getLogger(__name__)

SERVER_START_TIMEOUT_S = 60.0
PUBLISH_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class DemoRun:
    """Where and what: scenario name, output folder, dashboard port (0 = any free one)."""

    scenario: str
    out_dir: Path
    port: int = 8000
    host: str = "127.0.0.1"


@dataclass(frozen=True)
class Dashboard:
    """The running aggregator process and what it printed: URL, sign-in link, token."""

    process: subprocess.Popen[str]
    url: str
    sign_in: str
    token: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_dashboard(run: DemoRun, ingest: str) -> Dashboard:
    """Start ``shelfsight serve`` as a separate process and wait until it prints its URL and token."""
    command = [str(Path(sys.executable).parent / "shelfsight"), "--log-level", "WARNING", "serve",
               "--db", str(run.out_dir / "shelfsight.db"), "--ingest", ingest,
               "--host", run.host, "--port", str(run.port)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=os.environ)
    assert process.stdout is not None
    found: dict[str, str] = {}
    said: list[str] = []
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline and len(found) < 3:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the aggregator exited early (status {process.wait()}): {''.join(said[-5:])}")
        said.append(line)
        for key, pattern in (("url", r"dashboard:\s+(\S+)"), ("sign_in", r"sign in:\s+(\S+)"),
                             ("token", r"admin token:\s+(\S+)")):  # fmt: skip
            if match := re.search(pattern, line):
                found[key] = match.group(1)
    if len(found) < 3:
        process.terminate()
        raise RuntimeError("the aggregator did not print its URL and token in time")
    threading.Thread(target=_drain, args=(process,), daemon=True).start()
    return Dashboard(process, found["url"].rstrip("/"), found["sign_in"], found["token"])


def _drain(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        logger.debug("aggregator: %s", line.rstrip())


def process_scenario(run: DemoRun) -> OfflineResult:
    """Render the scenario and run the event pipeline over its video."""
    outputs = write_outputs(build_story(resolve_scenario(run.scenario)), run.out_dir / "store")
    config = load_config(outputs.edge_config)
    camera = config.cameras[0]
    detector = OnnxDetector(resolve_model(camera.model), DetectorSettings(conf_threshold=0.1, max_batch=4))
    tracker = ByteTracker(
        TrackerSettings(), id_counter=IdCounter(), camera_id=camera.id,
        relinker=FragmentRelinker(RelinkSettings(), OnnxReid(resolve_model("reid_retail_0287"))),
    )  # fmt: skip
    truth = json.loads(outputs.truth_json.read_text())
    start = time.time() - truth["frame_count"] / truth["fps"]  # the dashboard shows the last 24 h: the store "just now"
    assert outputs.video is not None
    source = open_file(camera.id, outputs.video, replay=True, start_epoch=start)
    offline = OfflineRun(source, outputs.video.name, config, camera, detector, tracker, run.out_dir / "events")
    return run_offline(offline)


def publish(events_path: Path, spool_path: Path, *, endpoint: str, store_id: str) -> int:
    """Spool every event of a JSON-lines file and publish until all are acknowledged; returns how many."""
    spool = Spool(spool_path)
    events = [from_json(line) for line in events_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    spool.put(SpooledEvent(str(e.event_id), e.camera_id, to_msgpack(e)) for e in events)
    publisher = EventPublisher(spool, PublisherSettings(endpoint=endpoint, store_id=store_id, ack_timeout_s=5.0))
    deadline = time.monotonic() + PUBLISH_TIMEOUT_S
    try:
        while len(spool) and time.monotonic() < deadline:
            if not publisher.step():
                time.sleep(0.2)
        if len(spool):
            raise RuntimeError(f"{len(spool)} events still unacknowledged after {PUBLISH_TIMEOUT_S:.0f} s")
    finally:
        publisher.close()
        spool.close()
    return len(events)


def ingest_endpoint() -> str:
    """A free loopback TCP endpoint for the aggregator's ingest."""
    return f"tcp://127.0.0.1:{_free_port()}"
