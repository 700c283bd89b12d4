"""Whose feet are hidden: a box cut short from below says nothing about where its shopper stands.

Someone stepping in front of a standing shopper hides their legs; the detector's box then ends at the hip, its
bottom (the foot point every floor zone is judged by) jumps up and out of the zone the shopper still stands in,
and a visit or a reach ends that did not. ``FeetVisibility`` remembers each track's box when its feet were last
seen and flags a box whose bottom has risen well above that while its top stayed: dwell then treats the shopper
as not seen (their visit waits), and the shelf logic keeps them where they stood.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from vision.detections import FrameDetections


@dataclass(frozen=True)
class FeetSettings:
    """When a box has its feet hidden.

    Attributes:
        rise_share: The box's bottom rose at least this share of the shopper's height above where it was when the
            feet were last seen, more than its top did: something in front cut it short. Walking away raises top
            and bottom together; crouching lowers the top.
        tolerance: Share of the height the bottom may rise (detector jitter), or rise with the top following
            (walking away), and the feet still count as seen there (and where they are is updated).
        forget_s: A track unseen this long is forgotten.
    """

    rise_share: float = 0.12
    tolerance: float = 0.03
    forget_s: float = 60.0


@dataclass
class _Feet:
    top: float  # the box's top and bottom when its feet were last seen, pixels
    bottom: float
    seen_at: float


class FeetVisibility:
    """Where each of one camera's tracks stood when its feet were last seen. Call ``update`` once per frame, in
    time order."""

    def __init__(self, settings: FeetSettings | None = None) -> None:
        self.settings = settings or FeetSettings()
        self._feet: dict[int, _Feet] = {}

    def update(self, tracks: FrameDetections, t: float) -> npt.NDArray[np.bool_]:
        """(n,) True for the rows of ``tracks`` whose feet are hidden."""
        assert tracks.tracker_id is not None
        hidden = np.zeros(len(tracks), bool)
        for row, (track_id, (_, top, _, bottom)) in enumerate(
            zip(tracks.tracker_id.tolist(), tracks.xyxy.tolist(), strict=True)
        ):
            feet = self._feet.get(track_id)
            cut = False  # the bottom rose more than the top since the feet were last seen
            if feet is not None:
                height = feet.bottom - feet.top
                rose, top_rose = feet.bottom - bottom, feet.top - top
                cut = rose > self.settings.tolerance * height and top_rose < 0.3 * rose
                hidden[row] = cut and rose > self.settings.rise_share * height
            if not cut:
                self._feet[track_id] = _Feet(top, bottom, t)
        for track_id in [k for k, feet in self._feet.items() if t - feet.seen_at > self.settings.forget_s]:
            del self._feet[track_id]
        return hidden
