"""Comparing two pictures of a shelf so that what a real camera does to it is not a change.

Three things a real camera does make raw grey-level differences useless on dense packaging: residual jitter
after registration (a fraction of a pixel moves every edge), compression (blocks and ringing that differ from
frame to frame) and exposure (the whole picture brighter or darker). A product taken or put back, by contrast,
changes the *structure* of a patch: its edges, its texture, its colours, over an area the size of a facing.
These pure functions measure that:

* ``shifted_difference``: the colour difference to the reference at the best of the shifts of up to a pixel or
  two: an edge moved by residual jitter scores zero, a facing replaced by bare backing does not.
* ``structure_difference``: 1 - the contrast-structure term of SSIM over a small window (on lightly blurred
  grey images), which ignores a change of mean brightness and of gain, and is 0 for identical structure.
* ``flatness``: how plain a set of pixels is (bare backing shows when an item is taken).

Arrays in, arrays out; working-resolution pixels; grey levels 0..255.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

FloatImage = npt.NDArray[np.float32]
CHANNEL_MEAN = np.full((1, 3), 1.0 / 3.0, np.float32)  # cv2.transform matrix: BGR -> mean of the channels
STRUCTURE_C2 = (0.03 * 255) ** 2  # SSIM's contrast constant: flat against flat counts as the same structure


def grey(image: FloatImage, blur_sigma: float) -> FloatImage:
    """Mean of the BGR channels, blurred by ``blur_sigma`` pixels (0: not blurred)."""
    out = cv2.transform(image, CHANNEL_MEAN)
    if blur_sigma > 0:
        out = cv2.GaussianBlur(out, (0, 0), blur_sigma)
    return np.asarray(out, np.float32)


def shifted_difference(image: FloatImage, reference: FloatImage, radius: int) -> FloatImage:
    """Per pixel, the smallest mean-over-channels absolute difference between ``image`` and ``reference``
    shifted by up to ``radius`` pixels in x and y: a difference that no such shift explains.

    The whole colour must match at one shift, so a grey backing is not "explained" by a dark-and-light facing
    around it (as a per-channel min/max range would), while an edge moved by residual jitter is.
    """
    height, width = image.shape[:2]
    padded = cv2.copyMakeBorder(reference, radius, radius, radius, radius, cv2.BORDER_REPLICATE)
    best: FloatImage | None = None
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            window = padded[radius + dy : radius + dy + height, radius + dx : radius + dx + width]
            diff = np.asarray(cv2.transform(cv2.absdiff(image, window), CHANNEL_MEAN), np.float32)
            best = diff if best is None else np.minimum(best, diff)
    assert best is not None
    return best


def structure_difference(a: FloatImage, b: FloatImage, window: int) -> FloatImage:
    """Per pixel, 1 - SSIM's contrast-structure term between two grey images over a ``window``-pixel box.

    0 where the patches have the same structure at any brightness or gain, towards 1 (up to 2 for inverted
    structure) where edges and texture differ: an item taken leaves plain backing where a printed facing was.
    """
    size = (window, window)
    mean_a, mean_b = cv2.boxFilter(a, -1, size), cv2.boxFilter(b, -1, size)
    var_a = cv2.boxFilter(a * a, -1, size) - mean_a * mean_a
    var_b = cv2.boxFilter(b * b, -1, size) - mean_b * mean_b
    cov = cv2.boxFilter(a * b, -1, size) - mean_a * mean_b
    cs = (2.0 * cov + STRUCTURE_C2) / (np.maximum(var_a, 0.0) + np.maximum(var_b, 0.0) + STRUCTURE_C2)
    return np.asarray(1.0 - cs, np.float32)


def flatness(pixels: npt.NDArray[np.float32]) -> float:
    """How plain (n, 3) pixels are: high for bare shelf backing, low for a printed, colourful facing."""
    return -float(pixels.std(axis=0).mean()) if len(pixels) else 0.0


def global_gain(image: FloatImage, reference: FloatImage, mask: npt.NDArray[np.bool_]) -> float:
    """The brightness gain that maps ``image`` onto ``reference`` over ``mask`` (exposure steps, lighting
    drift); 1.0 when too few pixels to tell."""
    sample = mask[::3, ::3]
    if int(sample.sum()) <= 30:
        return 1.0
    return float(reference[::3, ::3][sample].sum() + 1.0) / float(image[::3, ::3][sample].sum() + 1.0)
