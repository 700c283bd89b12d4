"""The demo: the whole product on this machine, on the embedded default store.

`shelfsight serve` (ZeroMQ ingest, API and dashboard on SQLite) and `shelfsight edge run` (one process per
stage: synthetic cameras -> detector -> tracking and shelf events -> spool -> publisher) run as separate
processes, exactly as on a real deployment, joined by ZeroMQ over loopback. The demo config's synthetic
cameras loop their scenes live, stamped with the wall clock, so the dashboard fills in as you watch.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
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
    command = [
        SHELFSIGHT,
        "--log-level",
        "WARNING",
        "serve",
        "--db",
        str(run.out_dir / "shelfsight.db"),
        "--ingest",
        ingest,
        "--host",
        run.host,
        "--port",
        str(run.port),
    ]
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
        for key, pattern in (
            ("url", r"dashboard:\s+(\S+)"),
            ("sign_in", r"sign in:\s+(\S+)"),
            ("token", r"admin token:\s+(\S+)"),
        ):
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


LOG_TAIL_BYTES = 64 * 1024
"""How much of the end of the edge log is searched for the last error (a traceback is a few kB)."""


def last_error_line(log: Path) -> str | None:
    """The exception of the last traceback in the end of ``log`` (``SomeError: message``), or None."""
    try:
        with log.open("rb") as handle:
            handle.seek(max(0, log.stat().st_size - LOG_TAIL_BYTES))
            tail = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return None
    start = tail.rfind("Traceback (most recent call last):")
    if start < 0:
        return None
    # The traceback's frames are indented; the first line back at the margin names the exception.
    for line in tail[start:].splitlines()[1:]:
        if line and not line[0].isspace():
            return line.strip()
    return None


class StageWatch:
    """Tells the demo's terminal when a stage of the edge runtime dies and is restarted, with the error from the
    edge log: a stage that crash-loops must not hide in a log file while the terminal says all is well.

    Reads the edge runtime's own ``/status`` (restart counts per stage), so it reports what the supervisor saw.
    """

    def __init__(self, health_url: str, log: Path) -> None:
        self.health_url = health_url.rstrip("/")
        self.log = log
        self.restarts: dict[str, int] = {}

    def news(self) -> list[str]:
        """One line per stage restarted since the last call (empty while the status does not answer)."""
        try:
            with urllib.request.urlopen(f"{self.health_url}/status", timeout=5) as response:
                stages = json.loads(response.read())["stages"]
        except (urllib.error.URLError, OSError, ValueError, KeyError):
            return []
        lines = []
        for stage in stages:
            name, count = str(stage["name"]), int(stage["restarts"])
            seen = self.restarts.get(name, 0)
            self.restarts[name] = count
            if count > seen:
                error = last_error_line(self.log)
                lines.append(
                    f"edge: stage {name} died ({stage.get('last_exit') or 'no exit status'}) and was restarted "
                    f"({count} restart{'s' if count > 1 else ''} so far)"
                    + (f"; last error: {error}" if error else "")
                    + f"  (log: {self.log})"
                )
        return lines


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
