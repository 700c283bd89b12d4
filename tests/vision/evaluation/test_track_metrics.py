"""The TrackEval wrapper on tiny hand-made sequences whose IDF1, id switches and MOTA are worked out by hand."""

from __future__ import annotations

import pytest

from shelfsight.vision.evaluation.track_metrics import evaluate_tracks
from shelfsight.vision.tracking.mot import mot_table

P1 = [0.0, 0.0, 50.0, 100.0]  # tlwh
P2 = [200.0, 0.0, 50.0, 100.0]


def _two_people(frames: int = 4) -> tuple[list[int], list[int], list[list[float]]]:
    frame = [f for f in range(1, frames + 1) for _ in range(2)]
    return frame, [1, 2] * frames, [P1, P2] * frames


def test_perfect_tracks_score_one() -> None:
    frame, ids, boxes = _two_people()
    gt = mot_table(frame, ids, boxes, class_id=[1] * 8, visibility=[1.0] * 8)
    metrics = evaluate_tracks(gt, mot_table(frame, [5, 9] * 4, boxes))
    assert (metrics.hota, metrics.idf1, metrics.mota) == pytest.approx((1.0, 1.0, 1.0))
    assert metrics.id_switches == metrics.fragmentations == metrics.false_positives == 0


def test_one_id_switch_halfway() -> None:
    """Person 1 is track 7 for frames 1-2 and track 9 for 3-4: IDF1 = 6/8, one switch, MOTA = 1 - 1/8."""
    frame, ids, boxes = _two_people()
    gt = mot_table(frame, ids, boxes, class_id=[1] * 8)
    pred = mot_table(frame, [7, 8, 7, 8, 9, 8, 9, 8], boxes)
    metrics = evaluate_tracks(gt, pred)
    assert metrics.idf1 == pytest.approx(0.75)
    assert metrics.id_switches == 1
    assert metrics.mota == pytest.approx(0.875)
    assert metrics.pred_ids == 3 and metrics.gt_ids == 2


def test_a_gap_is_a_fragmentation_and_misses_count() -> None:
    """Person 1 untracked in frame 2 of 4 (same id after): 1 fragmentation, 1 FN, IDF1 = 2*7/(8+7)."""
    frame, ids, boxes = _two_people()
    gt = mot_table(frame, ids, boxes, class_id=[1] * 8)
    keep = [0, 1, 3, 4, 5, 6, 7]
    pred = mot_table([frame[i] for i in keep], [[3, 4][i % 2] for i in keep], [boxes[i] for i in keep])
    metrics = evaluate_tracks(gt, pred)
    assert metrics.fragmentations == 1 and metrics.false_negatives == 1 and metrics.id_switches == 0
    assert metrics.idf1 == pytest.approx(14 / 15)


def test_barely_visible_ground_truth_is_dont_care() -> None:
    """Person 2 is 10 % visible in frame 4: missing it is no FN, and tracking it is no FP."""
    frame, ids, boxes = _two_people()
    visibility = [1.0] * 7 + [0.1]
    gt = mot_table(frame, ids, boxes, class_id=[1] * 8, visibility=visibility)
    without = mot_table(frame[:7], [3, 4] * 3 + [3], boxes[:7])
    with_it = mot_table(frame, [3, 4] * 4, boxes)
    for pred in (without, with_it):
        metrics = evaluate_tracks(gt, pred, min_visibility=0.25)
        assert metrics.false_negatives == metrics.false_positives == 0 and metrics.idf1 == pytest.approx(1.0)
    strict = evaluate_tracks(gt, without, min_visibility=0.0)
    assert strict.false_negatives == 1


def test_false_positive_track_lowers_precision() -> None:
    frame, ids, boxes = _two_people(2)
    gt = mot_table(frame, ids, boxes, class_id=[1] * 4)
    pred = mot_table([*frame, 1, 2], [1, 2, 1, 2, 3, 3], [*boxes, [600, 0, 50, 100], [600, 0, 50, 100]])
    metrics = evaluate_tracks(gt, pred)
    assert metrics.false_positives == 2
    assert metrics.mota == pytest.approx(0.5)
    assert metrics.idf1 == pytest.approx(2 * 4 / (4 + 6))


def test_duplicate_ids_in_a_frame_are_refused() -> None:
    gt = mot_table([1, 1], [1, 1], [P1, P2])
    with pytest.raises(ValueError, match="ground truth has an id twice in one frame"):
        evaluate_tracks(gt, gt)
