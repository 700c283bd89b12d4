"""Ground-truth walkers and noisy detections of them, for the tracking benchmark.

Each scene is a set of shoppers walking piecewise-straight paths (with stops) on a 1280x720 image, seen from
an oblique camera: boxes grow towards the bottom of the image, and a shopper nearer the camera (lower foot)
hides the ones behind. Visibility is the share of a box not covered by nearer shoppers or by a pillar.
The detections are the ground truth after the kind of noise a real detector adds: misses (more when partly
hidden), low scores for partly hidden shoppers, box jitter, and false boxes, some of them lasting a few frames.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from shelfsight.vision.detections import FrameDetections
from shelfsight.vision.tracking.mot import MotTable, mot_table

WIDTH, HEIGHT = 1280, 720
Waypoint = tuple[float, float, float]  # x, y of the foot in pixels, then seconds to stand there on arrival


@dataclass(frozen=True)
class Walker:
    """A shopper: enters at ``start_s`` at the first waypoint, walks to each next one at ``speed_px_s``."""

    start_s: float
    waypoints: tuple[Waypoint, ...]
    speed_px_s: float

    def feet(self, times: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """(T, 2) foot positions at ``times``; NaN before entering and after leaving."""
        knots_t, knots_xy = [self.start_s], [self.waypoints[0][:2]]
        for (x0, y0, _), (x1, y1, stay) in zip(self.waypoints, self.waypoints[1:], strict=False):
            knots_t.append(knots_t[-1] + float(np.hypot(x1 - x0, y1 - y0)) / self.speed_px_s)
            knots_xy.append((x1, y1))
            if stay > 0:
                knots_t.append(knots_t[-1] + stay)
                knots_xy.append((x1, y1))
        kt = np.array(knots_t)
        kxy = np.array(knots_xy, np.float64)
        out = np.stack([np.interp(times, kt, kxy[:, 0]), np.interp(times, kt, kxy[:, 1])], axis=1)
        out[(times < kt[0]) | (times > kt[-1])] = np.nan
        return out


def box_at(foot: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """(n, 4) xyxy person boxes for (n, 2) foot points: taller nearer the camera (lower in the image)."""
    h = 110.0 + 0.32 * foot[:, 1]
    w = 0.4 * h
    return np.stack([foot[:, 0] - w / 2, foot[:, 1] - h, foot[:, 0] + w / 2, foot[:, 1]], axis=1)


@dataclass(frozen=True)
class Scene:
    """A scene: its walkers, frame rate, length and an optional pillar (xyxy) that hides whoever is behind it."""

    name: str
    fps: float
    seconds: float
    walkers: tuple[Walker, ...]
    pillar: tuple[float, float, float, float] | None = None

    def ground_truth(self) -> MotTable:
        """MOTChallenge ground truth: frames 1-based, class 1, visibility 0..1, boxes clipped to the image."""
        times = np.arange(int(self.seconds * self.fps)) / self.fps
        feet = np.stack([w.feet(times) for w in self.walkers], axis=1)  # (T, P, 2)
        rows: list[tuple[int, int, npt.NDArray[np.float64], float]] = []
        for t_index in range(len(times)):
            present = np.flatnonzero(~np.isnan(feet[t_index, :, 0]))
            boxes = box_at(feet[t_index, present])
            visible = self._visibility(boxes)
            clipped = np.clip(boxes, [0, 0, 0, 0], [WIDTH, HEIGHT, WIDTH, HEIGHT])
            inside = (clipped[:, 2] - clipped[:, 0]) > 0.3 * (boxes[:, 2] - boxes[:, 0])
            for k in np.flatnonzero(inside):
                rows.append((t_index + 1, int(present[k]) + 1, clipped[k], float(visible[k])))
        if not rows:
            return mot_table([], [], np.zeros((0, 4)))
        tlwh = np.array([[b[0], b[1], b[2] - b[0], b[3] - b[1]] for _, _, b, _ in rows])
        return mot_table(
            [r[0] for r in rows], [r[1] for r in rows], tlwh, np.ones(len(rows)), np.ones(len(rows), np.int64),
            [r[3] for r in rows],
        )  # fmt: skip

    def _visibility(self, boxes: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Share of each box not covered by nearer boxes (larger foot y) or the pillar (approximate: summed)."""
        n = len(boxes)
        area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        w = np.clip(
            np.minimum(boxes[:, None, 2], boxes[None, :, 2]) - np.maximum(boxes[:, None, 0], boxes[None, :, 0]), 0, None
        )
        h = np.clip(
            np.minimum(boxes[:, None, 3], boxes[None, :, 3]) - np.maximum(boxes[:, None, 1], boxes[None, :, 1]), 0, None
        )
        nearer = boxes[None, :, 3] > boxes[:, None, 3]
        covered = np.where(nearer, w * h, 0.0).sum(axis=1) / np.maximum(area, 1.0) if n else np.zeros(0)
        if self.pillar is not None:
            px1, py1, px2, py2 = self.pillar
            pw = np.clip(np.minimum(boxes[:, 2], px2) - np.maximum(boxes[:, 0], px1), 0, None)
            ph = np.clip(np.minimum(boxes[:, 3], py2) - np.maximum(boxes[:, 1], py1), 0, None)
            covered = covered + pw * ph / np.maximum(area, 1.0)
        return np.clip(1.0 - covered, 0.0, 1.0)


