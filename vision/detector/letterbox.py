"""Letterbox a batch of BGR frames of any size into one network input blob, and map boxes back.

The frame keeps its aspect ratio: it is scaled to fit the network input and the rest is padded with grey
(114, the value both YOLOX and Ultralytics train with). YOLOX pads to the bottom-right (image top-left);
Ultralytics centres the image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

PAD_VALUE = 114


@dataclass(frozen=True)
class LetterboxTransform:
    """How each frame of a batch was placed into the network input.

    Attributes:
        scale: (B,) input pixels per frame pixel.
        offset: (B, 2) x, y padding in input pixels before the image starts.
        frame_hw: (B, 2) original frame height and width in pixels.
    """

    scale: npt.NDArray[np.float32]
    offset: npt.NDArray[np.float32]
    frame_hw: npt.NDArray[np.int64]

    def boxes_to_frame(self, index: int, xyxy: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Map (n, 4) boxes in input pixels of batch item ``index`` to clipped frame pixels."""
        out = (xyxy - np.tile(self.offset[index], 2)) / self.scale[index]
        height, width = self.frame_hw[index]
        np.clip(out[:, 0::2], 0, width, out=out[:, 0::2])
        np.clip(out[:, 1::2], 0, height, out=out[:, 1::2])
        return np.asarray(out, np.float32)

    def points_to_frame(self, index: int, xy: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Map (..., 2) points in input pixels of batch item ``index`` to frame pixels (not clipped)."""
        return np.asarray((xy - self.offset[index]) / self.scale[index], np.float32)


class LetterboxBuffers:
    """Reusable canvas and blob memory for one input size, so a steady stream allocates nothing per frame.

    A fresh 2 MB blob per call costs page faults that showed up as ~1 ms per YOLOX frame (bench/). The blob
    returned by ``letterbox_batch`` with buffers is a view that the next call overwrites.
    """

    def __init__(self, input_hw: tuple[int, int]) -> None:
        self.input_hw = input_hw
        self._canvas = np.empty((0, *input_hw, 3), np.uint8)
        self._blob = np.empty((0, 3, *input_hw), np.float32)

    def get(self, batch: int) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.float32]]:
        """(canvas (B, H, W, 3) uint8, blob (B, 3, H, W) float32) views for a batch of ``batch`` frames."""
        if len(self._canvas) < batch:
            self._canvas = np.empty((batch, *self.input_hw, 3), np.uint8)
            self._blob = np.empty((batch, 3, *self.input_hw), np.float32)
        return self._canvas[:batch], self._blob[:batch]


def letterbox_batch(
    images: Sequence[npt.NDArray[np.uint8]],
    input_hw: tuple[int, int],
    *,
    centre: bool,
    rgb: bool,
    scale: float,
    buffers: LetterboxBuffers | None = None,
) -> tuple[npt.NDArray[np.float32], LetterboxTransform]:
    """Build the (B, 3, H, W) float32 input blob for a batch of BGR uint8 frames.

    Args:
        images: Frames of any size, (h, w, 3) uint8 BGR.
        input_hw: Network input (height, width) in pixels.
        centre: Centre the image (Ultralytics) instead of placing it top-left (YOLOX).
        rgb: Swap BGR to RGB.
        scale: Multiplier applied to 0..255 values (1/255 for Ultralytics, 1 for YOLOX).
        buffers: Reusable memory for ``input_hw``; the blob is then only valid until the next call.

    Returns:
        The blob and the transform that maps boxes back to each frame.
    """
    batch = len(images)
    canvas, blob = (buffers or LetterboxBuffers(input_hw)).get(batch)
    canvas.fill(PAD_VALUE)
    scales = np.empty(batch, np.float32)
    offsets = np.zeros((batch, 2), np.float32)
    frame_hw = np.empty((batch, 2), np.int64)
    for i, image in enumerate(images):
        scales[i], offsets[i], frame_hw[i] = _place(image, canvas[i], i, centre)
    # HWC uint8 -> CHW float32 plane by plane, into the preallocated blob
    channels = (2, 1, 0) if rgb else (0, 1, 2)
    for plane, channel in enumerate(channels):
        np.copyto(blob[:, plane], canvas[..., channel], casting="unsafe")
    if scale != 1.0:
        np.multiply(blob, np.float32(scale), out=blob)
    return blob, LetterboxTransform(scales, offsets, frame_hw)


def _place(
    image: npt.NDArray[np.uint8], canvas: npt.NDArray[np.uint8], index: int, centre: bool
) -> tuple[float, tuple[int, int], tuple[int, int]]:
    """Resize one frame into its canvas slot; returns (scale, (left, top) offset, (height, width))."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"frame {index}: expected (h, w, 3) uint8 BGR, got {image.shape} {image.dtype}")
    net_h, net_w = canvas.shape[:2]
    height, width = image.shape[:2]
    ratio = min(net_h / height, net_w / width)
    new_w, new_h = round(width * ratio), round(height * ratio)
    left, top = ((net_w - new_w) // 2, (net_h - new_h) // 2) if centre else (0, 0)
    # Resize straight into the canvas (an ROI view): no intermediate copy. Both model families train
    # with bilinear resizing.
    region = canvas[top : top + new_h, left : left + new_w]
    cv2.resize(image, (new_w, new_h), dst=region, interpolation=cv2.INTER_LINEAR)
    return ratio, (left, top), (height, width)
