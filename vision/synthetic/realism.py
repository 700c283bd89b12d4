"""Does the synthetic store look like a store to real models? Detector recall and precision; shelf texture.

Per frame, detections and true boxes are matched one to one by IoU (``scipy.optimize.linear_sum_assignment``
over the pairs at or above the threshold: the most matches, then the largest total IoU). Recall counts the
shoppers at least ``min_visibility`` visible that a detector matched; precision counts the detections that
matched any true box, whatever its visibility (a detector that finds a half-hidden shopper is right, not wrong).

`shelf_change_shares` measures what a real camera does to a shelf nobody touches: the share of its pixels
whose grey level changes by more than 22 between frames 0.2 s apart (on real store footage at 5 fps: a
median 6.4 %, up to 19 %, from about a pixel of jitter and compression on dense packaging; a perfect camera: 0).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from shelfsight.vision.detections import FrameDetections
from shelfsight.vision.synthetic.render import RenderedFrame, Renderer

logger = logging.getLogger(__name__)

MIN_VISIBILITY: Final = 0.7
"""Shoppers at least this visible must be found (recall); the acceptance floor's definition."""

MATCH_IOU: Final = 0.5
"""IoU at which a detection matches a true box (PASCAL / MOTChallenge convention)."""

CHANGE_LEVELS: Final = 22
"""Grey-level change that counts a shelf pixel as changed (the threshold of the real-footage measurement)."""

CHANGE_GAP_S: Final = 0.2
"""Time between the two frames compared: consecutive frames at 5 fps, the detection rate."""

SHOPPER_MARGIN_PX: Final = 10
"""Pixels kept clear around every true box when measuring an untouched shelf."""

MIN_PATCH_PX: Final = 2000
"""Smallest shelf patch measured (fewer pixels would make the share noisy)."""

Detect = Callable[[Sequence[npt.NDArray[np.uint8]]], list[FrameDetections]]
"""A detector's ``detect``: BGR frames in, one result per frame out (e.g. ``OnnxDetector.detect``)."""


@dataclass(frozen=True)
class RealismCounts:
    """Detection counts over some frames.

    Attributes:
        frames: Frames evaluated.
        visible: True boxes at least `MIN_VISIBILITY` visible.
        found: Of those, how many a detection matched.
        detections: Person detections.
        false_positives: Detections that matched no true box.
    """

    frames: int = 0
    visible: int = 0
    found: int = 0
    detections: int = 0
    false_positives: int = 0

    @property
    def recall(self) -> float:
        """found / visible (1.0 when nothing was visible)."""
        return self.found / self.visible if self.visible else 1.0

    @property
    def precision(self) -> float:
        """Share of detections that matched a true box (1.0 when there were none)."""
        return (self.detections - self.false_positives) / self.detections if self.detections else 1.0

    def __add__(self, other: RealismCounts) -> RealismCounts:
        return RealismCounts(
            self.frames + other.frames,
            self.visible + other.visible,
            self.found + other.found,
            self.detections + other.detections,
            self.false_positives + other.false_positives,
        )


