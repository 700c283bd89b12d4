"""Camera motion: the whole picture shaking by a pixel or two, and drifting slowly, frame by frame.

A real store camera is never still: a pole-mounted camera trembles in the air from the vents (sub-pixel to
2 px between frames), and a mount sags or a dome turns slowly (10-15 px over tens of seconds). On dense
packaging that alone changes many pixels between frames, which a still synthetic camera never shows.

`CameraMotion.offset` is a pure function of the frame index: a smooth wobble (a few seeded sinusoids of
0.15-1.5 Hz), a per-frame tremble (a seeded draw per frame), and a drift out to ``drift_px`` and back over
``drift_period_s`` that starts at 0 on the first frame. The offset moves the drawn (pinhole) picture before
the lens, as a small turn of the camera does; truth follows it, zones keep the first frame's offset.
"""

from __future__ import annotations

import logging
import math
from typing import Final

import numpy as np

from shelfsight.vision.synthetic.scenario import EffectsSpec

logger = logging.getLogger(__name__)

SHAKE_STREAM: Final = 6151
"""Random stream of the wobble, tremble and drift direction (apart from the scenario's other streams)."""

WOBBLE_SHARE: Final = 0.6
"""Share of ``jitter_px`` that is smooth wobble; the rest is per-frame tremble (together never more than 1)."""

WOBBLE_WAVES: Final = 3
"""Sinusoids per axis in the wobble."""

WOBBLE_HZ: Final = (0.15, 1.5)
"""Frequency range of the wobble's sinusoids."""

CACHE_FRAMES: Final = 256
"""Offsets remembered (each frame asks several times: image, boxes, wrists)."""


class CameraMotion:
    """The picture's offset in every frame, pixels.

    Args:
        effects: ``jitter_px``, ``drift_px`` and ``drift_period_s`` are read.
        fps: Frame rate (frame index -> scene time).
        seed: The scenario seed.
    """

    def __init__(self, effects: EffectsSpec, fps: float, seed: int) -> None:
        self.jitter_px, self.drift_px, self.period_s = effects.jitter_px, effects.drift_px, effects.drift_period_s
        self.fps, self.seed = fps, seed
        rng = np.random.default_rng([seed, SHAKE_STREAM])
        self.freqs = rng.uniform(*WOBBLE_HZ, (2, WOBBLE_WAVES))
        self.phases = rng.uniform(0.0, 2.0 * math.pi, (2, WOBBLE_WAVES))
        weights = rng.uniform(0.3, 1.0, (2, WOBBLE_WAVES))
        self.amplitudes = weights / weights.sum(axis=1, keepdims=True) * WOBBLE_SHARE * self.jitter_px
        angle = rng.uniform(0.0, 2.0 * math.pi)
        self.drift_dir = np.array([math.cos(angle), math.sin(angle)])
        self._cache: dict[int, tuple[float, float]] = {}

    @property
    def active(self) -> bool:
        """Whether the picture moves at all."""
        return self.jitter_px > 0 or self.drift_px > 0

    def offset(self, index: int) -> tuple[float, float]:
        """(dx, dy) pixels the picture has moved in frame ``index`` (0-based); (0, 0) for a still camera."""
        if not self.active:
            return (0.0, 0.0)
        cached = self._cache.get(index)
        if cached is None:
            if len(self._cache) >= CACHE_FRAMES:
                self._cache.clear()
            cached = self._cache[index] = self._offset(index)
        return cached

    def _offset(self, index: int) -> tuple[float, float]:
        t = index / self.fps
        wobble = np.sum(self.amplitudes * np.sin(2.0 * math.pi * self.freqs * t + self.phases), axis=1)
        tremble = np.random.default_rng([self.seed, SHAKE_STREAM, index]).uniform(-1.0, 1.0, 2)
        tremble *= (1.0 - WOBBLE_SHARE) * self.jitter_px
        drift = self.drift_px * (1.0 - math.cos(2.0 * math.pi * t / self.period_s)) / 2.0 * self.drift_dir
        total = wobble + tremble + drift
        return (float(total[0]), float(total[1]))
