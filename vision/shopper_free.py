"""A camera's whole picture with shoppers left out: what an installer draws zones on.

It is the shelf model's stable picture (`shelfsight.vision.events.shelf_state.ShelfState`) stretched over the whole
frame: a pixel is learned only after it has been in view and still for ``settle_s`` with no person box over it or beside
it (boxes grown by ``occluder_margin_px``, ``head_room`` and twice ``border_px``). Pixels inside a person box are
never copied from the frame, so the picture never shows a detected person; a spot that no frame showed free of people
stays *unknown* and is drawn as a grey checkerboard, not guessed.

Like the shelf model it lives in the coordinates of the first frame, the coordinates zones are configured in.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from shelfsight.vision.events.shelf_state import ShelfState, ShelfStateSettings
from shelfsight.vision.zones import Zone

Image = npt.NDArray[np.uint8]
WHOLE_FRAME = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))
UNKNOWN_TILE_PX = 16
"""Side of the checkerboard squares drawn where the picture is unknown, frame pixels."""
UNKNOWN_SHADES = (96, 128)
MAX_WORK_WIDTH_PX = 640
"""The picture is learned at full resolution up to this width and scaled down above it, so a frame costs the same
for a 1080p camera as for a 640-pixel one (tens of milliseconds on one core)."""


@dataclass(frozen=True)
class ShopperFreeImage:
    """The picture at the frame's size.

    Attributes:
        image: (H, W, 3) uint8 BGR; unknown pixels are a grey checkerboard.
        known: Share 0..1 of the frame learned free of people.
    """

    image: Image
    known: float


class ShopperFreePicture:
    """Learns one camera's shopper-free picture. Call ``update`` with frames in time order (any subset of them).

    Args:
        frame_size: (height, width) of the camera's frames, pixels.
        settings: The shelf model's tuning; by default its own, at full resolution up to ``MAX_WORK_WIDTH_PX``
            wide (``scale`` sets the picture's working resolution).
    """

    def __init__(self, frame_size: tuple[int, int], settings: ShelfStateSettings | None = None) -> None:
        self.frame_size = frame_size
        zone = Zone.from_normalised("camera", "shelf", WHOLE_FRAME, frame_size)
        if settings is None:
            settings = ShelfStateSettings(scale=min(1.0, MAX_WORK_WIDTH_PX / max(1, frame_size[1])))
        self.state = ShelfState(zone, settings)
        self.frames = 0
        self._unknown: Image | None = None

    def update(self, frame: Image, person_boxes: npt.NDArray[np.float32], t: float) -> None:
        """Take one frame.

        Args:
            frame: The BGR frame, of ``frame_size``.
            person_boxes: (n, 4) x1, y1, x2, y2 pixel boxes of every person detected in it (any confidence the
                detector kept: more masking is safer).
            t: Frame time, seconds (epoch or any monotonic clock).
        """
        if frame.shape[:2] != self.frame_size:
            raise ValueError(f"frame is {frame.shape[:2]} pixels (h, w); this picture is {self.frame_size}")
        boxes = np.asarray(person_boxes, np.float32).reshape(-1, 4)
        # Grown by the shelf model's border before it sees them: its first frame takes every pixel outside the
        # boxes at once, and a box often misses a sleeve, a bag or a hand.
        settings = self.state.settings
        border = np.maximum(settings.border_px, settings.border_share * (boxes[:, 3] - boxes[:, 1]))
        boxes = boxes + border[:, None] * np.array([-1, -1, 1, 1], np.float32)
        self.state.update(frame, boxes, t, find_arms=False)
        self.frames += 1

    def picture(self) -> ShopperFreeImage | None:
        """The picture so far, or None before the first frame."""
        stable = self.state.stable
        if stable is None:
            return None
        height, width = self.frame_size
        known = self.state.valid.astype(np.uint8)
        image = cv2.resize(np.clip(stable, 0, 255).astype(np.uint8), (width, height), interpolation=cv2.INTER_LINEAR)
        known_full = cv2.resize(known, (width, height), interpolation=cv2.INTER_NEAREST).astype(bool)
        if self._unknown is None:
            self._unknown = unknown_pattern(self.frame_size)
        out = np.where(known_full[:, :, None], image, self._unknown)
        return ShopperFreeImage(out, float(known.mean()) if known.size else 0.0)


def unknown_pattern(frame_size: tuple[int, int]) -> Image:
    """A grey checkerboard of ``frame_size`` (height, width): what an unknown part of the picture looks like."""
    height, width = frame_size
    rows = (np.arange(height) // UNKNOWN_TILE_PX)[:, None]
    cols = (np.arange(width) // UNKNOWN_TILE_PX)[None, :]
    shade = np.where((rows + cols) % 2 == 0, UNKNOWN_SHADES[0], UNKNOWN_SHADES[1]).astype(np.uint8)
    return np.repeat(shade[:, :, None], 3, axis=2)