def iou_matrix(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """(n, m) IoU of boxes ``a`` (n, 4) against ``b`` (m, 4), both x1 y1 x2 y2."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    x1 = np.maximum(a64[:, None, 0], b64[None, :, 0])
    y1 = np.maximum(a64[:, None, 1], b64[None, :, 1])
    x2 = np.minimum(a64[:, None, 2], b64[None, :, 2])
    y2 = np.minimum(a64[:, None, 3], b64[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a64[:, 2] - a64[:, 0]) * (a64[:, 3] - a64[:, 1])
    area_b = (b64[:, 2] - b64[:, 0]) * (b64[:, 3] - b64[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    out: npt.NDArray[np.float64] = np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)
    return out


def match_boxes(
    detected: npt.NDArray[np.float32], truth: npt.NDArray[np.float32], iou_threshold: float = MATCH_IOU
) -> list[tuple[int, int]]:
    """One-to-one (detection, truth) index pairs with IoU >= threshold: as many pairs as possible, then the
    largest summed IoU (a pair below the threshold costs more than any set of valid ones)."""
    if len(detected) == 0 or len(truth) == 0:
        return []
    iou = iou_matrix(detected, truth)
    cost = np.where(iou >= iou_threshold, 1.0 - iou, 1e6)
    rows, cols = linear_sum_assignment(cost)
    return [(int(r), int(c)) for r, c in zip(rows, cols, strict=True) if iou[r, c] >= iou_threshold]


def score_frame(
    frame: RenderedFrame, detections: FrameDetections, min_visibility: float = MIN_VISIBILITY
) -> RealismCounts:
    """Counts for one frame: person detections (class 0) against its true boxes."""
    people = detections[detections.class_id == 0]
    pairs = match_boxes(people.xyxy, frame.truth.boxes)
    visible = frame.truth.visibility >= min_visibility
    matched_truth = {t for _, t in pairs}
    return RealismCounts(
        frames=1,
        visible=int(visible.sum()),
        found=sum(1 for t in matched_truth if visible[t]),
        detections=len(people),
        false_positives=len(people) - len(pairs),
    )


def measure_realism(renderer: Renderer, detect: Detect, *, step: int = 5, batch: int = 4) -> RealismCounts:
    """Run a detector over every ``step``-th frame of a story and count what it finds.

    Args:
        renderer: Renderer of the scenario.
        detect: The detector's ``detect`` (e.g. ``OnnxDetector(...).detect`` at conf 0.3, NMS 0.45).
        step: Evaluate frames 0, step, 2 * step, ...
        batch: Frames per detector call.
    """
    total = RealismCounts()
    pending: list[RenderedFrame] = []
    for frame in renderer.frames(step=step):
        pending.append(frame)
        if len(pending) == batch:
            total += _score_batch(pending, detect)
            pending = []
    return total + _score_batch(pending, detect) if pending else total


def _score_batch(frames: list[RenderedFrame], detect: Detect) -> RealismCounts:
    total = RealismCounts()
    for frame, dets in zip(frames, detect([f.image for f in frames]), strict=True):
        total += score_frame(frame, dets)
    return total


def _patch_mask(
    renderer: Renderer, frames: tuple[RenderedFrame, RenderedFrame], outline: npt.NDArray[np.float64]
) -> npt.NDArray[np.bool_]:
    mask = np.zeros((renderer.layout.height, renderer.layout.width), np.uint8)
    cv2.fillPoly(mask, [np.round(outline).astype(np.int32)], 255)
    m = SHOPPER_MARGIN_PX
    for frame in frames:
        for x1, y1, x2, y2 in frame.truth.boxes:
            cv2.rectangle(mask, (int(x1) - m, int(y1) - m), (int(x2) + m, int(y2) + m), 0, -1)
    return mask > 0


def shelf_change_shares(renderer: Renderer, *, pairs: int = 20) -> list[float]:
    """Share of each untouched shelf's pixels changing by more than `CHANGE_LEVELS` grey levels between two
    frames `CHANGE_GAP_S` apart, for ``pairs`` pairs spread over the video.

    A shelf counts in a pair when at least `MIN_PATCH_PX` of its front (in the first frame's geometry) are
    clear of every shopper's box (grown by `SHOPPER_MARGIN_PX`) in both frames.
    """
    gap = max(1, round(CHANGE_GAP_S * renderer.story.fps))
    last = renderer.frame_count - gap
    shares: list[float] = []
    if last <= 0:
        return shares
    outlines = [renderer.layout.to_frame(unit.face_px) for unit in renderer.layout.shelves]
    for index in np.linspace(0, last - 1, min(pairs, last)).round().astype(int):
        first, second = renderer.render(int(index)), renderer.render(int(index) + gap)
        grey = [cv2.cvtColor(f.image, cv2.COLOR_BGR2GRAY).astype(np.int16) for f in (first, second)]
        changed = np.abs(grey[0] - grey[1]) > CHANGE_LEVELS
        for outline in outlines:
            patch = _patch_mask(renderer, (first, second), outline)
            size = int(np.count_nonzero(patch))
            if size >= MIN_PATCH_PX:
                shares.append(int(np.count_nonzero(changed & patch)) / size)
    return shares
