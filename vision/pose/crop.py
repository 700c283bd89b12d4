"""Square crops around person boxes for a top-down pose model, and the way back to frame pixels.

A top-down landmark model sees one person in a square crop. Person boxes hug the body and leave out an arm
raised above the head (the arm that reaches into a top shelf), so the box is first grown upwards, then a square
a little larger than the grown box is taken around its centre. The crop is a pure scale and shift of the frame
(no rotation), so mapping points back is one multiply-add per point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class CropSettings:
    """Where the square crop around a person box lies.

    Attributes:
        grow_up: Fraction of the box height added above the box before the square is taken: room for a raised
            arm. Higher keeps a hand reaching high in view; lower gives the body more pixels. 0.15 found the raised
            wrist on the most frames of a real aisle clip (`python -m bench.eval_pose_crop`).
        scale: Side of the square as a multiple of the grown box's larger side. Higher shows more context (a
            stretched arm beside the box); lower gives the person more of the model's 256 pixels.
    """

    grow_up: float = 0.15
    scale: float = 1.5

    def __post_init__(self) -> None:
        if not 0.0 <= self.grow_up <= 1.0:
            raise ValueError(f"CropSettings.grow_up must be within 0..1 box heights, got {self.grow_up}")
        if not 1.0 <= self.scale <= 3.0:
            raise ValueError(f"CropSettings.scale must be within 1..3, got {self.scale}")


@dataclass(frozen=True)
class CropTransforms:
    """Frame -> crop maps of n crops: ``crop = frame * scale + offset`` (pixels).

    Attributes:
        scale: (n,) crop pixels per frame pixel.
        offset: (n, 2) x, y shift in crop pixels.
    """

    scale: FloatArray
    offset: FloatArray

    def matrices(self) -> FloatArray:
        """(n, 2, 3) affine matrices for ``cv2.warpAffine`` (frame -> crop)."""
        n = len(self.scale)
        out = np.zeros((n, 2, 3), np.float32)
        out[:, 0, 0] = out[:, 1, 1] = self.scale
        out[:, :, 2] = self.offset
        return out

    def to_frame(self, points: FloatArray) -> FloatArray:
        """(n, K, 2) crop pixels of each crop's points -> frame pixels."""
        result: FloatArray = ((points - self.offset[:, None, :]) / self.scale[:, None, None]).astype(np.float32)
        return result


def grow_boxes_up(xyxy: FloatArray, grow_up: float) -> FloatArray:
    """(n, 4) boxes with their top moved up by ``grow_up`` box heights (pixels; may go above the frame)."""
    grown = np.array(xyxy, np.float32, copy=True)
    grown[:, 1] -= grow_up * (grown[:, 3] - grown[:, 1])
    return grown


def crop_transforms(xyxy: FloatArray, settings: CropSettings, size: int) -> CropTransforms:
    """The square crops of (n, 4) frame-pixel person boxes, for a model input of ``size`` x ``size`` pixels.

    The square's side is ``settings.scale`` times the larger side of the box grown upwards, centred on that grown
    box. A degenerate box (no width and height) gets a 1-pixel side rather than a division by zero.
    """
    grown = grow_boxes_up(xyxy, settings.grow_up)
    centre = np.stack([(grown[:, 0] + grown[:, 2]) / 2, (grown[:, 1] + grown[:, 3]) / 2], axis=1)
    side = settings.scale * np.maximum(grown[:, 2] - grown[:, 0], grown[:, 3] - grown[:, 1])
    scale = (size / np.maximum(side, 1.0)).astype(np.float32)
    offset = (size / 2 - centre * scale[:, None]).astype(np.float32)
    return CropTransforms(scale, offset)
