"""Real receivers for the integration tests: a local HTTP webhook receiver, a mosquitto broker, an MQTT subscriber.

The broker is Debian's ``mosquitto`` (``bash .ci/mosquitto.sh`` installs it; `make test` runs that). Without it the
tests fail with that command, never skip. Every wait here polls a condition against a deadline.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from shelfsight.dashboard.integrations.webhook import signature

WAIT_S = 60.0
"""Longest a test waits for deliveries; generous because the machine may be busy, never slept through."""


def wait_for(
    condition: Callable[[], bool], what: str, timeout_s: float = WAIT_S, explain: Callable[[], object] | None = None
) -> None:
    """Poll ``condition`` until it holds; fail with ``what`` (and ``explain()``, the state) after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            state = f": {explain()}" if explain is not None else ""
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}{state}")
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    """One webhook request as the receiver saw it."""

    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


@dataclass
class WebhookReceiver:
    """A ThreadingHTTPServer on 127.0.0.1 that records every POST and answers ``status`` (settable)."""

    port: int
    status: int = 204
    requests: list[Received] = field(default_factory=list)
    gate: threading.Event | None = None
    """When set, each request waits for the gate to open before it is answered (a receiver that hangs)."""
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    receiver.requests.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
                if receiver.gate is not None:
                    receiver.gate.wait(WAIT_S)
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def received(self) -> list[Received]:
        with self._lock:
            return list(self.requests)

    def ids(self) -> list[str]:
        return [r.headers["x-shelfsight-event-id"] for r in self.received()]

    def check_signatures(self, secret: bytes) -> None:
        """Every request is signed with ``secret`` over its timestamp and body, and names its event's id."""
        for request in self.received():
            expected = signature(secret, request.headers["x-shelfsight-timestamp"], request.body)
            assert request.headers["x-shelfsight-signature"] == expected
            assert request.event["event_id"] == request.headers["x-shelfsight-event-id"]


def mosquitto_binary() -> str:
    found = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)
    if found is None:
        pytest.fail("the mosquitto broker is missing: run `bash .ci/mosquitto.sh` (make test does)", pytrace=False)
    return found


class Mosquitto:
    """A mosquitto broker on 127.0.0.1:``port`` in a process of its own (no config file: loopback only)."""

    def __init__(self, port: int, log: Path) -> None:
        self.port = port
        self._log = log.open("ab")
        self._process = subprocess.Popen([mosquitto_binary(), "-p", str(port), "-v"], stdout=self._log,
                                         stderr=subprocess.STDOUT)  # fmt: skip
        wait_for(self._listening, f"mosquitto to listen on port {port}", timeout_s=20)

    def _listening(self) -> bool:
        if self._process.poll() is not None:
            raise AssertionError(f"mosquitto exited with {self._process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
        except OSError:
            return False
        return True

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            self._process.wait(10)
        self._log.close()


class MqttCollector:
    """Subscribes to ``topic_filter`` (QoS 1) and keeps every (topic, payload) received."""

    def __init__(self, port: int, topic_filter: str = "shelfsight/#") -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-collector-{port}")
        self._client.on_connect = lambda client, *_: client.subscribe(topic_filter, qos=1)
        self._client.on_subscribe = lambda *_: self._subscribed.set()
        self._client.on_message = self._on_message
        self._client.connect("127.0.0.1", port)
        self._client.loop_start()
        wait_for(self._subscribed.is_set, "the MQTT subscription", timeout_s=20)

    def _on_message(self, _client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((message.topic, json.loads(message.payload)))

    def received(self) -> list[tuple[str, dict[str, Any]]]:
        with self._lock:
            return list(self.messages)

    def ids(self) -> list[str]:
        return [str(payload["event_id"]) for _, payload in self.received()]

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
