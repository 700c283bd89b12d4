"""The supervisor restarts a stage that hangs, not only one that dies (issue 16, item 2), on a live box of real
processes.

The hang is real: the camera's event stage is frozen with SIGSTOP, so its process still exists (a dead-process
check sees nothing wrong) but it neither beats nor reads frames nor answers SIGTERM, as a stage blocked in a
driver or a deadlocked library. The watchdog must notice the silence, escalate to SIGKILL after its grace, and
start the stage again; frames then flow through the new process.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

import yaml

from shelfsight.pipeline.edge.watchdog import STOP_GRACE_S
from tests.cli import run_shelfsight
from tests.pipeline.edge.harness import EdgeBox, free_port, wait_for, write_config

STUCK_AFTER_S = 15.0
"""Short enough for a test, long enough that no healthy stage of a busy two-core machine goes this long without
a beat (each beats about once a second)."""
HUNG = "events:aisle-cam"


def test_a_hung_stage_is_restarted_by_the_watchdog(tmp_path: Path) -> None:
    config = write_config(tmp_path, endpoint=f"tcp://127.0.0.1:{free_port()}")
    data = yaml.safe_load(config.read_text())
    data["watchdog"] = {"stuck_after_s": STUCK_AFTER_S}
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    box = EdgeBox(config, tmp_path, replay=False)
    frozen: int | None = None
    try:
        wait_for(lambda: box.counter(HUNG, "frames_total") >= 5, timeout_s=180, what=f"frames through {HUNG}")
        frozen = int(box.stage(HUNG)["pid"])
        os.kill(frozen, signal.SIGSTOP)
        wait_for(
            lambda: box.stage(HUNG).get("restarts") == 1 and box.stage(HUNG)["alive"],
            timeout_s=STUCK_AFTER_S + STOP_GRACE_S + 60,
            what=f"the watchdog to restart the hung {HUNG}\n{box.tail()}",
        )
        stage = box.stage(HUNG)
        assert stage["pid"] != frozen and stage["stuck_restarts"] == 1, stage
        assert stage["last_exit"].startswith("stuck: no heartbeat for "), stage
        assert stage["last_exit"].endswith("killed by SIGKILL"), stage  # a frozen process ignores SIGTERM
        wait_for(lambda: box.counter(HUNG, "frames_total") >= 3, timeout_s=120, what=f"frames through the new {HUNG}")

        log = box.tail(500_000)
        assert f"stage={HUNG} camera=aisle-cam pid={frozen} stuck: no heartbeat for" in log
        assert f"stage={HUNG} did not stop in {STOP_GRACE_S:.0f} s; killing it" in log
        others = [s for s in box.status()["stages"] if s["name"] != HUNG]
        assert all(s["alive"] and s["restarts"] == 0 for s in others), others  # healthy stages were left alone
        metrics = box.metrics()
        assert 'shelfsight_edge_stage_stuck_restarts_total{camera="aisle-cam",stage="events"} 1.0' in metrics
        assert 'shelfsight_edge_stage_restarts_total{camera="aisle-cam",stage="events"} 1.0' in metrics
        shown = run_shelfsight("edge", "status", "--url", box.health)
        assert shown.returncode == 0, shown.stdout + shown.stderr  # restarted and running again: no problem

        box.terminate()
        assert box.wait(60) == 0, box.tail()
    finally:
        box.terminate()
        if frozen is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(frozen, signal.SIGKILL)  # never leave a frozen process behind, whatever failed
