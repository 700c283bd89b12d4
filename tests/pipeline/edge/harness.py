"""Real processes for the edge runtime tests: `shelfsight serve` as the aggregator, `shelfsight edge run` as
the box, plain HTTP to both, and the box's SQLite spool read directly."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from shelfsight.vision.events.codec import from_json, from_msgpack
from shelfsight.vision.events.contract import AnyEvent
from tests.cli import SHELFSIGHT

ROOT = Path(__file__).resolve().parents[3]
DEMO_CONFIG = ROOT / "edge_config" / "demo.yaml"
START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(predicate: Callable[[], bool], *, timeout_s: float, what: str, every_s: float = 0.25) -> None:
    """Poll ``predicate`` until it holds; fail the test naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(every_s)


def get_json(url: str, token: str | None = None, timeout_s: float = 10.0) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        return json.loads(response.read())


def write_config(
    folder: Path,
    *,
    endpoint: str,
    base: Path = DEMO_CONFIG,
    sources: dict[str, str] | None = None,
    cameras: tuple[str, ...] | None = None,
    curve: dict[str, str] | None = None,
    camera_keys: dict[str, Any] | None = None,
    privacy: dict[str, object] | None = None,
) -> Path:
    """A copy of ``base`` sending to ``endpoint``, with camera sources replaced from ``sources``, only the
    ``cameras`` named (default all), CURVE keys (``server_public_key``, ``client_certificate_file``), ``camera_keys``
    set on every camera (``{"model": ..., "pose": {...}}``) and ``privacy`` settings merged in."""
    data = yaml.safe_load(base.read_text())
    data["aggregator"] = {"endpoint": endpoint, **(curve or {})}
    data["privacy"] = {**data.get("privacy", {}), **(privacy or {})}
    if cameras is not None:
        data["cameras"] = [camera for camera in data["cameras"] if camera["id"] in cameras]
    data.pop("spool", None)
    for camera in data["cameras"]:
        camera["source"] = (sources or {}).get(camera["id"], camera["source"])
        camera.update(camera_keys or {})
    path = folder / "edge.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


class Aggregator:
    """`shelfsight serve` on a fixed ingest endpoint and database, so it can be killed and started again."""

    def __init__(self, folder: Path, extra: tuple[str, ...] = ()) -> None:
        self.folder, self.extra = folder, extra
        self.ingest = f"tcp://127.0.0.1:{free_port()}"
        self.db = folder / "aggregator.db"
        self.process: subprocess.Popen[str] | None = None
        self.url = self.token = ""

    def start(self) -> None:
        command = [SHELFSIGHT, "serve", "--db", str(self.db), "--ingest", self.ingest, "--host", "127.0.0.1",
                   "--port", "0", "--retention-days", "36500", *self.extra]  # fmt: skip
        log = (self.folder / "serve.log").open("a")
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
        lines: queue.Queue[str] = queue.Queue()
        assert self.process.stdout is not None
        threading.Thread(target=lambda s: [lines.put(x) for x in s], args=(self.process.stdout,), daemon=True).start()
        printed: dict[str, str] = {}
        deadline = time.monotonic() + START_TIMEOUT_S
        while "admin token" not in printed:
            assert self.process.poll() is None, f"serve exited early: {(self.folder / 'serve.log').read_text()[-2000:]}"
            key, _, value = lines.get(timeout=max(0.1, deadline - time.monotonic())).strip().partition(": ")
            printed[key] = value.strip()
        self.url, self.token = printed["dashboard"].rstrip("/"), printed["admin token"].split()[0]
        wait_for(lambda: bool(self._health().get("ingest_running")), timeout_s=30, what="the aggregator's ingest")

    def _health(self) -> dict[str, Any]:
        try:
            return dict(get_json(f"{self.url}/api/v1/health", self.token))
        except (urllib.error.URLError, OSError):
            return {}

    def kill(self) -> None:
        """SIGKILL: no goodbye, as a crash or a pulled cable."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def events(self) -> list[dict[str, Any]]:
        """Every stored event (NDJSON feed), as JSON objects, in feed order."""
        request = urllib.request.Request(f"{self.url}/api/v1/events.ndjson",
                                         headers={"Authorization": f"Bearer {self.token}"})  # fmt: skip
        with urllib.request.urlopen(request, timeout=30) as response:
            return [json.loads(line) for line in response.read().decode().splitlines() if line.strip()]

    def journey(self, store_id: str, shopper_id: str) -> dict[str, Any]:
        """A shopper's journey as the API gives it."""
        return dict(get_json(f"{self.url}/api/v1/stores/{store_id}/shoppers/{shopper_id}", self.token))

    def shelves(self, store_id: str, since: float, until: float) -> dict[str, dict[str, Any]]:
        """Per shelf figures over a window (UTC epoch seconds): shelf id -> figures."""
        url = f"{self.url}/api/v1/stores/{store_id}/shelves?since={since:.0f}&until={until:.0f}"
        return {s["shelf_id"]: s["figures"] for s in get_json(url, self.token)["shelves"]}


