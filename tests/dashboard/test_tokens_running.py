"""`shelfsight tokens create` without ``--db`` (issue 15): it works on the running aggregator's database and says
so; with none running and no database at hand it stops and says what to pass, instead of filling a new file."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.dashboard.serve_process import free_port, start_server

pytestmark = pytest.mark.integration  # starts processes, servers or a browser

SHELFSIGHT = str(Path(sys.executable).parent / "shelfsight")


def _tokens_create(cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [SHELFSIGHT, "tokens", "create", "--name", "analyst"]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


def test_tokens_create_finds_the_running_aggregators_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))  # the record of running servers lives in the user's cache
    monkeypatch.delenv("SHELFSIGHT_DB", raising=False)
    db = (tmp_path / "aggregator.db").resolve()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    server = start_server(str(db), ingest=f"tcp://127.0.0.1:{free_port()}", log=tmp_path / "serve.log")
    try:
        done = _tokens_create(elsewhere)
        assert done.returncode == 0, done.stderr
        assert f"using the database of the running aggregator (pid {server.process.pid}): {db}" in done.stderr
        secret = done.stdout.strip().splitlines()[0]
        # The new token opens the running server's API: it went into the database that server reads.
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {secret}"}, timeout=10) as client:
            assert client.get("/api/v1/events").status_code == 200
        assert not (elsewhere / "shelfsight.db").exists()
    finally:
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=30)
        server.stop()
    assert list((home / ".cache" / "shelfsight" / "running").iterdir()) == []  # withdrawn at the stop
    done = _tokens_create(elsewhere)
    assert done.returncode == 2
    assert "no running aggregator found and no shelfsight.db here; pass --db FILE" in done.stderr
    assert not (elsewhere / "shelfsight.db").exists()
