"""Constant-velocity Kalman filter over many boxes at once, with time steps in seconds.

State per track: ``(cx, cy, w, h, vx, vy, vw, vh)``: box centre and size in pixels, and their rates in pixels
per second. Time steps come from the frames' ``captured_at`` differences, so the same settings work at 5 or
30 detect fps, and a dropped frame is simply a longer step. Noise grows with box size (a near shopper moves
more pixels than a far one), as in ByteTrack/BoT-SORT; the per-second figures here equal ByteTrack's per-frame
weights at 30 fps.

Every function works on all tracks together: ``mean`` is (n, 8) float64 and ``covariance`` (n, 8, 8) float64.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Mean = npt.NDArray[np.float64]
Covariance = npt.NDArray[np.float64]

_DIAGONAL = np.arange(8)


@dataclass(frozen=True)
class MotionNoise:
    """Noise levels of the motion model, as fractions of box width (x terms) or height (y terms).

    Attributes:
        position_per_s: Random drift of position, std per sqrt(second). Higher follows sudden steps better and
            predicts through occlusion worse.
        velocity_per_s: Random change of velocity, std per sqrt(second), in sizes per second. Higher adapts to
            turns and stops faster and makes predictions during occlusion jumpier.
        measurement: Detector box noise, std. Higher trusts the motion model more than the detector (smoother
            boxes, slower reaction).
        initial_position: Position uncertainty of a new track, std.
        initial_velocity: Velocity uncertainty of a new track, sizes per second.
    """

    position_per_s: float = 0.274
    velocity_per_s: float = 1.03
    measurement: float = 0.05
    initial_position: float = 0.1
    initial_velocity: float = 1.0


def _size_scale(mean: Mean) -> npt.NDArray[np.float64]:
    """(n, 4) per-component scale: width for x and w terms, height for y and h terms."""
    w = np.maximum(mean[:, 2], 1.0)
    h = np.maximum(mean[:, 3], 1.0)
    return np.stack([w, h, w, h], axis=1)


def xyxy_to_state(xyxy: npt.NDArray[np.floating]) -> npt.NDArray[np.float64]:
    """(n, 4) xyxy boxes to (n, 4) (cx, cy, w, h)."""
    b = np.asarray(xyxy, np.float64)
    return np.stack([(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2, b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]], axis=1)


def state_to_xyxy(mean: Mean) -> npt.NDArray[np.float32]:
    """(n, 8) states to (n, 4) float32 xyxy boxes (sizes clipped at 0)."""
    half_w = np.maximum(mean[:, 2], 0.0) / 2
    half_h = np.maximum(mean[:, 3], 0.0) / 2
    return np.stack(
        [mean[:, 0] - half_w, mean[:, 1] - half_h, mean[:, 0] + half_w, mean[:, 1] + half_h], axis=1
    ).astype(np.float32)


def initiate(xyxy: npt.NDArray[np.floating], noise: MotionNoise) -> tuple[Mean, Covariance]:
    """New tracks from (m, 4) xyxy boxes: zero velocity, size-scaled uncertainty."""
    n = len(xyxy)
    mean = np.zeros((n, 8), np.float64)
    mean[:, :4] = xyxy_to_state(xyxy)
    scale = _size_scale(mean)
    std = np.concatenate([noise.initial_position * scale, noise.initial_velocity * scale], axis=1)
    covariance = np.zeros((n, 8, 8), np.float64)
    covariance[:, _DIAGONAL, _DIAGONAL] = std**2
    return mean, covariance


def predict(mean: Mean, covariance: Covariance, dt: float, noise: MotionNoise) -> None:
    """Advance every track by ``dt`` seconds, in place.

    ``F = [[I, dt I], [0, I]]``; ``F P F^T`` is done as two block row/column updates rather than two 8x8
    matrix products per track.
    """
    if len(mean) == 0 or dt <= 0.0:
        return
    mean[:, :4] += dt * mean[:, 4:]
    covariance[:, :4, :] += dt * covariance[:, 4:, :]
    covariance[:, :, :4] += dt * covariance[:, :, 4:]
    scale = _size_scale(mean)
    q_position = (noise.position_per_s * scale) ** 2 * dt
    q_velocity = (noise.velocity_per_s * scale) ** 2 * dt
    covariance[:, _DIAGONAL, _DIAGONAL] += np.concatenate([q_position, q_velocity], axis=1)


def update(mean: Mean, covariance: Covariance, xyxy: npt.NDArray[np.floating], noise: MotionNoise) -> None:
    """Correct every track with its matched (n, 4) xyxy measurement, in place (rows aligned)."""
    if len(mean) == 0:
        return
    measured = xyxy_to_state(xyxy)
    r = (noise.measurement * _size_scale(mean)) ** 2
    innovation_cov = covariance[:, :4, :4].copy()
    innovation_cov[:, _DIAGONAL[:4], _DIAGONAL[:4]] += r
    # K^T = S^-1 H P (P symmetric), so one batched solve gives the gain for every track.
    gain_t = np.linalg.solve(innovation_cov, covariance[:, :4, :])
    residual = measured - mean[:, :4]
    mean += np.einsum("nij,ni->nj", gain_t, residual)
    covariance -= np.einsum("nki,nkj->nij", gain_t, covariance[:, :4, :])