class EdgeBox:
    """`shelfsight edge run CONFIG` as a subprocess, with its health endpoint on a free port."""

    def __init__(
        self, config: Path, folder: Path, *, replay: bool, extra: tuple[str, ...] = (), spool: Path | None = None
    ) -> None:
        self.health = f"http://127.0.0.1:{free_port()}"
        self.spool = spool or folder / "spool"
        self.log = folder / "edge.log"
        command = [SHELFSIGHT, "--log-level", "INFO", "edge", "run", str(config), "--health-port",
                   self.health.rsplit(":", 1)[1], "--spool-dir", str(self.spool), "--run-dir", str(folder / "run"),
                   *(["--replay"] if replay else []), *extra]  # fmt: skip
        with self.log.open("w") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=os.environ)

    def status(self) -> dict[str, Any]:
        try:
            return dict(get_json(f"{self.health}/status"))
        except (urllib.error.URLError, OSError):
            return {"stages": []}

    def metrics(self) -> str:
        """The box's Prometheus text (`GET /metrics`)."""
        with urllib.request.urlopen(f"{self.health}/metrics", timeout=10) as response:
            return str(response.read().decode())

    def stage(self, name: str) -> dict[str, Any]:
        return next((s for s in self.status()["stages"] if s["name"] == name), {})

    def counter(self, stage: str, name: str) -> float:
        return float(self.stage(stage).get("counters", {}).get(name, 0))

    def wait(self, timeout_s: float) -> int:
        try:
            return self.process.wait(timeout_s)
        except subprocess.TimeoutExpired as exc:
            self.process.kill()
            raise AssertionError(f"edge run did not finish in {timeout_s:.0f} s:\n{self.tail()}") from exc

    def terminate(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text()[-chars:]

    def spooled(self) -> list[AnyEvent]:
        """Events still in the box's spool (not yet acknowledged), oldest first; none before the spool exists."""
        if not (self.spool / "events.sqlite").exists():
            return []
        with contextlib.closing(sqlite3.connect(self.spool / "events.sqlite")) as db:
            return [from_msgpack(bytes(row[0])) for row in db.execute("SELECT payload FROM events ORDER BY seq")]


def offline_events(config: Path, folder: Path) -> dict[str, AnyEvent]:
    """`shelfsight run-offline` over every camera of ``config``: event id -> event."""
    config_cameras = [camera["id"] for camera in yaml.safe_load(config.read_text())["cameras"]]
    found: dict[str, AnyEvent] = {}
    for camera in config_cameras:
        out = folder / camera
        done = subprocess.run([SHELFSIGHT, "--log-level", "WARNING", "run-offline", "--config", str(config),
                               "--camera", camera, "--out", str(out)], capture_output=True, text=True, timeout=600,
                              check=False, env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        for line in (out / "events.jsonl").read_text().splitlines():
            event = from_json(line)
            found[str(event.event_id)] = event
    return found
