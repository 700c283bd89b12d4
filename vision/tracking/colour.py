"""Clothing colour signatures: a cheap appearance cue for telling apart two shoppers whose boxes meet.

When two people cross or one steps behind the other, the detector often draws one box for both for a frame or
two, and afterwards box overlap alone cannot say which track continues as which person. What they wear can.
A signature is a coarse hue / saturation / value histogram of the torso and one of the legs (the head is left
out, so nothing of a face goes in): it costs a few microseconds per box, where the ReID network costs
milliseconds, so the tracker can refresh it while a shopper stands clear of others and compare it whenever an
assignment is in doubt. Signatures live in the tracker's memory only and are dropped with the track.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

BINS = (8, 4, 4)
"""Hue, saturation and value bins (OpenCV hue is 0..180)."""

PARTS = ((0.2, 0.18, 0.8, 0.55), (0.2, 0.55, 0.8, 0.95))
"""Parts of the box with a histogram each, as shares of its width and height (left, top, right, bottom): torso
and legs (shirt and trousers), not the head, and not the box edges where the background shows most."""

PART_SIZE = BINS[0] * BINS[1] * BINS[2]
SIZE = PART_SIZE * len(PARTS)
"""Length of one signature."""


def colour_signatures(image: npt.NDArray[np.uint8], xyxy: npt.NDArray[np.floating]) -> npt.NDArray[np.float32]:
    """(n, SIZE) float32 histograms, each part's summing to 1 / len(PARTS) (zeros for a part outside the frame).

    Args:
        image: The frame, BGR.
        xyxy: (n, 4) boxes in frame pixels.
    """
    out = np.zeros((len(xyxy), len(PARTS), PART_SIZE), np.float32)
    if len(xyxy) == 0:
        return out.reshape(0, SIZE)
    height, width = image.shape[:2]
    boxes = np.asarray(xyxy, np.float64)
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    for p, (left, top, right, bottom) in enumerate(PARTS):
        x0 = np.clip(boxes[:, 0] + left * w, 0, width).astype(np.int64)
        x1 = np.clip(boxes[:, 0] + right * w, 0, width).astype(np.int64)
        y0 = np.clip(boxes[:, 1] + top * h, 0, height).astype(np.int64)
        y1 = np.clip(boxes[:, 1] + bottom * h, 0, height).astype(np.int64)
        for k in range(len(boxes)):
            if x1[k] - x0[k] < 2 or y1[k] - y0[k] < 2:
                continue
            # Every other pixel each way: a quarter of the work, the same histogram shape.
            crop = np.ascontiguousarray(image[y0[k] : y1[k] : 2, x0[k] : x1[k] : 2])
            hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV)
            hist = cv2.calcHist([hsv], [0, 1, 2], None, list(BINS), [0, 180, 0, 256, 0, 256]).ravel()
            total = float(hist.sum())
            if total > 0:
                out[k, p] = hist / (total * len(PARTS))
    return out.reshape(len(xyxy), SIZE)


def signature_distance(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """(n, m) Hellinger distance between (n, SIZE) and (m, SIZE) signatures: 0 same colours, 1 nothing shared."""
    overlap = np.sqrt(np.asarray(a, np.float64)) @ np.sqrt(np.asarray(b, np.float64)).T
    return np.sqrt(np.clip(1.0 - overlap, 0.0, 1.0))
