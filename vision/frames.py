"""A decoded camera frame and the facts that travel with it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

TIME_TOLERANCE_S = 1e-6
"""Slack on comparisons of durations between frame times: ``captured_at`` is epoch seconds in floats, so three
frames 0.2 s apart may span 0.39999998 s and still last 0.4 s."""


@dataclass(frozen=True)
class Frame:
    """One decoded frame.

    Attributes:
        image: (H, W, 3) uint8 BGR pixels, as OpenCV decodes them.
        camera_id: The camera it came from.
        seq: Frame number within the camera's stream (after resampling to the detect fps).
        captured_at: Wall-clock capture time, UTC Unix epoch seconds (for files: start time + position).
    """

    image: npt.NDArray[np.uint8]
    camera_id: str = ""
    seq: int = 0
    captured_at: float = 0.0
