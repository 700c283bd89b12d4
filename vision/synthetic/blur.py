"""Motion blur of drawn shoppers: each part smeared along how far it moved while the shutter was open.

A store camera exposes each frame for 1/60-1/20 s; an arm reaching for a shelf moves several pixels in that
time and is seen as a streak, not a sharp limb. The renderer builds the figure at the start and the end of
the exposure, and the displacement of each part (the body by its feet, each arm by its hand) is the blur
vector of that part in the figure at mid-exposure.

Compositing a moving part over a still background: ``out = under * (1 - K * m) + K * (part * m)``, where
``m`` is the part's anti-aliased coverage, ``K`` a line kernel along the displacement and ``under`` the
frame before the part was painted (premultiplied blur, so the streak fades into what is behind it).
"""

from __future__ import annotations

import logging
import math
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt

from shelfsight.vision.synthetic.figure_ops import SCALE, SHIFT, Figure, Op, PartKey, Point, ops_bounds, paint_ops

logger = logging.getLogger(__name__)

MIN_BLUR_PX: Final = 1.0
"""Parts that move less than this during the exposure are painted sharp (the blur would not show)."""


def line_kernel(shift: Point) -> npt.NDArray[np.float32]:
    """A normalised (k, k) kernel: an anti-aliased line of length ``|shift|`` through the centre, along it."""
    length = math.hypot(*shift)
    half = math.ceil(length / 2.0) + 1
    size = 2 * half + 1
    kernel = np.zeros((size, size), np.float32)
    a = (round((half - shift[0] / 2) * SCALE), round((half - shift[1] / 2) * SCALE))
    b = (round((half + shift[0] / 2) * SCALE), round((half + shift[1] / 2) * SCALE))
    cv2.line(kernel, a, b, 1.0, 1, cv2.LINE_AA, SHIFT)
    total = float(kernel.sum())
    if total <= 0:
        kernel[half, half] = 1.0
        return kernel
    out: npt.NDArray[np.float32] = kernel / total
    return out


def _roi(ops: list[Op], grow: int, size: tuple[int, int]) -> tuple[int, int, int, int] | None:
    w, h = size
    bx0, by0, bx1, by1 = ops_bounds(ops)
    x0, y0 = max(0, math.floor(bx0) - grow), max(0, math.floor(by0) - grow)
    x1, y1 = min(w, math.ceil(bx1) + grow), min(h, math.ceil(by1) + grow)
    return (x0, y0, x1, y1) if x0 < x1 and y0 < y1 else None


def _paint_smeared(image: npt.NDArray[np.uint8], ops: list[Op], shift: Point) -> None:
    kernel = line_kernel(shift)
    roi = _roi(ops, kernel.shape[0] // 2 + 2, (image.shape[1], image.shape[0]))
    if roi is None:
        return
    x0, y0, x1, y1 = roi
    under = image[y0:y1, x0:x1].astype(np.float32)
    paint_ops(image, ops, (0.0, 0.0), None)
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    paint_ops(mask, ops, (float(x0), float(y0)), (255, 255, 255), antialias=True)
    cover = mask.astype(np.float32) * (1.0 / 255.0)
    part = image[y0:y1, x0:x1].astype(np.float32) * cover[..., None]
    smeared = cv2.filter2D(part, -1, kernel, borderType=cv2.BORDER_CONSTANT)
    weight = cv2.filter2D(cover, -1, kernel, borderType=cv2.BORDER_CONSTANT)
    out = under * (1.0 - weight[..., None]) + smeared
    image[y0:y1, x0:x1] = np.clip(out + 0.5, 0, 255).astype(np.uint8)


def draw_figure_blurred(image: npt.NDArray[np.uint8], figure: Figure, shifts: dict[PartKey, Point]) -> None:
    """Paint the figure on a BGR frame in place, each part smeared along its shift (pixels moved during the
    exposure); parts without a shift, or moving less than `MIN_BLUR_PX`, are painted sharp."""
    for part, start, end in figure.parts:
        shift = shifts.get(part)
        if shift is None or math.hypot(*shift) < MIN_BLUR_PX:
            paint_ops(image, figure.ops[start:end], (0.0, 0.0), None)
        else:
            _paint_smeared(image, figure.ops[start:end], shift)
