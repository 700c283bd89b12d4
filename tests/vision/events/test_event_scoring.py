"""Event scoring: matching by type, place, shopper and time; F1 per type; dwell error; track association."""

from __future__ import annotations

import numpy as np
import pytest

from shelfsight.vision.evaluation.event_metrics import associate_tracks, score_events, shopper_mapping, track_id_of
from tests.vision.events.event_samples import sample_event

T0 = 1_767_603_600.0


def dwell(shopper: str, start: float, end: float, zone: str = "floor-1"):  # type: ignore[no-untyped-def]
    return sample_event(
        "dwell", shopper_id=shopper, zone_id=zone, ts_start=T0 + start, ts_end=T0 + end, ts=T0 + end,
        dwell_s=end - start, occluded_s=None,
    )  # fmt: skip


def pickup(shopper: str, start: float, end: float, shelf: str = "shelf-1"):  # type: ignore[no-untyped-def]
    return sample_event("pickup", shopper_id=shopper, shelf_id=shelf, ts_start=T0 + start, ts_end=T0 + end, ts=T0 + end)


def test_perfect_prediction_scores_one() -> None:
    truth = [dwell("gt-1", 0, 10), pickup("gt-1", 3, 4)]
    scores = score_events(truth, truth)
    assert scores.by_type["dwell"].f1 == 1.0 and scores.by_type["pickup"].f1 == 1.0
    assert scores.dwell_error_median_s == 0.0
    assert scores.by_type["touch"].f1 == 0.0 or scores.by_type["touch"].true_positives == 0


@pytest.mark.parametrize(
    ("pred", "tp", "fp", "fn"),
    [
        ([dwell("cam-7", 0.5, 10.4)], 1, 0, 0),  # within tolerance
        ([dwell("cam-7", 5, 10)], 0, 1, 1),  # start 5 s off
        ([dwell("cam-7", 0, 10, zone="floor-2")], 0, 1, 1),  # wrong zone
        ([dwell("cam-7", 0, 10), dwell("cam-7", 0.2, 10)], 1, 1, 0),  # duplicate: one-to-one
        ([], 0, 0, 1),
    ],
)
def test_dwell_matching(pred: list[object], tp: int, fp: int, fn: int) -> None:
    score = score_events([dwell("gt-1", 0, 10)], pred).by_type["dwell"]  # type: ignore[arg-type]
    assert (score.true_positives, score.false_positives, score.false_negatives) == (tp, fp, fn)


def test_shopper_must_match_through_the_association() -> None:
    truth = [pickup("gt-1", 3, 4), pickup("gt-2", 3, 4)]
    pred = [pickup("cam-7", 3, 4), pickup("cam-9", 3.2, 4.1)]
    right = score_events(truth, pred, shoppers={"cam-7": "gt-1", "cam-9": "gt-2"})
    swapped = score_events(truth, pred, shoppers={"cam-7": "gt-2", "cam-9": "gt-3"})
    assert right.by_type["pickup"].f1 == 1.0
    assert swapped.by_type["pickup"].true_positives == 1  # cam-7 -> gt-2 still matches; cam-9 maps to nobody


def test_dwell_error_statistics() -> None:
    truth = [dwell("gt-1", 0, 10), dwell("gt-2", 20, 30), dwell("gt-3", 40, 50)]
    pred = [dwell("a-1", 0, 10.5), dwell("a-2", 20, 31), dwell("a-3", 40, 52)]
    scores = score_events(truth, pred)
    assert scores.dwell_error_median_s == pytest.approx(1.0, abs=1e-6)
    assert scores.dwell_error_p90_s == pytest.approx(1.8, abs=1e-6)
    assert set(scores.as_dict()) == {"dwell", "touch", "pickup", "putback"}


def test_track_association_by_majority_overlap() -> None:
    #            frame id  left top  w   h
    truth = np.array(
        [[f, 1, 100, 100, 50, 100] for f in range(1, 11)] + [[f, 2, 300, 100, 50, 100] for f in range(1, 11)], float
    )
    pred = np.array(
        [[f, 7, 102, 101, 50, 100] for f in range(1, 8)]  # track 7 follows truth 1
        + [[f, 7, 301, 100, 50, 100] for f in range(8, 11)]  # then jumps to truth 2 for 3 frames (an ID switch)
        + [[f, 9, 600, 100, 50, 100] for f in range(1, 11)],  # a false track overlapping nothing
        float,
    )
    assert associate_tracks(truth, pred) == {7: 1}


def test_shopper_mapping_uses_track_numbers() -> None:
    truth = [dwell("gt-1", 0, 10)]
    pred = [dwell("cam1-7", 0, 10), dwell("cam1-9", 0, 10)]
    assert shopper_mapping({7: 1}, truth, pred) == {"cam1-7": "gt-1"}
    assert track_id_of("cam1-42") == 42 and track_id_of("nobody") is None


def test_a_predicted_pass_by_is_never_scored_as_a_dwell() -> None:
    """Contract 1.2's pass_by spans a visit like a dwell does: the scorer must not take one for the other."""
    truth = [dwell("gt-1", 0, 10)]
    passed = sample_event("pass_by", shopper_id="cam-7", zone_id="floor-1", ts_start=T0, ts_end=T0 + 10, ts=T0 + 10,
                          dwell_s=10.0)  # fmt: skip
    scores = score_events(truth, [passed])
    assert (scores.by_type["dwell"].true_positives, scores.by_type["dwell"].false_negatives) == (0, 1)
    assert "pass_by" not in scores.by_type
