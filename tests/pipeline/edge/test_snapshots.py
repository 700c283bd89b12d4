"""Audit frames with ``privacy.store_frames`` (issue 14, item 11): one per shelf event, heads pixelated unless
``blur_faces`` is false, deleted after ``stored_frames_retention_h``; nothing at all without ``store_frames``."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from shelfsight.edge_config.privacy import PrivacyConfig
from shelfsight.pipeline.edge.snapshots import EventSnapshots
from tests.builders import make_dets
from tests.vision.events.event_samples import sample_event

NOW = 1_767_603_600.0


def _frame() -> np.ndarray:
    """A checkerboard of 4-pixel squares: detail that survives JPEG, and that pixelation wipes out."""
    yy, xx = np.mgrid[0:240, 0:320]
    board = (((yy // 4) + (xx // 4)) % 2 * 200 + 30).astype(np.uint8)
    return np.repeat(board[:, :, None], 3, axis=2)


def _detail(image: np.ndarray) -> float:
    return float(cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())


PERSON = make_dets([[100, 40, 160, 200]], frame_size=(240, 320))


@pytest.mark.parametrize("blur", [True, False])
def test_one_frame_per_shelf_event_blurred_as_configured(tmp_path: Path, blur: bool) -> None:
    snapshots = EventSnapshots(tmp_path / "frames", PrivacyConfig(store_frames=True, blur_faces=blur),
                               clock=lambda: NOW)  # fmt: skip
    events = [sample_event("pickup"), sample_event("dwell"), sample_event("camera_status"), sample_event("touch")]
    assert snapshots.save(events, _frame(), PERSON) == 2  # the pick-up and the touch; not the dwell or the status
    names = sorted(f.name for f in (tmp_path / "frames").glob("*.jpg"))
    assert names == sorted(f"{round(e.ts * 1000)}-{e.type}-{e.event_id}.jpg" for e in (events[0], events[3]))
    stored = cv2.imread(str(tmp_path / "frames" / names[0]))
    head, body = _detail(stored[45:75, 105:155]), _detail(stored[150:190, 105:155])
    assert body > 1000  # the body is never redacted
    assert (head < body / 10) is blur


def test_frames_are_deleted_after_the_retention(tmp_path: Path) -> None:
    now = [NOW]
    snapshots = EventSnapshots(tmp_path, PrivacyConfig(store_frames=True, stored_frames_retention_h=2.0),
                               clock=lambda: now[0])  # fmt: skip
    snapshots.save([sample_event("pickup")], _frame(), PERSON)
    (old,) = tmp_path.glob("*.jpg")
    os.utime(old, (NOW - 3 * 3600, NOW - 3 * 3600))  # stored three hours ago
    snapshots.save([sample_event("touch")], _frame(), PERSON)  # a sweep ran a minute ago: not yet
    assert old.exists()
    now[0] += 61
    snapshots.save([], _frame(), PERSON)
    assert not old.exists() and len(list(tmp_path.glob("*.jpg"))) == 1 and snapshots.expired == 1


def test_an_unwritable_folder_skips_frames_without_failing(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("a file where the folder should be")
    snapshots = EventSnapshots(tmp_path / "file" / "frames", PrivacyConfig(store_frames=True))  # cannot be made
    assert snapshots.save([sample_event("pickup")], _frame(), PERSON) == 0
    assert snapshots.failed == 1
