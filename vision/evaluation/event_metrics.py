"""Scoring predicted events against true events: precision, recall and F1 per type, dwell-time error.

Matching rules (documented for users in docs/evaluation.md):

* Only events of the same type are compared; ``dwell``, ``touch``, ``pickup`` and ``putback`` are scored
  (``dwell_started`` and ``camera_status`` are not).
* A dwell pairs with a dwell of the same zone; touch / pick-up / put-back with one of the same shelf.
* Shoppers: predicted shopper ids are tracker ids, true ones are ground-truth ids, so they are compared
  through a track-to-truth association (``associate_tracks``: each predicted track goes to the true shopper it
  overlaps, IoU >= 0.5, in most frames). Without an association, shoppers are not compared.
* Time: the two events' starts and ends each differ by at most ``time_tolerance_s``.
* Among the compatible pairs, a one-to-one assignment minimising the summed time differences
  (Hungarian, scipy) decides the matches. Matched = true positive; unmatched predicted = false positive;
  unmatched true = false negative.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from shelfsight.vision.events.contract import AnyEvent, DwellEvent

SCORED_TYPES = ("dwell", "touch", "pickup", "putback")
DEFAULT_TIME_TOLERANCE_S = 3.0
ASSOCIATION_IOU = 0.5
UNMATCHABLE = 1e9


@dataclass(frozen=True)
class TypeScore:
    """Counts and rates of one event type."""

    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "true": self.true_positives + self.false_negatives,
            "predicted": self.true_positives + self.false_positives,
            "tp": self.true_positives,
            "fp": self.false_positives,
            "fn": self.false_negatives,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass(frozen=True)
class EventScores:
    """Scores per type plus the dwell-duration error over matched dwells, seconds."""

    by_type: dict[str, TypeScore]
    dwell_errors_s: tuple[float, ...]

    @property
    def dwell_error_median_s(self) -> float | None:
        return statistics.median(self.dwell_errors_s) if self.dwell_errors_s else None

    @property
    def dwell_error_p90_s(self) -> float | None:
        return float(np.percentile(self.dwell_errors_s, 90)) if self.dwell_errors_s else None

    def as_dict(self) -> dict[str, dict[str, float | int | None]]:
        """One JSON-ready object keyed by event type; dwell carries the duration error."""
        out: dict[str, dict[str, float | int | None]] = {k: dict(v.as_dict()) for k, v in self.by_type.items()}
        median, p90 = self.dwell_error_median_s, self.dwell_error_p90_s
        out["dwell"]["dwell_error_median_s"] = None if median is None else round(median, 3)
        out["dwell"]["dwell_error_p90_s"] = None if p90 is None else round(p90, 3)
        return out


def _place(event: AnyEvent) -> str | None:
    if event.type == "dwell":
        return str(getattr(event, "zone_id", None))
    return str(getattr(event, "shelf_id", None))


def _times(event: AnyEvent) -> tuple[float, float]:
    start = float(getattr(event, "ts_start", event.ts))
    return start, float(getattr(event, "ts_end", event.ts))


def _dwell_s(event: AnyEvent) -> float:
    return event.dwell_s if isinstance(event, DwellEvent) else 0.0


def _cost(truth: AnyEvent, pred: AnyEvent, shoppers: Mapping[str, str] | None, tolerance_s: float) -> float:
    if _place(truth) != _place(pred):
        return UNMATCHABLE
    if shoppers is not None and shoppers.get(getattr(pred, "shopper_id", "")) != getattr(truth, "shopper_id", None):
        return UNMATCHABLE
    (t_start, t_end), (p_start, p_end) = _times(truth), _times(pred)
    start_gap, end_gap = abs(t_start - p_start), abs(t_end - p_end)
    if start_gap > tolerance_s or end_gap > tolerance_s:
        return UNMATCHABLE
    return start_gap + end_gap


def match_events(
    truth: Sequence[AnyEvent],
    predicted: Sequence[AnyEvent],
    *,
    shoppers: Mapping[str, str] | None = None,
    time_tolerance_s: float = DEFAULT_TIME_TOLERANCE_S,
) -> list[tuple[int, int]]:
    """One-to-one (truth index, predicted index) matches between events of one type (rules above)."""
    if not truth or not predicted:
        return []
    cost = np.array([[_cost(t, p, shoppers, time_tolerance_s) for p in predicted] for t in truth])
    rows, cols = linear_sum_assignment(cost)
    return [(int(r), int(c)) for r, c in zip(rows, cols, strict=True) if cost[r, c] < UNMATCHABLE]


def score_events(
    truth: Iterable[AnyEvent],
    predicted: Iterable[AnyEvent],
    *,
    shoppers: Mapping[str, str] | None = None,
    time_tolerance_s: float = DEFAULT_TIME_TOLERANCE_S,
) -> EventScores:
    """Precision, recall and F1 per scored type, and |dwell_s error| over matched dwells."""
    truth_by_type: dict[str, list[AnyEvent]] = defaultdict(list)
    pred_by_type: dict[str, list[AnyEvent]] = defaultdict(list)
    for event in truth:
        truth_by_type[event.type].append(event)
    for event in predicted:
        pred_by_type[event.type].append(event)
    by_type, dwell_errors = {}, []
    for kind in SCORED_TYPES:
        t_events, p_events = truth_by_type[kind], pred_by_type[kind]
        matches = match_events(t_events, p_events, shoppers=shoppers, time_tolerance_s=time_tolerance_s)
        by_type[kind] = TypeScore(len(matches), len(p_events) - len(matches), len(t_events) - len(matches))
        if kind == "dwell":
            dwell_errors = [abs(_dwell_s(t_events[t]) - _dwell_s(p_events[p])) for t, p in matches]
    return EventScores(by_type, tuple(dwell_errors))


def associate_tracks(
    truth_rows: np.ndarray, predicted_rows: np.ndarray, *, iou_threshold: float = ASSOCIATION_IOU
) -> dict[int, int]:
    """Map each predicted track id to the true id it overlaps (IoU >= threshold) in the most frames.

    Args:
        truth_rows: (n, >=6) MOTChallenge rows ``frame, id, left, top, width, height, ...``.
        predicted_rows: (m, >=6) rows in the same format, on the same frame numbering.

    Returns:
        {predicted track id: true id}; tracks that never overlap a true box are left out.
    """
    votes: Counter[tuple[int, int]] = Counter()
    truth_by_frame = _group_by_frame(truth_rows)
    for frame, pred in _group_by_frame(predicted_rows).items():
        gt = truth_by_frame.get(frame)
        if gt is None:
            continue
        iou = _iou_matrix(pred[:, 2:6], gt[:, 2:6])
        rows, cols = linear_sum_assignment(-iou)
        for r, c in zip(rows, cols, strict=True):
            if iou[r, c] >= iou_threshold:
                votes[(int(pred[r, 1]), int(gt[c, 1]))] += 1
    best: dict[int, tuple[int, int]] = {}
    for (pred_id, true_id), count in votes.items():
        if count > best.get(pred_id, (0, -1))[0]:
            best[pred_id] = (count, true_id)
    return {pred_id: true_id for pred_id, (_, true_id) in best.items()}


def _group_by_frame(rows: np.ndarray) -> dict[int, np.ndarray]:
    if len(rows) == 0:
        return {}
    order = np.argsort(rows[:, 0], kind="stable")
    rows = rows[order]
    frames, starts = np.unique(rows[:, 0].astype(np.int64), return_index=True)
    return {int(f): chunk for f, chunk in zip(frames, np.split(rows, starts[1:]), strict=True)}


def _iou_matrix(a_ltwh: np.ndarray, b_ltwh: np.ndarray) -> np.ndarray:
    a = np.concatenate([a_ltwh[:, :2], a_ltwh[:, :2] + a_ltwh[:, 2:4]], axis=1)
    b = np.concatenate([b_ltwh[:, :2], b_ltwh[:, :2] + b_ltwh[:, 2:4]], axis=1)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area_a, area_b = np.prod(a_ltwh[:, 2:4], axis=1), np.prod(b_ltwh[:, 2:4], axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0)


def track_id_of(shopper_id: str) -> int | None:
    """The track number at the end of a shopper id ("cam1-42" -> 42), or None."""
    tail = shopper_id.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else None


def shopper_mapping(
    track_to_truth: Mapping[int, int], truth: Iterable[AnyEvent], predicted: Iterable[AnyEvent]
) -> dict[str, str]:
    """Turn a track-id association into {predicted shopper_id: true shopper_id} for ``score_events``.

    Shopper ids end in their track number (``shelfsight.vision.events.ids.shopper_id_for``), which links events to MOT
    rows.
    """
    true_by_track = {track_id_of(s): s for s in _shoppers(truth)}
    mapping = {}
    for shopper in _shoppers(predicted):
        true_track = track_to_truth.get(track_id_of(shopper) or -1)
        if true_track is not None and true_track in true_by_track:
            mapping[shopper] = true_by_track[true_track]
    return mapping


def _shoppers(events: Iterable[AnyEvent]) -> set[str]:
    return {str(shopper) for e in events if (shopper := getattr(e, "shopper_id", None)) is not None}
