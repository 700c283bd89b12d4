"""A stage of the demo's edge runtime that dies at every start is shown in the demo's own terminal, with the
error, not only in `edge.log` (issue 15: 14 tracebacks in 90 s while the terminal said events were coming)."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from shelfsight.edge_config.tracker import REID_MODEL
from shelfsight.models.registry import get_spec

pytestmark = pytest.mark.integration  # starts processes, servers or a browser

SHELFSIGHT = str(Path(sys.executable).parent / "shelfsight")
SEEN_WITHIN_S = 180.0
"""Edge start-up plus the supervisor's first restart, on a busy two-core machine (seconds)."""


def _lines(stream: object, into: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        into.put(line)


def test_a_crash_looping_stage_is_shown_in_the_demo_terminal(models_dir: Path, tmp_path: Path) -> None:
    # A models folder whose ReID file is there but broken (a cut-off copy): the pre-flight finds every file, and
    # each event stage dies building its tracker, at every restart.
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "yolox_nano_416.onnx").symlink_to(models_dir / "yolox_nano_416.onnx")
    broken = folder / get_spec(REID_MODEL).file
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"")
    env = {**os.environ, "SHELFSIGHT_MODELS_DIR": str(folder)}
    command = [SHELFSIGHT, "--log-level", "WARNING", "demo", "--out", str(tmp_path / "run"), "--port", "0"]
    demo = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    said: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(demo.stderr, said), daemon=True).start()
    shown = ""
    try:
        deadline = time.monotonic() + SEEN_WITHIN_S
        while "edge: stage events:" not in shown:
            assert demo.poll() is None, f"the demo stopped early: {shown}"
            assert time.monotonic() < deadline, f"no stage restart was shown in {SEEN_WITHIN_S:.0f} s: {shown}"
            with contextlib.suppress(queue.Empty):
                shown += said.get(timeout=1.0)
    finally:
        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=60) == 0
    line = next(line for line in shown.splitlines() if line.startswith("edge: stage events:"))
    assert "died (exit code 1) and was restarted" in line
    assert str(broken) in line  # the error itself, from the edge log's last traceback
    assert str(tmp_path / "run" / "edge.log") in line
