"""The spool on a real full disk (a tmpfs the test mounts and fills): issue 14, item 5.

Before: a put on a full disk raised "cannot rollback - no transaction is active" (SQLite had already rolled
back; the second ROLLBACK hid the real error), and an ack could not delete, so the publisher crashed on every
ack and sent the whole spool again after each restart.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from shelfsight.pipeline.spool import Spool, SpooledEvent, SpoolWriteError
from tests.small_fs import fill, small_filesystem

SIZE_MIB = 64


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with small_filesystem(tmp_path / "disk", SIZE_MIB) as folder:
        yield folder


def _events(prefix: str, n: int) -> list[SpooledEvent]:
    return [SpooledEvent(f"{prefix}-{i}", "cam", os.urandom(400), 1.0) for i in range(n)]


def _fill_spool(spool: Spool, batches: int) -> int:
    for n in range(batches):
        spool.put(_events(f"before-{n}", 20))
    return batches * 20


def test_a_full_disk_refuses_puts_cleanly_and_acks_still_delete(disk: Path) -> None:
    publisher = Spool(disk / "events.sqlite", reserve=True)
    writer = Spool(disk / "events.sqlite")
    stored = _fill_spool(writer, 1500)  # about 14 MB, so the database file holds most of it
    assert (disk / "events.sqlite.reserve").exists()
    filler = fill(disk)

    refused = 0
    for n in range(300):
        try:
            writer.put(_events(f"during-{n}", 5))
            stored += 5
        except SpoolWriteError as exc:
            assert exc.disk_full, exc
            assert "no transaction is active" not in str(exc)
            refused += 1
    assert refused > 0, "the disk never filled"
    assert len(writer) == stored, "a refused put left some of its events behind"

    acked = 0
    while (batch := publisher.take_batch(1000)) is not None:
        acked += publisher.ack(batch.batch_id)
    assert acked == stored and len(publisher) == 0
    assert publisher.acked_undeleted == 0 and publisher.write_error is None
    assert not (disk / "events.sqlite.reserve").exists(), "the reserve was given up to make the deletes possible"
    writer.put(_events("after", 5))  # the freed pages take new events again

    filler.unlink()
    publisher.maintain()
    assert (disk / "events.sqlite.reserve").exists(), "the reserve is held again once there is room"
    publisher.close()
    writer.close()


def test_acknowledged_events_that_cannot_be_deleted_are_never_handed_out_again(disk: Path) -> None:
    publisher = Spool(disk / "events.sqlite")  # no reserve: deletes fail while the disk is full
    writer = Spool(disk / "events.sqlite")
    writer.put(_events("a", 50))
    filler = fill(disk)
    batch = publisher.take_batch(20)
    assert batch is not None
    assert publisher.ack(batch.batch_id) == 20  # acknowledged, though the delete needed room it did not have
    assert publisher.acked_undeleted == 20 and publisher.write_error is not None
    assert len(publisher) == 30
    rest = publisher.take_batch(1000)
    assert rest is not None and not {e.event_id for e in rest.events} & {e.event_id for e in batch.events}
    publisher.release(rest.batch_id)
    filler.unlink()
    publisher.maintain()
    assert publisher.acked_undeleted == 0 and publisher.write_error is None and len(publisher) == 30
    reopened = Spool(disk / "events.sqlite")
    assert len(reopened) == 30, "the deferred delete reached the disk"
    for spool in (publisher, writer, reopened):
        spool.close()
