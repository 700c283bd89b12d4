"""Class-aware non-maximum suppression, done by OpenCV's C++ implementation."""

from __future__ import annotations

from typing import Any, cast

import cv2
import numpy as np
import numpy.typing as npt


def nms(
    xyxy: npt.NDArray[np.float32],
    score: npt.NDArray[np.float32],
    class_id: npt.NDArray[np.int64],
    *,
    iou_threshold: float,
    max_detections: int,
) -> npt.NDArray[np.int64]:
    """Indices of the boxes kept, best score first; boxes of different classes never suppress each other.

    Args:
        xyxy: (n, 4) boxes in any pixel space.
        score: (n,) scores.
        class_id: (n,) class indices.
        iou_threshold: Overlap (0..1) above which the lower-scored box of a class goes. Higher keeps more
            boxes of people standing close together, and more duplicates of one person.
        max_detections: Cap on boxes kept per frame.
    """
    if len(xyxy) == 0:
        return np.zeros(0, np.int64)
    xywh = np.concatenate([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]], axis=1)
    # OpenCV's stubs ask for sequences; its bindings take numpy arrays without a copy.
    boxes, scores = cast(Any, xywh), cast(Any, score)
    if len(np.unique(class_id)) == 1:
        kept = cv2.dnn.NMSBoxes(boxes, scores, 0.0, iou_threshold, top_k=max_detections)
    else:
        classes = cast(Any, class_id.astype(np.int32))
        kept = cv2.dnn.NMSBoxesBatched(boxes, scores, classes, 0.0, iou_threshold, top_k=max_detections)
    return np.asarray(kept, np.int64).reshape(-1)[:max_detections]
