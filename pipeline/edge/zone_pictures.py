"""Each camera's shopper-free picture on the box's own disk, for the zones page.

The track+events stage feeds `shelfsight.vision.shopper_free.ShopperFreePicture` a frame every ``SAMPLE_EVERY_S`` with
every person box the detector kept, and writes the picture as ``zones/<camera>.png`` beside the spool every
``WRITE_EVERY_S`` (and soon after the first frames). Pixels inside person boxes are never learned, so the file
never shows a detected person; it stays on this box and is served only to a signed-in installer
(`shelfsight.pipeline.edge.zones_page`). A picture that cannot be written (a full disk) is skipped and counted: it never
holds up events.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from shelfsight.vision.shopper_free import ShopperFreePicture

logger = logging.getLogger(__name__)

SAMPLE_EVERY_S = 1.0
"""Seconds of frame time between frames taken into the picture: a pixel still in two samples in a row has settled
(the shelf model's ``settle_s``, 0.6 s), and the stage spends tens of milliseconds a second on it."""
WRITE_EVERY_S = 10.0
"""Seconds of frame time between writes of the file."""
PNG_COMPRESSION = 1
"""zlib level: fast; the file stays on the box."""
FIRST_WRITE_AFTER_S = 2.0
"""The first write comes this soon, so a new box shows a picture at once."""


def picture_path(spool_folder: Path, camera_id: str) -> Path:
    """Where camera ``camera_id``'s picture lives: ``zones/<camera>.png`` in the spool's folder."""
    return spool_folder / "zones" / f"{camera_id}.png"


class ZonePictureWriter:
    """Learns and writes one camera's picture.

    Args:
        path: The PNG file (its folder is created).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.picture: ShopperFreePicture | None = None
        self.written = 0
        self.failed = 0
        self._sampled_at = float("-inf")
        self._write_at = float("inf")

    def offer(self, image: npt.NDArray[np.uint8], person_boxes: npt.NDArray[np.float32], t: float) -> bool:
        """Take the frame if one is due; write the file if due. Returns True when the file was written.

        Args:
            image: The BGR frame.
            person_boxes: (n, 4) pixel boxes of the people the detector kept in it.
            t: Frame time, epoch seconds.
        """
        if t - self._sampled_at < SAMPLE_EVERY_S and t >= self._sampled_at:
            return False
        self._sampled_at = t
        size = (image.shape[0], image.shape[1])
        if self.picture is None or self.picture.frame_size != size:  # a new stream resolution starts afresh
            self.picture = ShopperFreePicture(size)
            self._write_at = t + FIRST_WRITE_AFTER_S
        self.picture.update(image, person_boxes, t)
        if t < self._write_at:
            return False
        self._write_at = t + WRITE_EVERY_S
        return self.write()

    def write(self) -> bool:
        """Write the picture now (atomically: a reader never sees half a file); False when it could not."""
        picture = self.picture.picture() if self.picture is not None else None
        if picture is None:
            return False
        temp = self.path.with_suffix(".png.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            ok, data = cv2.imencode(".png", picture.image, [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION])
            if not ok:
                raise OSError("PNG encoding failed")
            temp.write_bytes(data.tobytes())
            os.replace(temp, self.path)
        except (OSError, cv2.error) as exc:
            self.failed += 1
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)
            if self.failed == 1:
                logger.warning("cannot write the zones picture %s (%s); trying again later", self.path, exc)
            return False
        self.written += 1
        return True
