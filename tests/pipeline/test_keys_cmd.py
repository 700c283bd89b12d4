"""`shelfsight keys gen` writes a CURVE pair that ZeroMQ accepts for an encrypted connection."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import zmq
import zmq.auth

pytestmark = pytest.mark.integration  # starts processes, servers or a browser

SHELFSIGHT = str(Path(sys.executable).parent / "shelfsight")


def test_generated_keys_make_a_curve_connection(tmp_path: Path) -> None:
    for name in ("aggregator", "store-1"):
        done = subprocess.run([SHELFSIGHT, "keys", "gen", name, "--out", str(tmp_path)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "aggregator.key_secret").stat().st_mode & 0o077 == 0
    server_public, server_secret = zmq.auth.load_certificate(tmp_path / "aggregator.key_secret")
    client_public, client_secret = zmq.auth.load_certificate(tmp_path / "store-1.key_secret")
    assert server_secret is not None and client_secret is not None
    context = zmq.Context()
    server, client = context.socket(zmq.PAIR), context.socket(zmq.PAIR)
    try:
        server.curve_server = True
        server.curve_publickey, server.curve_secretkey = server_public, server_secret
        port = server.bind_to_random_port("tcp://127.0.0.1")
        client.curve_serverkey = server_public
        client.curve_publickey, client.curve_secretkey = client_public, client_secret
        client.connect(f"tcp://127.0.0.1:{port}")
        for sock in (server, client):
            sock.setsockopt(zmq.RCVTIMEO, 3000)
            sock.setsockopt(zmq.LINGER, 0)
        client.send(b"hello")
        assert server.recv() == b"hello"
    finally:
        server.close()
        client.close()
        context.term()
