"""Camera imperfections applied to a drawn frame: exposure, lighting, blur, camera motion, lens, noise, JPEG.

Everything slow is prepared once: noise is a few seeded tiles cycled by frame number (added and subtracted
as two saturating uint8 passes), lens distortion is a pair of precomputed ``cv2.remap`` maps (shifted by the
frame's camera offset when the camera moves), auto-exposure steps are a seeded schedule over the whole video.
Each effect is a pure function of the frame and its index, so frames come out the same in any order and on
any run. H.264 needs the frames before it in its group of pictures, so the renderer applies it
(`shelfsight.vision.synthetic.h264`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any, Final

import cv2
import numpy as np
import numpy.typing as npt

from shelfsight.vision.synthetic.camera import FisheyeLens, Lens
from shelfsight.vision.synthetic.scenario import EffectsSpec
from shelfsight.vision.synthetic.shake import CameraMotion

logger = logging.getLogger(__name__)

Image = npt.NDArray[np.uint8]

NOISE_TILES: Final = 8
"""Distinct noise frames cycled through: enough that the noise does not look frozen, cheap to hold."""

BORDER: Final = (16, 16, 16)
"""Colour of the corners that lens distortion pulls in from outside the drawn frame (vignetted black)."""

EXPOSURE_STREAM: Final = 5077
"""Random stream of the auto-exposure schedule (apart from the scenario's other streams)."""

EXPOSURE_HOLD_S: Final = (2.0, 10.0)
"""How long a changed exposure lasts before the camera goes back (the dark or bright shopper leaves)."""

EXPOSURE_OFFSET: Final = 12.0
"""Black-level shift, grey levels, that comes with a gain change of 100 % (gain and offset move together)."""


@dataclass(frozen=True)
class ExposureStep:
    """One auto-exposure change: from ``t_s`` the gain moves by ``gain`` (relative), back after ``hold_s``."""

    t_s: float
    gain: float
    hold_s: float


def exposure_schedule(spec: EffectsSpec, duration_s: float, seed: int) -> tuple[ExposureStep, ...]:
    """The seeded auto-exposure steps of a video ``duration_s`` long (a Poisson process at the spec's rate)."""
    if spec.exposure_steps_per_min <= 0 or spec.exposure_step <= 0:
        return ()
    rng = np.random.default_rng([seed, EXPOSURE_STREAM])
    count = int(rng.poisson(spec.exposure_steps_per_min * duration_s / 60.0))
    times = np.sort(rng.uniform(0.0, duration_s, count))
    signs = np.where(rng.random(count) < 0.5, -1.0, 1.0)
    sizes = rng.uniform(0.6, 1.0, count) * spec.exposure_step
    holds = rng.uniform(*EXPOSURE_HOLD_S, count)
    return tuple(
        ExposureStep(float(t), float(s * a), float(h)) for t, s, a, h in zip(times, signs, sizes, holds, strict=True)
    )


def _settled(elapsed: float, settle_s: float) -> float:
    """Share of a step reached ``elapsed`` seconds after it began (0 before it)."""
    return 0.0 if elapsed <= 0 else 1.0 - math.exp(-elapsed / settle_s)


def exposure_gain(steps: tuple[ExposureStep, ...], t_s: float, settle_s: float) -> float:
    """Relative gain at scene time ``t_s``: 1 plus every step's change, each moving in and out exponentially."""
    gain = 1.0
    for step in steps:
        if step.t_s > t_s:
            break
        level = _settled(t_s - step.t_s, settle_s) - _settled(t_s - step.t_s - step.hold_s, settle_s)
        gain *= 1.0 + step.gain * level
    return gain


class Effects:
    """Applies a scenario's `EffectsSpec` to frames.

    Args:
        spec: Which effects and how strong.
        size: (width, height) of the frames, pixels.
        seed: Seed of the noise tiles and the exposure schedule.
        lens: The scene's lens, or None.
        motion: The camera's motion (jitter and drift), applied before the lens.
        duration_s: Length of the video, seconds (the exposure schedule covers it).
    """

    def __init__(
        self,
        spec: EffectsSpec,
        size: tuple[int, int],
        seed: int,
        lens: Lens | None,
        motion: CameraMotion,
        duration_s: float,
    ) -> None:
        self.spec, self.lens, self.motion = spec, lens, motion
        width, height = size
        self.exposure = exposure_schedule(spec, duration_s, seed)
        self._maps = cv2.convertMaps(lens.map_x, lens.map_y, cv2.CV_16SC2) if lens is not None else None
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
        """Whether any effect changes the frame (H.264 aside)."""
        s = self.spec
        still = not self.motion.active and not self.exposure
        return bool(s.noise_sigma or s.blur_sigma_px or s.lighting_drift or s.jpeg_quality or self.lens or not still)

    def _tone(self, frame: npt.NDArray[Any], t_s: float) -> npt.NDArray[Any]:
        """Lighting swing and auto-exposure: one gain and offset for the whole frame."""
        s = self.spec
        gain = 1.0
        if s.lighting_drift > 0:
            gain = 1.0 + s.lighting_drift * math.sin(2.0 * math.pi * t_s / s.lighting_period_s)
        exposure = exposure_gain(self.exposure, t_s, s.exposure_settle_s) if self.exposure else 1.0
        if gain == 1.0 and exposure == 1.0:
            return frame
        beta = -EXPOSURE_OFFSET * (exposure - 1.0)
        return cv2.convertScaleAbs(frame, alpha=gain * exposure, beta=beta)

    def _geometry(self, frame: npt.NDArray[Any], index: int) -> npt.NDArray[Any]:
        """Camera motion (the picture shifts by the frame's offset) and the lens, in one resampling."""
        dx, dy = self.motion.offset(index)
        if self.lens is not None:
            map_x, map_y = self.lens.map_x, self.lens.map_y
            if dx or dy:
                map_x, map_y = map_x - np.float32(dx), map_y - np.float32(dy)
            fisheye = isinstance(self.lens, FisheyeLens)  # no vignette: the fisheye keeps its corners
            border = cv2.BORDER_REPLICATE if fisheye else cv2.BORDER_CONSTANT
            return cv2.remap(frame, map_x, map_y, cv2.INTER_LINEAR, borderMode=border, borderValue=BORDER)
        if dx or dy:
            shift = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]], np.float64)
            height, width = frame.shape[:2]
            return cv2.warpAffine(
                frame, shift, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
            )
        return frame

    def apply(self, frame: Image, index: int, t_s: float) -> Image:
        """The frame with every configured effect applied, in camera order (exposure, optics, sensor, encoder).

        Args:
            frame: (H, W, 3) uint8 BGR, not modified.
            index: Frame number (picks the noise tile and the camera offset).
            t_s: Scene time, seconds (drives the lighting drift and exposure steps).

        Returns:
            A new frame (or ``frame`` itself when no effect is configured).
        """
        s = self.spec
        out = self._tone(frame, t_s)
        if s.blur_sigma_px > 0:
            out = cv2.GaussianBlur(out, (0, 0), s.blur_sigma_px)
        out = self._geometry(out, index)
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
