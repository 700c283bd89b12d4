"""A full disk on a live edge box (issue 14, item 5): real processes, a real aggregator, and the spool on a real
64 MiB filesystem (a tmpfs this test mounts) that the test fills to the last byte.

Before: the event stage crash-looped and lost events uncounted; the publisher crashed on every ack and sent the
whole spool again after each restart (471 events became 942 duplicates). Now: frames are dropped (counted) and
the camera is ``degraded``; the events wait; the publisher keeps acknowledging (giving up its disk reserve so the
deletes can happen), which makes room; nothing restarts; health says so while it lasts. Every event the spool
ever accepted (its audit table, independent of the aggregator) is at the aggregator or still in the spool, and
the aggregator saw at most one batch twice.
"""

from __future__ import annotations

import contextlib
import sqlite3
import urllib.error
import urllib.request
from pathlib import Path

from shelfsight.pipeline.edge.camera_state import DISK_FREE, DISK_FULL
from tests.cli import run_shelfsight
from tests.pipeline.edge.harness import Aggregator, EdgeBox, get_json, wait_for, write_config
from tests.small_fs import fill, small_filesystem

DISK_MIB = 64
EVENTS = "events:aisle-cam"
TIMEOUT_S = 300.0


def _healthz(box: EdgeBox) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"{box.health}/healthz", timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _written(spool: Path) -> set[str]:
    """Every event id the spool ever stored (``--spool-audit``)."""
    with contextlib.closing(sqlite3.connect(spool / "events.sqlite")) as db:
        return {row[0] for row in db.execute("SELECT event_id FROM written")}


def test_full_disk_drops_frames_keeps_acking_and_loses_nothing(tmp_path: Path) -> None:
    aggregator = Aggregator(tmp_path)
    aggregator.start()
    with small_filesystem(tmp_path / "disk", DISK_MIB) as disk:
        config = write_config(tmp_path, endpoint=aggregator.ingest, cameras=("aisle-cam",))
        box = EdgeBox(config, tmp_path, replay=False, spool=disk, extra=("--spool-audit",))
        try:
            wait_for(lambda: len(aggregator.events()) >= 2, timeout_s=TIMEOUT_S,
                     what=f"the first events at the aggregator\n{box.tail()}")  # fmt: skip
            aggregator.kill()  # events pile up in the spool...
            wait_for(lambda: len(box.spooled()) >= 1, timeout_s=TIMEOUT_S, what="an event waiting in the spool")
            filler = fill(disk)  # ...and then the disk is full
            wait_for(lambda: box.counter(EVENTS, "disk_full") == 1, timeout_s=TIMEOUT_S,
                     what=f"the event stage to notice the full disk\n{box.tail()}")  # fmt: skip
            wait_for(lambda: box.counter(EVENTS, "frames_dropped_total") >= 10, timeout_s=TIMEOUT_S,
                     what="frames dropped while the disk is full")  # fmt: skip
            code, text = _healthz(box)
            assert code == 503 and f"{EVENTS}: the spool's disk is full" in text, (code, text)
            status = run_shelfsight("edge", "status", "--url", box.health)
            assert status.returncode == 1 and "DISK FULL" in status.stdout, status.stdout + status.stderr

            aggregator.start()  # the publisher acknowledges and deletes, which makes room for the events
            wait_for(lambda: box.counter(EVENTS, "disk_full") == 0, timeout_s=TIMEOUT_S,
                     what=f"the event stage to store events again\n{box.tail()}")  # fmt: skip
            filler.unlink()
            wait_for(lambda: box.counter("publisher", "disk_full") == 0 and _healthz(box)[0] == 200,
                     timeout_s=TIMEOUT_S, what="the publisher's disk reserve back and the box healthy")  # fmt: skip
            wait_for(lambda: box.counter("publisher", "spool_events") == 0, timeout_s=TIMEOUT_S,
                     what="the spool to drain")  # fmt: skip
            stages = box.status()["stages"]
            assert all(s["restarts"] == 0 for s in stages), stages  # no crash loop
            assert box.counter(EVENTS, "events_lost_total") == 0
            box.terminate()
            assert box.wait(60) == 0, box.tail()
        finally:
            box.terminate()
        produced, left = _written(disk), {str(e.event_id) for e in box.spooled()}
    try:
        rows = aggregator.events()
        ingest = get_json(f"{aggregator.url}/api/v1/admin/ingest", aggregator.token)
    finally:
        aggregator.stop()
    stored = [row["event_id"] for row in rows]
    assert len(stored) == len(set(stored))
    assert produced - set(stored) - left == set(), "an event the spool accepted is neither delivered nor waiting"
    assert ingest["duplicates"] <= 1000, ingest  # at most the batch in flight sent twice, never a storm
    statuses = [(row["status"], row["reason"]) for row in rows if row["type"] == "camera_status"]
    at = statuses.index(("degraded", DISK_FULL))
    assert statuses[at + 1] == ("online", DISK_FREE), statuses
