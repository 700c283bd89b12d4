"""Tracks against ground truth: HOTA, IDF1, MOTA, id switches and fragmentation, computed by TrackEval.

The metrics themselves are TrackEval's own classes (``HOTA``, ``CLEAR``, ``Identity``, the reference
implementation of the MOTChallenge benchmark), fed with arrays built from two ``MotTable``s. Only the
preprocessing is ours, and it follows TrackEval's MOTChallenge rules with one addition (visibility):

- Evaluated ground truth: rows with mark != 0, class pedestrian (1, or -1 when the file has no class column)
  and visibility >= ``min_visibility``.
- Ignored ground truth ("don't care"): pedestrians with mark 0 or visibility below ``min_visibility``, and the
  MOTChallenge distractor classes (person on vehicle 2, static person 7, distractor 8, reflection 12). A
  predicted box matched to one of them (Hungarian, IoU >= 0.5, against all ground truth of the frame) is
  removed, so a tracker is neither rewarded nor punished for a shopper the camera barely sees.
- Other classes are dropped from the ground truth; a predicted box on them counts as a false positive.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from shelfsight.vision.tracking.matching import iou_matrix
from shelfsight.vision.tracking.mot import PEDESTRIAN_CLASS, MotTable

DISTRACTOR_CLASSES = (2, 7, 8, 12)
MATCH_IOU = 0.5  # CLEAR / Identity threshold and the distractor-matching threshold, as in MOTChallenge


@dataclass(frozen=True)
class TrackMetrics:
    """Tracking accuracy of one sequence (fractions 0..1 unless a count).

    Attributes:
        hota: Higher Order Tracking Accuracy, mean over IoU thresholds 0.05..0.95.
        deta: Detection accuracy part of HOTA.
        assa: Association accuracy part of HOTA.
        idf1: Identity F1: share of boxes carrying the right identity.
        idp: Identity precision.
        idr: Identity recall.
        mota: Multiple Object Tracking Accuracy (1 - (FN + FP + IDSW) / GT); can be negative.
        motp: Mean IoU of matched boxes.
        id_switches: Times a ground-truth person's matched track id changed.
        fragmentations: Times a ground-truth trajectory went from tracked to untracked and back.
        mostly_tracked: Ground-truth people tracked for at least 80% of their life.
        mostly_lost: Ground-truth people tracked for less than 20% of their life.
        true_positives: Matched boxes (CLEAR).
        false_positives: Predicted boxes matched to no one (CLEAR).
        false_negatives: Ground-truth boxes missed (CLEAR).
        gt_ids: Distinct evaluated ground-truth people.
        pred_ids: Distinct predicted ids left after preprocessing.
        frames: Frames evaluated.
    """

    hota: float
    deta: float
    assa: float
    idf1: float
    idp: float
    idr: float
    mota: float
    motp: float
    id_switches: int
    fragmentations: int
    mostly_tracked: int
    mostly_lost: int
    true_positives: int
    false_positives: int
    false_negatives: int
    gt_ids: int
    pred_ids: int
    frames: int

    def as_dict(self) -> dict[str, Any]:
        """The metrics as a JSON-ready dict, fractions rounded to 4 places."""
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}


def _ignored_and_evaluated(gt: MotTable, min_visibility: float) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    pedestrian = (gt.class_id == PEDESTRIAN_CLASS) | (gt.class_id == -1)
    visible = gt.visibility >= min_visibility
    evaluated = pedestrian & (gt.conf != 0) & visible
    ignored = (pedestrian & ~evaluated) | np.isin(gt.class_id, DISTRACTOR_CLASSES)
    return evaluated, ignored


def _relabel(ids_per_frame: list[npt.NDArray[np.int64]]) -> tuple[list[npt.NDArray[np.int64]], int]:
    """Ids mapped to 0..k-1 in order of value, as TrackEval's metrics expect; returns the count k."""
    joined = np.concatenate(ids_per_frame) if ids_per_frame else np.zeros(0, np.int64)
    unique = np.unique(joined)
    return [np.searchsorted(unique, ids).astype(np.int64) for ids in ids_per_frame], len(unique)


