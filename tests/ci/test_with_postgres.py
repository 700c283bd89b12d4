"""`make test`'s PostgreSQL (issue 15): the throwaway server `.ci/with-postgres.sh` starts for the tests is stopped
and its folder removed when they end, and the tests' exit status is kept."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.processes import alive

pytestmark = pytest.mark.integration  # starts processes, servers or a browser

ROOT = Path(__file__).resolve().parents[2]
REPORT = 'echo "dsn=$SHELFSIGHT_TEST_POSTGRES_DSN"; echo "dir=$SHELFSIGHT_PG_DIR"; '
REPORT += 'echo "pid=$(head -n 1 "$SHELFSIGHT_PG_DIR/data/postmaster.pid")"; exit 3'


def test_the_server_started_for_the_tests_is_stopped_after_them() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("SHELFSIGHT_TEST_POSTGRES_DSN", "SHELFSIGHT_PG_DIR")}
    command = ["bash", str(ROOT / ".ci" / "with-postgres.sh"), "sh", "-c", REPORT]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=180, check=False)
    said = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    assert said.get("dsn", "").startswith("postgresql://"), done.stderr  # the tests saw a server
    assert done.returncode == 3  # the tests' own status
    assert not alive(int(said["pid"])), "the PostgreSQL server outlived the tests"
    assert not Path(said["dir"]).exists()


def test_a_given_server_is_used_and_left_alone() -> None:
    env = {**os.environ, "SHELFSIGHT_TEST_POSTGRES_DSN": "postgresql://someone@127.0.0.1:1/db"}
    command = ["bash", str(ROOT / ".ci" / "with-postgres.sh"), "sh", "-c", 'echo "$SHELFSIGHT_TEST_POSTGRES_DSN"']
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "postgresql://someone@127.0.0.1:1/db"
    assert "postgres.sh" not in done.stderr  # nothing was started
