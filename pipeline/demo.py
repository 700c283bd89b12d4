"""The demo: the whole product on this machine, on the embedded default store.

`shelfsight serve` (ZeroMQ ingest, API and dashboard on SQLite) and `shelfsight edge run` (one process per
stage: synthetic cameras -> detector -> tracking and shelf events -> spool -> publisher) run as separate
processes, exactly as on a real deployment, joined by ZeroMQ over loopback. The demo config's synthetic
cameras loop their scenes live, stamped with the wall clock, so the dashboard fills in as you watch.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

logger = logging.getLogger(__name__)

SERVER_START_TIMEOUT_S = 60.0
SHELFSIGHT = str(Path(sys.executable).parent / "shelfsight")


@dataclass(frozen=True)
class DemoRun:
    """What to run and where: the edge config, an output folder (database, spool, logs), the dashboard port
    (0 = any free one)."""

    config: Path
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ingest_endpoint() -> str:
    """A free loopback TCP endpoint for the aggregator's ingest."""
    return f"tcp://127.0.0.1:{free_port()}"


def start_dashboard(run: DemoRun, ingest: str) -> Dashboard:
    """Start ``shelfsight serve`` as a separate process and wait until it prints its URL and token."""
    command = [SHELFSIGHT, "--log-level", "WARNING", "serve", "--db", str(run.out_dir / "shelfsight.db"),
               "--ingest", ingest, "--host", run.host, "--port", str(run.port)]  # fmt: skip
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


def edge_config_for(run: DemoRun, ingest: str) -> Path:
    """A copy of the demo's edge config that sends to ``ingest`` and spools under the output folder.

    Relative paths in the config (model files, video sources) are made absolute first, so the copy works
    from its new folder.
    """
    data = yaml.safe_load(run.config.read_text(encoding="utf-8"))
    base = run.config.resolve().parent
    for camera in data.get("cameras", []):
        for key in ("source", "model"):
            value = camera.get(key)
            if isinstance(value, str) and not Path(value).is_absolute() and (base / value).is_file():
                camera[key] = str(base / value)
    data["aggregator"] = {**data.get("aggregator", {}), "endpoint": ingest}
    data["spool"] = {**data.get("spool", {}), "directory": str((run.out_dir / "spool").resolve())}
    path = run.out_dir / "edge.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def start_edge(config: Path, out_dir: Path, health_port: int) -> subprocess.Popen[bytes]:
    """``shelfsight edge run CONFIG`` as its own process group (so a stop reaches every stage cleanly)."""
    log = (out_dir / "edge.log").open("w")
    command = [SHELFSIGHT, "--log-level", "INFO", "edge", "run", str(config), "--health-port", str(health_port)]
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=os.environ)


def stop(process: subprocess.Popen[bytes] | subprocess.Popen[str], timeout_s: float = 30.0) -> None:
    """SIGTERM, then SIGKILL after ``timeout_s``."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
