"""Camera imperfections applied to a drawn frame: lighting drift, blur, lens distortion, noise, JPEG artefacts.

Everything slow is prepared once: noise is a few seeded tiles cycled by frame number (added and subtracted
as two saturating uint8 passes), lens distortion is a pair of precomputed ``cv2.remap`` maps. Each effect is
a pure function of the frame and its index, so frames come out the same in any order and on any run.
"""

from __future__ import annotations

import logging
import math
from typing import Any, Final

import cv2
import numpy as np
import numpy.typing as npt

from vision.synthetic.camera import LensDistortion
from vision.synthetic.scenario import EffectsSpec

logger = logging.getLogger(__name__)

Image = npt.NDArray[np.uint8]

NOISE_TILES: Final = 8
"""Distinct noise frames cycled through: enough that the noise does not look frozen, cheap to hold."""

BORDER: Final = (16, 16, 16)
"""Colour of the corners that lens distortion pulls in from outside the drawn frame (vignetted black)."""


class Effects:
    """Applies a scenario's `EffectsSpec` to frames.

    Args:
        spec: Which effects and how strong.
        width: Frame width, pixels.
        height: Frame height, pixels.
        seed: Seed of the noise tiles.
        lens: The scene's lens distortion, or None.
    """

    def __init__(self, spec: EffectsSpec, width: int, height: int, seed: int, lens: LensDistortion | None) -> None:
        self.spec, self.lens = spec, lens
        self._plus: list[Image] = []
        self._minus: list[Image] = []
        if spec.noise_sigma > 0:
            rng = np.random.default_rng([seed, 31337])
            for _ in range(NOISE_TILES):
                noise = np.rint(rng.normal(0.0, spec.noise_sigma, (height, width, 3)))
                self._plus.append(np.clip(noise, 0, 255).astype(np.uint8))
                self._minus.append(np.clip(-noise, 0, 255).astype(np.uint8))

    @property
    def active(self) -> bool:
        """Whether any effect changes the frame."""
        s = self.spec
        return bool(s.noise_sigma or s.blur_sigma_px or s.lighting_drift or s.jpeg_quality or self.lens)

    def apply(self, frame: Image, index: int, t_s: float) -> Image:
        """The frame with every configured effect applied, in camera order (optics, sensor, encoder).

        Args:
            frame: (H, W, 3) uint8 BGR, not modified.
            index: Frame number (picks the noise tile).
            t_s: Scene time, seconds (drives the lighting drift).

        Returns:
            A new frame (or ``frame`` itself when no effect is configured).
        """
        s = self.spec
        out: npt.NDArray[Any] = frame
        if s.lighting_drift > 0:
            gain = 1.0 + s.lighting_drift * math.sin(2.0 * math.pi * t_s / s.lighting_period_s)
            out = cv2.convertScaleAbs(out, alpha=gain)
        if s.blur_sigma_px > 0:
            out = cv2.GaussianBlur(out, (0, 0), s.blur_sigma_px)
        if self.lens is not None:
            out = cv2.remap(
                out,
                self.lens.map_x,
                self.lens.map_y,
                cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_CONSTANT,
                borderValue=BORDER,
            )
        if self._plus:
            tile = index % len(self._plus)
            out = cv2.subtract(cv2.add(out, self._plus[tile]), self._minus[tile])
        if s.jpeg_quality is not None:
            ok, encoded = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, s.jpeg_quality])
            if not ok:
                raise RuntimeError("OpenCV could not JPEG-encode a frame")
            decoded = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
            if decoded is None:
                raise RuntimeError("OpenCV could not decode a JPEG it had just encoded")
            out = decoded
        return np.asarray(out, np.uint8)
