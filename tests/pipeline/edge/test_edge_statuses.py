"""Camera statuses at start and after a power cut (issue 14, item 4), on a live box of real processes.

A camera that never opens must say ``offline`` (it used to say nothing at all, so the aggregator knew nothing
of it). A power cut (every process killed at once, nothing recorded) used to leave the last status ``online``
for ever, so the dead time counted as covered; the next start must record ``offline`` at the time frames were
last seen, before anything else of that camera.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from shelfsight.pipeline.edge.camera_state import StatusMarks
from shelfsight.vision.events.contract import CameraStatusEvent
from tests.pipeline.edge.harness import EdgeBox, free_port, wait_for, write_config

START_TIMEOUT_S = 180.0


def _statuses(box: EdgeBox, camera: str) -> list[CameraStatusEvent]:
    return [e for e in box.spooled() if isinstance(e, CameraStatusEvent) and e.camera_id == camera]


def _power_cut(box: EdgeBox) -> float:
    """SIGKILL every stage and the supervisor at once (stages first: none is left to notice); returns when."""
    pids = [stage["pid"] for stage in box.status()["stages"] if stage["pid"]]
    cut_at = time.time()
    for pid in [*pids, box.process.pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    box.process.wait(30)
    return cut_at


def _alive_at(spool: Path, camera: str) -> float:
    """The last-seen time in the camera's status mark (0 before there is one)."""
    mark = StatusMarks(spool, camera).read()
    return mark.alive_at if mark is not None else 0.0


def test_dead_camera_is_offline_and_a_power_cut_is_closed_at_the_next_start(tmp_path: Path) -> None:
    dead = f"rtsp://127.0.0.1:{free_port()}/nothing-listens-here"
    config = write_config(tmp_path, endpoint=f"tcp://127.0.0.1:{free_port()}", sources={"endcap-cam": dead})
    first = EdgeBox(config, tmp_path, replay=False)
    try:
        wait_for(lambda: [e.status for e in _statuses(first, "aisle-cam")] == ["offline", "online"],
                 timeout_s=START_TIMEOUT_S, what=f"aisle-cam online\n{first.tail()}")  # fmt: skip
        wait_for(lambda: first.counter("capture:endcap-cam", "open_failures_total") >= 1, timeout_s=60,
                 what="the dead camera to fail to open")  # fmt: skip
        wait_for(lambda: [e.status for e in _statuses(first, "endcap-cam")] == ["offline"], timeout_s=60,
                 what="the dead camera's offline status in the spool")  # fmt: skip
        online_at = _statuses(first, "aisle-cam")[1].ts
        wait_for(lambda: _alive_at(first.spool, "aisle-cam") >= online_at + 3.0, timeout_s=120,
                 what="the last-seen mark to follow the frames")  # fmt: skip
        seen = _alive_at(first.spool, "aisle-cam")
        cut_at = _power_cut(first)
    finally:
        first.terminate()

    (tmp_path / "second").mkdir()
    second = EdgeBox(config, tmp_path / "second", replay=False, spool=first.spool)
    try:
        wait_for(lambda: len(_statuses(first, "aisle-cam")) >= 4, timeout_s=START_TIMEOUT_S,
                 what=f"aisle-cam's statuses after the restart\n{second.tail()}")  # fmt: skip
        second.terminate()
        assert second.wait(60) == 0, second.tail()
    finally:
        second.terminate()
    aisle = _statuses(first, "aisle-cam")
    assert [e.status for e in aisle] == ["offline", "online", "offline", "online", "offline"], aisle
    closed = aisle[2]
    assert "power cut" in closed.reason, closed
    assert seen <= closed.ts <= cut_at, "the cut is closed at the last frame seen, not at the restart"
    assert aisle[3].ts > cut_at
    endcap = _statuses(first, "endcap-cam")
    assert [e.status for e in endcap] == ["offline"], endcap  # never online, and not repeated at each start