def build_sequence(gt: MotTable, pred: MotTable, *, min_visibility: float, num_frames: int) -> dict[str, Any]:
    """TrackEval's per-sequence ``data`` dict from two tables, after the preprocessing in the module docstring."""
    evaluated, ignored = _ignored_and_evaluated(gt, min_visibility)
    gt_frames = dict(iter(gt.per_frame(num_frames)))
    gt_eval = dict(iter(gt.select(evaluated).per_frame(num_frames)))
    pred_frames = dict(iter(pred.per_frame(num_frames)))
    gt_ids, pred_ids, similarities = [], [], []
    for frame in range(1, num_frames + 1):
        everyone, truth, guess = gt_frames[frame], gt_eval[frame], pred_frames[frame]
        keep = np.ones(len(guess), bool)
        frame_ignored = ignored[np.searchsorted(gt.frame, frame) :][: len(everyone)]
        if frame_ignored.any() and len(guess):
            overlap = iou_matrix(everyone.xyxy, guess.xyxy)
            overlap[overlap < MATCH_IOU - np.finfo(float).eps] = 0.0
            rows, cols = linear_sum_assignment(-overlap)
            real = overlap[rows, cols] > 0
            keep[cols[real & frame_ignored[rows]]] = False
        guess = guess.select(keep)
        gt_ids.append(truth.track_id)
        pred_ids.append(guess.track_id)
        similarities.append(iou_matrix(truth.xyxy, guess.xyxy))
    gt_ids, num_gt_ids = _relabel(gt_ids)
    pred_ids, num_pred_ids = _relabel(pred_ids)
    return {
        "num_timesteps": num_frames,
        "num_gt_ids": num_gt_ids,
        "num_tracker_ids": num_pred_ids,
        "num_gt_dets": int(sum(len(ids) for ids in gt_ids)),
        "num_tracker_dets": int(sum(len(ids) for ids in pred_ids)),
        "gt_ids": gt_ids,
        "tracker_ids": pred_ids,
        "similarity_scores": similarities,
    }


def evaluate_tracks(
    gt: MotTable, pred: MotTable, *, min_visibility: float = 0.25, num_frames: int | None = None
) -> TrackMetrics:
    """HOTA, IDF1, MOTA and friends of predicted tracks against ground truth, by TrackEval.

    Args:
        gt: Ground truth (MOTChallenge gt.txt columns).
        pred: Tracker results.
        min_visibility: Ground-truth boxes less visible than this (0..1) are "don't care" (see module doc).
            0 evaluates every box, fully hidden ones included (as MOT17 does).
        num_frames: Sequence length; default the last frame in either table.

    Raises:
        ValueError: If ``min_visibility`` is outside 0..1 or a frame holds one id twice.
    """
    if not 0.0 <= min_visibility <= 1.0:
        raise ValueError(f"min_visibility must be within 0..1, got {min_visibility}")
    for name, table in (("ground truth", gt), ("prediction", pred)):
        pairs = np.stack([table.frame, table.track_id], axis=1)
        if len(np.unique(pairs, axis=0)) != len(pairs):
            raise ValueError(f"{name} has an id twice in one frame")
    try:  # heavy, and an optional extra: imported only when used
        from trackeval.metrics import CLEAR, HOTA, Identity  # type: ignore[import-untyped]
    except ImportError as exc:
        raise ValueError("track metrics need TrackEval: pip install 'shelfsight[eval]'") from exc

    frames = num_frames if num_frames is not None else max(gt.num_frames, pred.num_frames)
    data = build_sequence(gt, pred, min_visibility=min_visibility, num_frames=frames)
    config = {"THRESHOLD": MATCH_IOU, "PRINT_CONFIG": False}
    hota = HOTA().eval_sequence(data)
    clear = CLEAR(config).eval_sequence(data)
    identity = Identity(config).eval_sequence(data)
    return TrackMetrics(
        hota=float(np.mean(hota["HOTA"])),
        deta=float(np.mean(hota["DetA"])),
        assa=float(np.mean(hota["AssA"])),
        idf1=float(identity["IDF1"]),
        idp=float(identity["IDP"]),
        idr=float(identity["IDR"]),
        mota=float(clear["MOTA"]),
        motp=float(clear["MOTP"]),
        id_switches=int(clear["IDSW"]),
        fragmentations=int(clear["Frag"]),
        mostly_tracked=int(clear["MT"]),
        mostly_lost=int(clear["ML"]),
        true_positives=int(clear["CLR_TP"]),
        false_positives=int(clear["CLR_FP"]),
        false_negatives=int(clear["CLR_FN"]),
        gt_ids=int(data["num_gt_ids"]),
        pred_ids=int(data["num_tracker_ids"]),
        frames=frames,
    )
