"""`shelfsight serve` takes its settings from one place: ``SHELFSIGHT_*`` environment variables, options on top.

Every setting documented in docs/dashboard.md is set through its environment variable here and must reach the
server's settings; an option overrides it only when given. A real `shelfsight serve` process then shows that the
environment alone sets retention, the ingest endpoint and the CURVE keys (each was ignored before: the options
had defaults of their own, and ``curve_public_keys`` never reached the server at all).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import zmq
import zmq.auth

from shelfsight.cli.serve_cmd import serve_settings
from shelfsight.dashboard.settings import DashboardSettings
from shelfsight.transport.envelope import decode, encode
from shelfsight.transport.messages import Ack, EventBatch
from shelfsight.vision.events.codec import to_msgpack
from tests.dashboard.scenario import BATCH_A
from tests.dashboard.serve_process import ROOT, free_port, start_server

DOCS = ROOT / "docs" / "dashboard.md"
CURVE_KEY = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
"""A well-formed 40-character Z85 public key (the ZeroMQ reference's example client key)."""

# For each setting: what its environment variable is set to, and the value the settings must then hold.
ENVIRONMENT: dict[str, tuple[str, object]] = {
    "db": ("other.db", "other.db"),
    "ingest_endpoint": ("tcp://127.0.0.1:5999", "tcp://127.0.0.1:5999"),
    "ingest_poll_ms": ("250", 250),
    "ingest_max_events_per_commit": ("500", 500),
    "ingest_max_message_bytes": ("1048576", 1048576),
    "curve_secret_key_file": ("/keys/server.key_secret", Path("/keys/server.key_secret")),
    "curve_public_keys_dir": ("/keys/edges", Path("/keys/edges")),
    "curve_public_keys": (f'["{CURVE_KEY}"]', (CURVE_KEY,)),
    "retention_days": ("30", 30.0),
    "retention_interval_s": ("60", 60.0),
    "open_visit_max_s": ("600", 600.0),
    "feed_page_max": ("50", 50),
    "live_queue_size": ("100", 100),
    "pages_require_token": ("false", False),
    "api_docs": ("false", False),
    "integrations_file": ("/etc/shelfsight/integrations.yaml", Path("/etc/shelfsight/integrations.yaml")),
}


def documented_settings() -> set[str]:
    """The setting names in the Settings table of docs/dashboard.md (a cell may name several)."""
    section = DOCS.read_text(encoding="utf-8").split("## Settings", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for row in section.splitlines():
        if row.startswith("| `"):
            names.update(re.findall(r"`([a-z_]+)`", row.split("|")[1]))
    return names


def test_every_setting_is_documented_and_tested() -> None:
    assert documented_settings() == set(DashboardSettings.model_fields) == set(ENVIRONMENT)


@pytest.mark.parametrize("name", sorted(ENVIRONMENT))
def test_environment_variable_reaches_serve(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    raw, expected = ENVIRONMENT[name]
    monkeypatch.setenv(f"SHELFSIGHT_{name.upper()}", raw)
    if name == "curve_secret_key_file":  # a CURVE server must allow some edge key
        monkeypatch.setenv("SHELFSIGHT_CURVE_PUBLIC_KEYS", f'["{CURVE_KEY}"]')
    settings = serve_settings(db=None, ingest_endpoint=None, retention_days=None)
    assert getattr(settings, name) == expected
    assert getattr(settings, name) != DashboardSettings.model_fields[name].default


def test_an_option_given_overrides_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHELFSIGHT_RETENTION_DAYS", "30")
    monkeypatch.setenv("SHELFSIGHT_DB", "env.db")
    settings = serve_settings(db="option.db", retention_days=7.0)
    assert (settings.db, settings.retention_days) == ("option.db", 7.0)


def test_no_ingest_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHELFSIGHT_INGEST_ENDPOINT", "tcp://127.0.0.1:5999")
    assert serve_settings(no_ingest=True).ingest_endpoint is None
    assert serve_settings(no_ingest=False).ingest_endpoint == "tcp://127.0.0.1:5999"


@pytest.mark.integration  # a real `shelfsight serve` process
def test_a_running_server_takes_retention_ingest_and_curve_keys_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, server_secret = zmq.auth.create_certificates(tmp_path, "aggregator")
    edge_public, edge_secret = zmq.auth.create_certificates(tmp_path, "edge")
    edge_key, _ = zmq.auth.load_certificate(edge_public)
    server_key, _ = zmq.auth.load_certificate(server_secret)
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    monkeypatch.setenv("SHELFSIGHT_RETENTION_DAYS", "30")
    monkeypatch.setenv("SHELFSIGHT_INGEST_ENDPOINT", endpoint)
    monkeypatch.setenv("SHELFSIGHT_CURVE_SECRET_KEY_FILE", str(server_secret))
    monkeypatch.setenv("SHELFSIGHT_CURVE_PUBLIC_KEYS", f'["{edge_key.decode()}"]')  # no folder: the list alone
    server = start_server(str(tmp_path / "agg.db"), ingest=None, log=tmp_path / "serve.log")
    context = zmq.Context()
    try:
        assert server.ingest == endpoint
        with server.client() as client:
            before = time.time()
            cutoff = client.post("/api/v1/admin/retention").json()["cutoff"]
            assert before - 30 * 86_400 - 60 < cutoff < time.time() - 30 * 86_400 + 60
        public, secret = zmq.auth.load_certificate(edge_secret)
        socket = context.socket(zmq.DEALER)
        socket.setsockopt(zmq.LINGER, 0)
        socket.curve_publickey, socket.curve_secretkey, socket.curve_serverkey = public, secret, server_key
        socket.connect(endpoint)
        batch = EventBatch("store-1", "*", "env-1", tuple(to_msgpack(e) for e in BATCH_A[:1]))
        socket.send_multipart(encode(batch.to_envelope()))
        assert socket.poll(30_000), "the edge key given only by SHELFSIGHT_CURVE_PUBLIC_KEYS got no ack"
        ack = Ack.from_envelope(decode(socket.recv_multipart()))
        assert ack.batch_id == "env-1"
        socket.close()
    finally:
        context.term()
        server.stop()
