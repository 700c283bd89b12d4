"""Scoring events against hand labels of a real clip: worked-out cases for each matching rule."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from shelfsight.vision.evaluation.footage_labels import FootageLabels
from shelfsight.vision.evaluation.footage_scoring import (
    Predicted,
    Truth,
    interval_iou,
    match_intervals,
    person_box_recall,
    score_clip,
    track_persons,
)
from shelfsight.vision.tracking.mot import mot_table


def _at(frame: int) -> dict[str, float]:
    return {"frame": frame, "s": frame / 10}


def _labels(**overrides: Any) -> FootageLabels:
    """A 10 fps, 100-frame clip: ann reaches into shelf `top` (frames 10-30, nothing taken), bob takes an item
    from `low` (50-60); ann stands at `front` for the whole clip, bob passes by it (frames 40-45)."""
    data: dict[str, Any] = {
        "clip": "x.mp4", "config": "x.yaml", "camera": "cam", "size": [640, 480], "frames": 100,
        "persons": [{"id": "ann", "role": "shopper", "looks": "a"}, {"id": "bob", "role": "shopper", "looks": "b"}],
        "boxes": [{"at": _at(20), "people": [{"person": "ann", "box": [10, 10, 60, 200]},
                                             {"person": "bob", "box": [300, 10, 360, 200]}]}],
        "reaches": [
            {"person": "ann", "zone": "top", "hand": "right", "start": _at(10), "end": _at(30), "taken": "none"},
            {"person": "bob", "zone": "low", "hand": "left", "start": _at(50), "end": _at(60), "taken": "taken"},
        ],
        "dwells": [
            {"person": "ann", "zone": "front", "entered": _at(0), "left": _at(99)},
            {"person": "bob", "zone": "front", "entered": _at(40), "left": _at(45)},
        ],
    }  # fmt: skip
    data.update(overrides)
    return FootageLabels.model_validate(data)


ANN, BOB, STRANGER = 1, 2, 9
PERSONS = {ANN: "ann", BOB: "bob"}
MIN_DWELL = {"front": 2.0}


def _reach(kind: str, place: str, track: int | None, start: float, end: float) -> Predicted:
    return Predicted(kind, place, track, start, end)


@pytest.mark.parametrize(
    ("a", "b", "iou"),
    [
        ((0.0, 2.0), (1.0, 3.0), 1 / 3),
        ((0.0, 2.0), (0.0, 2.0), 1.0),
        ((0.0, 1.0), (2.0, 3.0), 0.0),
        ((0.0, 4.0), (1.0, 2.0), 0.25),
        ((1.0, 1.0), (1.0, 1.0), 1.0),
    ],
)
def test_interval_iou(a: tuple[float, float], b: tuple[float, float], iou: float) -> None:
    assert interval_iou(*a, *b) == pytest.approx(iou)
    assert interval_iou(*b, *a) == pytest.approx(iou)


def test_a_reach_matches_on_shelf_person_and_overlap() -> None:
    labels = _labels()
    predicted = [
        _reach("touch", "top", ANN, 1.2, 3.2),  # IoU 1.8/2.2 = 0.82: the match
        _reach("touch", "low", ANN, 1.0, 3.0),  # right time, wrong shelf
        _reach("touch", "top", BOB, 1.0, 3.0),  # right time and shelf, wrong person
        _reach("touch", "top", ANN, 2.8, 5.0),  # right shelf and person, IoU 0.2/4.0 = 0.05
    ]
    score = score_clip(labels, predicted, PERSONS, min_dwell_s=MIN_DWELL).reaches
    assert (score.labelled, score.predicted, score.matched) == (2, 4, 1)
    assert score.recall == pytest.approx(0.5) and score.precision == pytest.approx(0.25)
    assert score.matches[0].predicted == 0


def test_an_unidentified_track_may_match_anyone_and_is_counted() -> None:
    score = score_clip(_labels(), [_reach("touch", "top", STRANGER, 1.0, 3.0)], PERSONS, min_dwell_s=MIN_DWELL)
    assert score.reaches.matched == 1 and score.reaches.identity_unknown == 1


def test_matching_is_one_to_one() -> None:
    """Two predictions of one labelled reach: one matches, the other is a false reach."""
    predicted = [_reach("touch", "top", ANN, 1.0, 3.0), _reach("pickup", "top", ANN, 1.1, 2.9)]
    score = score_clip(_labels(), predicted, PERSONS, min_dwell_s=MIN_DWELL).reaches
    assert (score.predicted, score.matched) == (2, 1)


def test_the_iou_threshold_is_inclusive() -> None:
    labelled = [Truth("ann", "top", 0.0, 4.0, required=True)]
    quarter = [_reach("touch", "top", ANN, 3.0, 4.0)]  # IoU 1/4, exact in binary
    assert match_intervals(labelled, quarter, PERSONS, min_iou=0.25)
    assert not match_intervals(labelled, quarter, PERSONS, min_iou=0.26)


@pytest.mark.parametrize(
    ("event", "false"),
    [
        (_reach("pickup", "top", ANN, 1.0, 3.0), True),  # ann's reach took nothing
        (_reach("putback", "top", ANN, 1.0, 3.0), True),
        (_reach("pickup", "low", BOB, 5.0, 6.0), False),  # bob's reach took an item
        (_reach("putback", "low", BOB, 5.0, 6.0), True),  # ... but put none back
        (_reach("pickup", "low", ANN, 5.0, 6.0), True),  # the item bob took, given to ann
        (_reach("pickup", "top", ANN, 7.0, 8.0), True),  # no reach at all then
        (_reach("touch", "top", ANN, 7.0, 8.0), False),  # a false reach, but not a false change
    ],
)
def test_false_pickups_and_putbacks(event: Predicted, false: bool) -> None:
    score = score_clip(_labels(), [event], PERSONS, min_dwell_s=MIN_DWELL)
    assert score.false_changes == ((event,) if false else ())


def test_a_reach_of_unknown_outcome_explains_any_change() -> None:
    reaches = [{"person": "ann", "zone": "top", "hand": "unknown", "start": _at(10), "end": _at(30),
                "taken": "unknown", "why": "hidden"}]  # fmt: skip
    events = [_reach("pickup", "top", ANN, 1.0, 3.0), _reach("putback", "top", ANN, 1.0, 3.0)]
    assert score_clip(_labels(reaches=reaches), events, PERSONS, min_dwell_s=MIN_DWELL).false_changes == ()


def test_an_uncertain_reach_is_neither_required_nor_held_against_a_match() -> None:
    reaches = [{"person": "ann", "zone": "top", "hand": "right", "start": _at(10), "end": _at(30), "taken": "none",
                "uncertain": True, "why": "maybe just pointing"}]  # fmt: skip
    labels = _labels(reaches=reaches)
    assert score_clip(labels, [], PERSONS, min_dwell_s=MIN_DWELL).reaches.recall == 1.0
    matched = score_clip(labels, [_reach("touch", "top", ANN, 1.0, 3.0)], PERSONS, min_dwell_s=MIN_DWELL)
    assert (matched.reaches.predicted, matched.reaches.precision) == (0, 1.0)
    elsewhere = score_clip(labels, [_reach("touch", "top", ANN, 6.0, 8.0)], PERSONS, min_dwell_s=MIN_DWELL)
    assert (elsewhere.reaches.predicted, elsewhere.reaches.precision) == (1, 0.0)


def test_events_of_what_is_not_labelled_are_ignored() -> None:
    not_labelled = [{"person": "bob", "what": ["reaches"], "zones": ["top"], "why": "staff at work"}]
    labels = _labels(not_labelled=not_labelled)
    events = [_reach("pickup", "top", BOB, 7.0, 8.0), _reach("touch", "low", BOB, 7.0, 8.0)]
    score = score_clip(labels, events, PERSONS, min_dwell_s=MIN_DWELL)
    assert (score.reaches.ignored, score.reaches.predicted) == (1, 1)  # the touch on `low` still counts
    assert score.false_changes == ()


def test_dwells_need_half_overlap_and_pass_bys_are_not_required() -> None:
    labels = _labels()
    found = [_reach("dwell", "front", ANN, 0.1, 9.9)]
    score = score_clip(labels, found, PERSONS, min_dwell_s=MIN_DWELL).dwells
    assert (score.labelled, score.matched, score.recall) == (1, 1, 1.0)  # bob's 0.5 s visit is a pass-by
    split = [_reach("dwell", "front", ANN, 0.1, 4.0), _reach("dwell", "front", ANN, 6.0, 9.9)]
    score = score_clip(labels, split, PERSONS, min_dwell_s=MIN_DWELL).dwells
    assert (score.matched, score.predicted) == (0, 2)  # halves of a visit: IoU 0.39 each, neither is the visit
    on_pass_by = [_reach("dwell", "front", BOB, 4.0, 4.5)]
    assert score_clip(labels, on_pass_by, PERSONS, min_dwell_s=MIN_DWELL).dwells.precision == 1.0


def test_tracks_are_identified_by_the_labelled_boxes() -> None:
    labels = _labels()
    # MOT frames count from 1: labelled frame 20 is MOT frame 21. Track 7 sits on ann, 8 on bob, 9 elsewhere.
    tracks = mot_table([21, 21, 21], [7, 8, 9], [[12, 8, 50, 190], [300, 12, 58, 190], [500, 0, 50, 100]])
    assert track_persons(labels, tracks) == {7: "ann", 8: "bob"}
    shifted = mot_table([20, 20], [7, 8], [[12, 8, 50, 190], [300, 12, 58, 190]])  # the frame before: no evidence
    assert track_persons(labels, shifted) == {}


def test_person_box_recall_counts_required_boxes_only() -> None:
    people = [{"person": "ann", "box": [10, 10, 60, 200]},
              {"person": "bob", "box": [300, 10, 360, 200], "hard": "behind a pillar"}]  # fmt: skip
    boxes = [{"at": _at(20), "people": people}]
    labels = _labels(boxes=boxes)
    on_both = {20: np.array([[12, 12, 58, 198], [302, 10, 358, 200], [500, 0, 600, 100]], np.float32)}
    score = person_box_recall(labels, on_both)
    assert (score.labelled, score.found, score.hard, score.detections, score.unmatched) == (1, 1, 1, 3, 1)
    assert person_box_recall(labels, {20: np.array([[300, 10, 360, 200]], np.float32)}).recall == 0.0
    assert person_box_recall(labels, {}).found == 0
