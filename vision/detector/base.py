"""The detector interface every runtime implements (ONNX Runtime today)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from shelfsight.vision.detections import FrameDetections
from shelfsight.vision.frames import Frame


class Detector(Protocol):
    """Finds objects in frames; one result per frame, boxes in frame pixels, in input order."""

    def detect(self, images: Sequence[npt.NDArray[np.uint8]]) -> list[FrameDetections]:
        """Detect in BGR uint8 frames of any size."""
        ...

    def detect_frames(self, frames: Sequence[Frame]) -> list[FrameDetections]:
        """Detect, carrying each frame's camera id, sequence number and capture time into its result."""
        ...
