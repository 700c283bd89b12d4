"""The camera status an event stage records (issue 14, item 4): from the capture's reports, the frames that
arrive and the spool's disk, only changes, and a mark on disk that outlives a power cut."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shelfsight.pipeline.edge.camera_state import (
    DISK_FREE,
    DISK_FULL,
    RESUMED,
    CameraStatusKeeper,
    StatusChange,
    StatusMark,
    StatusMarks,
)

T0 = 1_767_603_600.0


def test_a_lifecycle_records_only_changes() -> None:
    keeper = CameraStatusKeeper()
    steps = [
        keeper.on_capture("offline", "starting: no frames yet", T0),
        keeper.on_capture("offline", "cannot open: refused", T0 + 1),  # still offline: nothing new
        keeper.on_capture("online", "stream opened", T0 + 2),
        keeper.on_frame(T0 + 2.2),
        keeper.on_disk(True, T0 + 3, DISK_FULL),
        keeper.on_capture("degraded", "dropping 30% of frames", T0 + 4),  # already degraded by the disk
        keeper.on_capture("online", "keeping up again", T0 + 5),  # still degraded: the disk
        keeper.on_disk(False, T0 + 6, DISK_FREE),
        keeper.on_capture("offline", "edge stopped", T0 + 7),
    ]
    assert steps == [
        StatusChange("offline", "starting: no frames yet", T0), None,
        StatusChange("online", "stream opened", T0 + 2), None,
        StatusChange("degraded", DISK_FULL, T0 + 3), None, None,
        StatusChange("online", DISK_FREE, T0 + 6),
        StatusChange("offline", "edge stopped", T0 + 7),
    ]  # fmt: skip


def test_a_restarted_stage_that_hears_only_frames_says_online() -> None:
    keeper = CameraStatusKeeper(recorded="offline")  # it closed the previous run's status at start
    assert keeper.on_frame(T0) == StatusChange("online", RESUMED, T0)
    assert keeper.on_frame(T0 + 1) is None


def test_an_offline_camera_is_not_made_degraded_by_the_disk() -> None:
    keeper = CameraStatusKeeper()
    keeper.on_capture("offline", "stream lost", T0)
    assert keeper.on_disk(True, T0 + 1, DISK_FULL) is None
    assert keeper.on_capture("online", "stream opened", T0 + 2) == StatusChange("degraded", "stream opened", T0 + 2)


def test_marks_round_trip_and_are_rate_limited(tmp_path: Path) -> None:
    marks = StatusMarks(tmp_path, "cam")
    assert marks.read() is None
    marks.write("online", T0, now=100.0, force=True)
    marks.write("online", T0 + 1, now=100.5)  # within ALIVE_EVERY_S of the last write: skipped
    assert marks.read() == StatusMark("online", T0)
    marks.write("online", T0 + 5, now=103.0)
    assert marks.read() == StatusMark("online", T0 + 5)


@pytest.mark.parametrize(
    "content", ["not json", json.dumps({"status": "online"}), json.dumps({"status": "lost", "alive_at": T0}),
                json.dumps({"status": "online", "alive_at": 5.0})],
)  # fmt: skip
def test_a_broken_mark_is_ignored(tmp_path: Path, content: str) -> None:
    (tmp_path / "status-cam.json").write_text(content)
    assert StatusMarks(tmp_path, "cam").read() is None


def test_a_mark_that_cannot_be_written_does_not_stop_the_stage(tmp_path: Path) -> None:
    marks = StatusMarks(tmp_path / "missing-folder", "cam")
    marks.write("online", T0, now=1.0, force=True)  # logged, not raised
    assert marks.read() is None
