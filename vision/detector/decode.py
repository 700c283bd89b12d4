"""Turn raw model outputs into candidate boxes, per layout, vectorised over the whole batch.

Everything here is in network-input pixels; mapping to frame pixels and NMS happen afterwards. Candidates
are thresholded on the best wanted-class score *before* any box arithmetic, so the cost scales with the
number of candidates, not with the thousands of anchor points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from shelfsight.vision.detector.layouts import STRIDES, Layout, ModelLayout

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Candidates:
    """Boxes above the confidence threshold for one batch item, before NMS.

    Attributes:
        xyxy: (n, 4) float32 boxes in network-input pixels.
        score: (n,) float32 confidence (objectness x class score for YOLOX).
        class_id: (n,) int64 class index.
        keypoints: (n, K, 3) float32 x, y (input pixels) and score, or None.
    """

    xyxy: FloatArray
    score: FloatArray
    class_id: npt.NDArray[np.int64]
    keypoints: FloatArray | None = None


def yolox_grids(input_hw: tuple[int, int]) -> tuple[FloatArray, FloatArray]:
    """(A, 2) grid cell x, y and (A, 1) stride of every anchor point of a YOLOX head, strides 8/16/32."""
    grids, strides = [], []
    for stride in STRIDES:
        rows, cols = input_hw[0] // stride, input_hw[1] // stride
        ys, xs = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
        grids.append(np.stack([xs.ravel(), ys.ravel()], axis=1))
        strides.append(np.full((rows * cols, 1), stride))
    return np.concatenate(grids).astype(np.float32), np.concatenate(strides).astype(np.float32)


def _class_columns(layout: ModelLayout, classes: tuple[int, ...] | None) -> npt.NDArray[np.int64]:
    wanted = range(layout.num_classes) if classes is None else classes
    return np.array([c for c in wanted if 0 <= c < layout.num_classes], np.int64)


def _best_class(scores: FloatArray, columns: npt.NDArray[np.int64]) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    """Best score and its class over the wanted columns; ``scores`` is (..., len(columns))."""
    if scores.shape[-1] == 1:
        return scores[..., 0], np.full(scores.shape[:-1], columns[0], np.int64)
    best = scores.argmax(axis=-1)
    return np.take_along_axis(scores, best[..., None], axis=-1)[..., 0], columns[best]


def cxcywh_to_xyxy(boxes: FloatArray) -> FloatArray:
    """(n, 4) centre/size boxes to corner boxes."""
    half = boxes[:, 2:4] / 2
    return np.concatenate([boxes[:, 0:2] - half, boxes[:, 0:2] + half], axis=1)


class Decoder:
    """Decodes one model's raw output for a fixed layout, class filter and confidence threshold.

    Args:
        layout: The recognised model layout.
        conf_threshold: Minimum score (0..1) to keep a candidate. Lower finds more partly hidden shoppers and
            more false boxes; NMS cost grows with the candidates.
        classes: Class indices to keep, or None for all.
    """

    def __init__(self, layout: ModelLayout, conf_threshold: float, classes: tuple[int, ...] | None) -> None:
        self.layout = layout
        self.conf_threshold = conf_threshold
        self.columns = _class_columns(layout, classes)
        if len(self.columns) == 0:
            raise ValueError(f"class filter {classes} keeps none of the model's {layout.num_classes} classes")
        if layout.layout is Layout.YOLOX:
            self._grid, self._stride = yolox_grids(layout.input_hw)

    def __call__(self, output: FloatArray) -> list[Candidates]:
        """Decode a (B, ...) raw output into one ``Candidates`` per batch item."""
        kind = self.layout.layout
        if kind is Layout.YOLOX:
            return [self._yolox(item) for item in output]
        if kind is Layout.ULTRALYTICS_END2END:
            return [self._end2end(item) for item in output]
        return [self._ultralytics(item) for item in output]

    def _yolox(self, out: FloatArray) -> Candidates:
        # out: (A, 5 + nc); score = objectness x class probability (both already sigmoid-ed in the export)
        scores, class_id = _best_class(out[:, 5 + self.columns] * out[:, 4:5], self.columns)
        keep = np.flatnonzero(scores > self.conf_threshold)
        rows = out[keep]
        xy = (rows[:, 0:2] + self._grid[keep]) * self._stride[keep]
        wh = np.exp(rows[:, 2:4]) * self._stride[keep]
        return Candidates(cxcywh_to_xyxy(np.concatenate([xy, wh], axis=1)), scores[keep], class_id[keep])

    def _ultralytics(self, out: FloatArray) -> Candidates:
        # out: (4 + nc + 3K, A), channels first; select candidate anchors before transposing anything
        nc = self.layout.num_classes
        scores, class_id = _best_class(out[4 + self.columns].T, self.columns)
        keep = np.flatnonzero(scores > self.conf_threshold)
        boxes = cxcywh_to_xyxy(out[0:4, keep].T)
        keypoints = None
        if self.layout.num_keypoints:
            keypoints = out[4 + nc :, keep].T.reshape(len(keep), self.layout.num_keypoints, 3)
        return Candidates(boxes, scores[keep], class_id[keep], keypoints)

    def _end2end(self, out: FloatArray) -> Candidates:
        # out: (N, 6 + 3K): x1 y1 x2 y2 score class [keypoints]; NMS already done inside the graph
        class_id = out[:, 5].astype(np.int64)
        keep = np.flatnonzero((out[:, 4] > self.conf_threshold) & np.isin(class_id, self.columns))
        keypoints = None
        if self.layout.num_keypoints:
            keypoints = out[keep, 6:].reshape(len(keep), self.layout.num_keypoints, 3)
        return Candidates(out[keep, 0:4], out[keep, 4], class_id[keep], keypoints)
