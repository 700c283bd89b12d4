"""MOTChallenge files: results written frame by frame read back identically; ground truth with visibility."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from shelfsight.vision.tracking.mot import MotFormatError, MotWriter, mot_table, read_mot, write_mot
from tests.builders import make_tracks


def test_results_round_trip(tmp_path: Path) -> None:
    frames = [
        make_tracks([[10.5, 20.25, 60.5, 200.0], [300, 40, 350, 230]], [7, 3], [0.91, 0.42]),
        make_tracks([], []),
        make_tracks([[12, 21, 62, 201]], [7], [0.88]),
    ]
    path = tmp_path / "pred.txt"
    with path.open("w") as handle:
        writer = MotWriter(handle)
        for number, tracks in enumerate(frames, start=1):
            writer.write(number, tracks)
    assert writer.rows == 3
    table = read_mot(path)
    assert table.frame.tolist() == [1, 1, 3]
    assert table.track_id.tolist() == [3, 7, 7]  # sorted by frame, then id
    np.testing.assert_allclose(table.xyxy[1], [10.5, 20.25, 60.5, 200.0])
    np.testing.assert_allclose(table.conf, [0.42, 0.91, 0.88])
    assert [len(rows) for _, rows in table.per_frame()] == [2, 0, 1]


def test_ground_truth_round_trip_keeps_mark_class_visibility(tmp_path: Path) -> None:
    gt = mot_table([2, 1, 1], [1, 2, 1], [[0, 0, 10, 20], [5, 5, 10, 20], [1, 1, 10, 20]], [1, 0, 1], [1, 7, 1],
                   [0.5, 1.0, 0.25])  # fmt: skip
    path = tmp_path / "gt.txt"
    write_mot(path, gt, ground_truth=True)
    back = read_mot(path)
    for column in ("frame", "track_id", "tlwh", "conf", "class_id", "visibility"):
        np.testing.assert_allclose(getattr(back, column), getattr(gt, column))
    assert back.frame.tolist() == [1, 1, 2] and back.track_id.tolist() == [1, 2, 1]


def test_space_separated_six_column_files_are_read(tmp_path: Path) -> None:
    path = tmp_path / "short.txt"
    path.write_text("1 4 10 10 5 5\n\n2 4 11 10 5 5\n")
    table = read_mot(path)
    assert table.track_id.tolist() == [4, 4] and table.visibility.tolist() == [1.0, 1.0]


@pytest.mark.parametrize(
    ("text", "error"),
    [("1,2,3\n", "short.txt:1: expected at least 6 columns"), ("0,1,1,1,1,1\n", "frame numbers are 1-based")],
)
def test_bad_files_name_the_problem(tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / "short.txt"
    path.write_text(text)
    with pytest.raises(MotFormatError, match=error):
        read_mot(path)


def test_writer_refuses_zero_based_frames(tmp_path: Path) -> None:
    with (tmp_path / "x.txt").open("w") as handle, pytest.raises(ValueError, match="1-based"):
        MotWriter(handle).write(0, make_tracks([], []))