@dataclass(frozen=True)
class Noise:
    """What the simulated detector gets wrong.

    Attributes:
        miss_rate: Chance of missing a fully visible shopper in a frame.
        jitter: Box corner noise, std as a share of box size.
        false_per_frame: Mean false boxes per frame (Poisson).
        false_lasting_share: Share of false boxes that stay 3 frames in one place (clutter, not flicker).
    """

    miss_rate: float = 0.05
    jitter: float = 0.03
    false_per_frame: float = 0.3
    false_lasting_share: float = 0.3


def noisy_detections(gt: MotTable, fps: float, noise: Noise, seed: int) -> list[FrameDetections]:
    """One ``FrameDetections`` per frame of ``gt``: the true boxes through the ``noise``, ``captured_at`` from fps.

    Detection chance and score fall with visibility: a barely visible shopper (< 25 %) is never found, a partly
    hidden one (< 60 %) is found less often and scores low (0.15..0.5), which is what ByteTrack's second stage
    is for.
    """
    rng = np.random.default_rng(seed)
    frames: list[FrameDetections] = []
    lasting: list[tuple[int, npt.NDArray[np.float64], float]] = []  # frames left, box, score
    for frame, rows in gt.per_frame():
        vis = rows.visibility
        p_detect = np.where(
            vis >= 0.6, 1.0 - noise.miss_rate, np.where(vis >= 0.4, 0.7, np.where(vis >= 0.25, 0.35, 0.0))
        )
        found = rng.random(len(rows)) < p_detect
        boxes = rows.xyxy[found]
        size = (
            np.repeat(boxes[:, 2:] - boxes[:, :2], 2, axis=0).reshape(-1, 4)[:, [0, 1, 0, 1]] if len(boxes) else boxes
        )
        boxes = boxes + rng.normal(0.0, noise.jitter, boxes.shape) * size
        scores = np.where(vis[found] >= 0.6, rng.uniform(0.55, 0.92, found.sum()), rng.uniform(0.15, 0.5, found.sum()))
        false_boxes, false_scores = [], []
        for _ in range(rng.poisson(noise.false_per_frame)):
            foot = np.array([[rng.uniform(50, WIDTH - 50), rng.uniform(300, HEIGHT)]])
            box, score = box_at(foot)[0] * rng.uniform(0.6, 1.1), float(rng.uniform(0.15, 0.6))
            if rng.random() < noise.false_lasting_share:
                lasting.append((3, box, score))
            else:
                false_boxes.append(box)
                false_scores.append(score)
        for _, box, score in lasting:
            false_boxes.append(box)
            false_scores.append(score)
        lasting = [(left - 1, box, score) for left, box, score in lasting if left > 1]
        all_boxes = np.concatenate([boxes, np.array(false_boxes).reshape(-1, 4)]).astype(np.float32)
        all_scores = np.concatenate([scores, np.array(false_scores)]).astype(np.float32)
        frames.append(
            FrameDetections(
                xyxy=all_boxes, confidence=all_scores, class_id=np.zeros(len(all_boxes), np.int64),
                camera_id="bench", frame_seq=frame - 1, captured_at=(frame - 1) / fps, frame_size=(HEIGHT, WIDTH),
            )
        )  # fmt: skip
    return frames


def _crossing() -> Scene:
    walkers = []
    for k in range(7):
        t0, y = 1.0 + 5.5 * k, 430.0 + 25.0 * (k % 3)
        stop = 2.5 if k % 2 else 0.0
        walkers.append(Walker(t0, ((-60.0, y + 12, 0.0), (640.0, y + 12, stop), (1340.0, y + 12, 0.0)), 140.0))
        walkers.append(Walker(t0 + 0.3, ((1340.0, y, 0.0), (600.0, y, 0.0), (-60.0, y, 0.0)), 125.0))
    return Scene("gt+noise crossing", 10.0, 45.0, tuple(walkers))


def _occluder() -> Scene:
    walkers = []
    for k in range(10):
        y = 420.0 + 35.0 * (k % 5)
        stay = 2.0 if k % 3 == 0 else 0.0
        speed = 70.0 + 18.0 * (k % 4)
        walkers.append(Walker(1.0 + 4.0 * k, ((-60.0, y, 0.0), (640.0, y, stay), (1340.0, y, 0.0)), speed))
    return Scene("gt+noise pillar", 10.0, 55.0, tuple(walkers), pillar=(570.0, 0.0, 710.0, 720.0))


def _busy(seed: int = 7) -> Scene:
    rng = np.random.default_rng(seed)
    walkers = []
    for k in range(40):
        points: list[Waypoint] = [(float(rng.choice([-60.0, 1340.0])), float(rng.uniform(330, 700)), 0.0)]
        for _ in range(int(rng.integers(2, 5))):
            points.append((float(rng.uniform(120, 1160)), float(rng.uniform(330, 700)), float(rng.uniform(1.0, 8.0))))
        points.append((float(rng.choice([-60.0, 1340.0])), float(rng.uniform(330, 700)), 0.0))
        walkers.append(Walker(float(k * 1.8), tuple(points), float(rng.uniform(60, 140))))
    return Scene("gt+noise busy (5 fps)", 5.0, 90.0, tuple(walkers))


SCENES: dict[str, Callable[[], Scene]] = {"crossing": _crossing, "pillar": _occluder, "busy": _busy}
