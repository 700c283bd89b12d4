"""Box overlap and optimal assignment, vectorised: the association step of the tracker."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_EMPTY = np.zeros((0,), np.int64)


def _intersections(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    width = np.minimum(a[:, None, 2], b[None, :, 2])
    width -= np.maximum(a[:, None, 0], b[None, :, 0])
    np.maximum(width, 0.0, out=width)
    height = np.minimum(a[:, None, 3], b[None, :, 3])
    height -= np.maximum(a[:, None, 1], b[None, :, 1])
    np.maximum(height, 0.0, out=height)
    width *= height
    return width


def iou_matrix(boxes_a: npt.NDArray[np.floating], boxes_b: npt.NDArray[np.floating]) -> FloatArray:
    """(n, m) intersection over union of (n, 4) and (m, 4) xyxy boxes; 0 where a box has no area.

    Computed in float32 with in-place operations (this is the tracker's hottest loop), returned as float64.
    """
    n, m = len(boxes_a), len(boxes_b)
    if n == 0 or m == 0:
        return np.zeros((n, m), np.float64)
    a = np.asarray(boxes_a, np.float32)
    b = np.asarray(boxes_b, np.float32)
    inter = _intersections(a, b)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :]
    union -= inter
    iou = np.zeros((n, m), np.float64)
    np.divide(inter, union, out=iou, where=union > 0)
    return iou


def covered_share(boxes: npt.NDArray[np.floating]) -> FloatArray:
    """(n,) largest share of each xyxy box's area that any *other* box of the same set covers (0 alone, 1 hidden).

    Tells which detections stand clear of everyone else, so their pixels show one person only.
    """
    n = len(boxes)
    if n < 2:
        return np.zeros((n,), np.float64)
    a = np.asarray(boxes, np.float32)
    inter = _intersections(a, a)
    np.fill_diagonal(inter, 0.0)
    area = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    share = np.zeros((n,), np.float64)
    np.divide(inter.max(axis=1), area, out=share, where=area > 0)
    return share


@dataclass(frozen=True)
class Assignment:
    """Result of assigning rows (tracks) to columns (detections).

    Attributes:
        rows: (k,) int64 matched row indices.
        cols: (k,) int64 matched column indices, ``cols[i]`` paired with ``rows[i]``.
        unmatched_rows: Row indices left without a partner, ascending.
        unmatched_cols: Column indices left without a partner, ascending.
    """

    rows: IntArray
    cols: IntArray
    unmatched_rows: IntArray
    unmatched_cols: IntArray


def assign(cost: FloatArray, max_cost: float, *, leave_cost: float | None = None) -> Assignment:
    """Minimum-total-cost one-to-one assignment (Hungarian, scipy), keeping only pairs with cost <= ``max_cost``.

    Pairs above ``max_cost`` are made impossible before solving, so a forbidden pair never displaces a
    permitted one (rejecting them only after solving can leave a row unmatched that had a permitted partner).

    Args:
        cost: (n, m) costs, e.g. ``1 - IoU``.
        max_cost: Largest cost a kept pair may have.
        leave_cost: When given, what leaving one row and one column unmatched costs (instead of pairing them):
            the solver then leaves a pair apart whenever that is cheaper in total (as lapjv's ``cost_limit``).
            By default every permitted pair counts as better than none, so as many rows as possible are matched.
    """
    n, m = cost.shape
    if n == 0 or m == 0:
        return Assignment(_EMPTY, _EMPTY, np.arange(n, dtype=np.int64), np.arange(m, dtype=np.int64))
    allowed = cost <= max_cost
    if not allowed.any():
        return Assignment(_EMPTY, _EMPTY, np.arange(n, dtype=np.int64), np.arange(m, dtype=np.int64))
    # A large finite cost (not inf) keeps the problem feasible for scipy; such pairs are dropped afterwards.
    blocked = np.where(allowed, cost, max_cost + 1e6)
    if leave_cost is not None:
        blocked = np.minimum(blocked, leave_cost)  # a pair at the cap is the same as leaving both unmatched
    rows, cols = linear_sum_assignment(blocked)
    keep = allowed[rows, cols]
    rows, cols = rows[keep].astype(np.int64), cols[keep].astype(np.int64)
    row_free = np.ones(n, bool)
    row_free[rows] = False
    col_free = np.ones(m, bool)
    col_free[cols] = False
    return Assignment(rows, cols, np.flatnonzero(row_free), np.flatnonzero(col_free))
