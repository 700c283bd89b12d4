"""`shelfsight serve` as a real subprocess for tests: start it, read what it prints, wait until it is healthy.

Used by the end-to-end test, the browser screenshots and the restart-during-ingest test, so each talks to the
same process a user runs (uvicorn + ingest thread + migrations + startup token), not to an in-process app.
"""

from __future__ import annotations

import io
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx2 as httpx

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 30.0
RUN_AS_IN_A_TERMINAL = (
    "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); from shelfsight.cli import main; main()"
)
"""`shelfsight serve` with Ctrl-C's default action, as started from a terminal. A test run started in the background
(`pytest ... &` without job control, `nohup`) passes SIGINT on ignored; uvicorn would still stop on it, but then
re-raise it into the ignored state and exit 0 instead of 130, which is what the end-to-end test checks."""


@dataclass
class Server:
    """A running `shelfsight serve`: its URLs, the admin token it printed, the process and its log file."""

    url: str
    ingest: str
    token: str
    sign_in: str
    process: subprocess.Popen[str]
    log: Path
    _log_file: IO[str]

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=10.0)

    def stop(self) -> None:
        """Kill the process if it still runs (tests that stop it themselves have already waited for it)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self._log_file.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _read_lines(stream: io.TextIOBase, lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


def start_server(db: str, *, ingest: str | None, log: Path, port: int = 0, extra_args: Sequence[str] = ()) -> Server:
    """Start `shelfsight serve --db DB --ingest INGEST` on 127.0.0.1 and return once ingest is running.

    Args:
        db: Database URL or SQLite path (an existing one is migrated and reused, as on a real restart).
        ingest: ZeroMQ endpoint to bind; None leaves the option out (the server's settings decide, and
            `Server.ingest` is the endpoint it printed).
        log: File for the server's stderr (its log), appended to, so restarts keep one log.
        port: HTTP port; 0 picks a free one.
        extra_args: More `shelfsight serve` options.
    """
    given = ["--ingest", ingest] if ingest is not None else []
    command = [sys.executable, "-c", RUN_AS_IN_A_TERMINAL, "serve", "--db", db,
               *given, "--host", "127.0.0.1", "--port", str(port), *extra_args]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SHELFSIGHT_LOG_LEVEL": "INFO"}
    log_file = log.open("a")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log_file, text=True)
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
    printed: dict[str, str] = {}
    deadline = time.monotonic() + START_TIMEOUT_S
    while "ingest" not in printed:  # the banner's last line
        if process.poll() is not None:
            log_file.close()
            raise AssertionError(f"serve exited early with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            process.kill()
            log_file.close()
            raise AssertionError(f"serve printed no admin token within {START_TIMEOUT_S} s") from None
        key, _, value = line.strip().partition(": ")
        printed[key] = value.strip()
    url = printed["dashboard"].rstrip("/")
    server = Server(
        url,
        printed["ingest"].split()[0],
        printed["admin token"].split()[0],
        printed["sign in"].split()[0],
        process,
        log,
        log_file,
    )
    with server.client() as client:
        while True:
            try:
                if client.get("/api/v1/health").json()["ingest_running"]:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                server.stop()
                raise AssertionError("serve did not become healthy")
            time.sleep(0.1)
    return server
