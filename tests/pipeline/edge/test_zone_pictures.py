"""The event stage's picture writer: when it writes, that the file is a whole PNG of the frame's size without the
person, and that a disk that refuses the file is counted, not raised."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from shelfsight.pipeline.edge.zone_pictures import FIRST_WRITE_AFTER_S, SAMPLE_EVERY_S, WRITE_EVERY_S, ZonePictureWriter

T0 = 1_700_000_000.0


def _frame() -> np.ndarray:
    frame = np.full((90, 160, 3), (50, 110, 70), np.uint8)
    frame[20:60, 30:130] = (200, 180, 40)
    return frame


def test_writes_soon_then_every_write_period_a_png_without_the_person(tmp_path: Path) -> None:
    path = tmp_path / "zones" / "cam.png"
    writer = ZonePictureWriter(path)
    person = (100.0, 10.0, 140.0, 85.0)
    frame = _frame()
    frame[10:85, 100:140] = (0, 0, 255)  # the person, in a colour the scene lacks
    fps = 10
    wrote_at = []
    for i in range(int((FIRST_WRITE_AFTER_S + WRITE_EVERY_S + 1) * fps)):
        t = T0 + i / fps
        if writer.offer(frame, np.array([person], np.float32), t):
            wrote_at.append(t - T0)
    assert writer.picture is not None and writer.picture.frames < i / (SAMPLE_EVERY_S * fps) + 2  # sampled
    assert wrote_at == [FIRST_WRITE_AFTER_S, FIRST_WRITE_AFTER_S + WRITE_EVERY_S]
    image = cv2.imread(str(path))
    assert image is not None and image.shape == frame.shape
    assert not ((image[:, :, 2] > 200) & (image[:, :, 0] < 60)).any(), "the person's pixels reached the picture"
    assert np.array_equal(image[30:50, 40:90], frame[30:50, 40:90])  # the shelf, as seen
    assert list(path.parent.iterdir()) == [path]  # no temporary file left


def test_a_file_that_cannot_be_written_is_counted(tmp_path: Path) -> None:
    blocker = tmp_path / "zones"
    blocker.write_text("a file where the folder should be")
    writer = ZonePictureWriter(blocker / "cam.png")
    for i in range(30):
        writer.offer(_frame(), np.zeros((0, 4), np.float32), T0 + i * 0.5)
    assert writer.written == 0 and writer.failed >= 1
