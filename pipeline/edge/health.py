"""The edge box's health endpoint: Prometheus metrics, a JSON status, and a liveness check.

    GET /metrics   Prometheus text: every stage's heartbeat counters as ``shelfsight_edge_<name>`` with
                   ``stage`` and ``camera`` labels (``*_total`` as counters, the rest as gauges), plus
                   ``shelfsight_edge_stage_up``, ``..._stage_restarts_total``, ``..._stage_stuck_restarts_total``
                   and ``..._heartbeat_age_seconds``.
    GET /status    The supervisor's snapshot as JSON (what ``shelfsight edge status`` prints).
    GET /healthz   200 when every stage that should run is running and the spool's disk has room, else 503
                   with the problems, one a line (`shelfsight.pipeline.edge.status.problems`).
    /zones...      The zones page, when the server is given one (`shelfsight.pipeline.edge.zones_page`): signed-in only.

It listens on loopback by default: metrics name cameras and stores, nothing more, but a box need not
expose them to the shop floor's network.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from shelfsight.pipeline.edge.status import EdgeStatus, healthy, problems
from shelfsight.pipeline.edge.zones_page import MAX_BODY_BYTES, ZONES_HEADERS, ZonesPage

logger = logging.getLogger(__name__)

PREFIX = "shelfsight_edge_"
_UNSAFE = re.compile(r"[^a-zA-Z0-9_]")

Snapshot = Callable[[], EdgeStatus]

__all__ = ["HealthServer", "StageCollector", "healthy", "problems"]


class StageCollector(Collector):
    """Turns the supervisor's snapshot into metric families at each scrape."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        state = self.snapshot()
        labels = ["stage", "camera"]
        up = GaugeMetricFamily(f"{PREFIX}stage_up", "1 while the stage's process runs.", labels=labels)
        restarts = CounterMetricFamily(f"{PREFIX}stage_restarts", "Restarts by the supervisor.", labels=labels)
        stuck = CounterMetricFamily(
            f"{PREFIX}stage_stuck_restarts", "Restarts of a running stage whose heartbeats stopped.", labels=labels
        )
        age = GaugeMetricFamily(f"{PREFIX}heartbeat_age_seconds", "Seconds since the last heartbeat.", labels=labels)
        families: dict[str, GaugeMetricFamily | CounterMetricFamily] = {}
        for stage in state.stages:
            values = [stage.stage.value, stage.camera]
            up.add_metric(values, 1.0 if stage.alive else 0.0)
            restarts.add_metric(values, float(stage.restarts))
            stuck.add_metric(values, float(stage.stuck_restarts))
            if stage.heartbeat_age_s is not None:
                age.add_metric(values, stage.heartbeat_age_s)
            for name, value in stage.counters.items():
                metric = _UNSAFE.sub("_", name)
                if metric.endswith("_total"):
                    base = metric.removesuffix("_total")
                    family = families.setdefault(metric, CounterMetricFamily(f"{PREFIX}{base}", name, labels=labels))
                else:
                    family = families.setdefault(metric, GaugeMetricFamily(f"{PREFIX}{metric}", name, labels=labels))
                family.add_metric(values, float(value))
        yield up
        yield restarts
        yield stuck
        yield age
        yield from families.values()


class HealthServer:
    """Serves the endpoints above from a thread; ``port`` 0 picks a free one (see ``.port`` after start)."""

    def __init__(
        self, snapshot: Snapshot, host: str = "127.0.0.1", port: int = 9108, *, zones: ZonesPage | None = None
    ) -> None:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(StageCollector(snapshot))

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if zones is not None and (path == "/zones" or path.startswith("/zones/")):
                    self._zones("GET", path)
                elif path == "/metrics":
                    self._reply(200, generate_latest(registry), "text/plain; version=0.0.4; charset=utf-8")
                elif path == "/status":
                    self._reply(200, snapshot().model_dump_json().encode(), "application/json")
                elif path == "/healthz":
                    found = problems(snapshot())
                    text = "".join(f"{line}\n" for line in found) or "ok\n"
                    self._reply(503 if found else 200, text.encode(), "text/plain; charset=utf-8")
                else:
                    self._reply(404, b"not found: try /metrics, /status or /healthz\n", "text/plain")

            def do_PUT(self) -> None:
                path = self.path.split("?", 1)[0]
                if zones is None or not path.startswith("/zones/"):
                    self._reply(404, b"not found\n", "text/plain")
                    return
                self._zones("PUT", path)

            def _zones(self, method: str, path: str) -> None:
                assert zones is not None
                try:
                    length = int(self.headers.get("Content-Length") or 0)
                except ValueError:
                    length = -1
                if not 0 <= length <= MAX_BODY_BYTES:
                    self._reply(413, b"Content-Length must be a number of bytes up to 1000000\n", "text/plain")
                    return
                signed_in = zones.authorised(self.headers.get("Authorization"))
                body = self.rfile.read(length) if length and signed_in else b""  # strangers' bodies go unread
                headers = {name.lower(): value for name, value in self.headers.items()}
                try:
                    reply = zones.handle(method, path, headers, body)
                except Exception:  # the request boundary: one bad request never stops the server
                    logger.exception("zones page: %s %s failed", method, path)
                    self._reply(500, b"the zones page failed; see the edge's log\n", "text/plain")
                    return
                self._reply(reply.code, reply.body, reply.content_type, {**ZONES_HEADERS, **reply.headers})

            def _reply(self, code: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                logger.debug("health %s", format % args)

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self.host, self.port = host, int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name="health", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
