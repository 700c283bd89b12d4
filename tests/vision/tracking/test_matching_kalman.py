"""IoU, thresholded Hungarian assignment and the batch Kalman filter, on numbers worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from shelfsight.vision.tracking import kalman
from shelfsight.vision.tracking.matching import assign, iou_matrix


def test_iou_matrix_values() -> None:
    a = np.array([[0, 0, 10, 10], [0, 0, 0, 0]], np.float32)
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]], np.float32)
    np.testing.assert_allclose(iou_matrix(a, b), [[1.0, 50 / 150, 0.0], [0.0, 0.0, 0.0]])
    assert iou_matrix(a[:0], b).shape == (0, 3)


def test_assign_respects_the_threshold_before_solving() -> None:
    """Row 0 may pair only with column 0; the optimum must not trade that pair away for a forbidden one."""
    cost = np.array([[0.5, 0.1], [0.55, 0.95]])
    result = assign(cost, max_cost=0.6)
    assert sorted(zip(result.rows.tolist(), result.cols.tolist(), strict=True)) == [(0, 1), (1, 0)]
    none = assign(cost, max_cost=0.05)
    assert len(none.rows) == 0 and none.unmatched_rows.tolist() == [0, 1] and none.unmatched_cols.tolist() == [0, 1]


def test_kalman_follows_a_walker_in_seconds() -> None:
    noise = kalman.MotionNoise()
    box = np.array([[100.0, 100.0, 160.0, 280.0]])
    mean, cov = kalman.initiate(box, noise)
    for step in range(1, 21):  # 2 s at 10 fps, 50 px/s to the right
        kalman.predict(mean, cov, 0.1, noise)
        kalman.update(mean, cov, box + np.array([[5.0 * step, 0, 5.0 * step, 0]]), noise)
    assert mean[0, 4] == pytest.approx(50.0, rel=0.15)  # velocity in px per second
    before = mean.copy()
    kalman.predict(mean, cov, 0.5, noise)  # half a second ahead
    assert mean[0, 0] - before[0, 0] == pytest.approx(0.5 * before[0, 4])
    assert np.all(np.linalg.eigvalsh(cov[0]) > 0), "covariance stays positive definite"


def test_state_box_round_trip() -> None:
    boxes = np.array([[10, 20, 50, 120], [0, 0, 1, 1]], np.float32)
    mean = np.zeros((2, 8))
    mean[:, :4] = kalman.xyxy_to_state(boxes)
    np.testing.assert_allclose(kalman.state_to_xyxy(mean), boxes)
