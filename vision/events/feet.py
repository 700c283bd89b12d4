"""Whose feet are hidden: a box cut short from below says nothing about where its shopper stands.

Someone stepping in front of a standing shopper hides their legs; the detector's box then ends at the hip, its
bottom (the foot point every floor zone is judged by) jumps up and out of the zone the shopper still stands in,
and a visit or a reach ends that did not. ``FeetVisibility`` remembers where each track's box ended when its feet
were last seen and flags a box whose bottom has risen well above that while another box, nearer the camera, covers
the part that went missing: dwell then treats the shopper as not seen (their visit waits), and the shelf logic
keeps them where they stood.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from shelfsight.vision.detections import FrameDetections


@dataclass(frozen=True)
class FeetSettings:
    """When a box has its feet hidden.

    Attributes:
        rise_share: The box's bottom rose at least this share of the shopper's height above where it was when the
            feet were last seen, and another shopper's box, nearer the camera (lower bottom), covers the part that
            went missing: someone in front cut it short. Alone, a box whose bottom rises is a shopper walking away.
        cover_share: Share of the box's width that the box in front must overlap to be hiding its feet.
        memory_s: How far back the feet's lowest position is remembered: the shopper in front may get a box (a
            confirmed track) only after it has begun to hide them.
        edge_px: A box ending this close to the bottom edge of the frame (pixels) is cut by it: its feet are not in
            the picture.
        forget_s: A track unseen this long is forgotten.
    """

    rise_share: float = 0.12
    cover_share: float = 0.3
    memory_s: float = 1.0
    edge_px: float = 2.0
    forget_s: float = 60.0


@dataclass
class _Feet:
    """Where a track's box ended (bottom, height, pixels) at each time its feet were seen in the last
    ``memory_s``: the detector starts boxing the shopper in front a frame or two after it starts hiding the legs."""

    seen: deque[tuple[float, float, float]] = field(default_factory=deque)  # (time, bottom, height)

    def lowest(self) -> tuple[float, float]:
        """(bottom, height) of the lowest recent bottom: where the feet were before anything hid them."""
        _, bottom, height = max(self.seen, key=lambda sample: sample[1])
        return bottom, height


class FeetVisibility:
    """Where each of one camera's tracks stood when its feet were last seen. Call ``update`` once per frame, in
    time order."""

    def __init__(self, settings: FeetSettings | None = None) -> None:
        self.settings = settings or FeetSettings()
        self._feet: dict[int, _Feet] = {}

    def update(self, tracks: FrameDetections, t: float, frame_height: float | None = None) -> npt.NDArray[np.bool_]:
        """(n,) True for the rows of ``tracks`` whose feet are hidden; with ``frame_height`` (pixels), also those
        whose box ends at the bottom edge of the frame (the feet are below it)."""
        assert tracks.tracker_id is not None
        hidden = np.zeros(len(tracks), bool)
        boxes = tracks.xyxy
        if frame_height is not None:
            hidden = boxes[:, 3] >= frame_height - self.settings.edge_px
        for row, track_id in enumerate(tracks.tracker_id.tolist()):
            top, bottom = float(boxes[row, 1]), float(boxes[row, 3])
            if hidden[row]:
                continue
            feet = self._feet.setdefault(track_id, _Feet())
            while feet.seen and t - feet.seen[0][0] > self.settings.memory_s:
                feet.seen.popleft()
            if feet.seen:
                lowest, height = feet.lowest()
                # With someone in front, a rising bottom is never taken as where the feet are (it would creep up).
                if bottom < lowest and self._covered_below(boxes, row, lowest):
                    hidden[row] = lowest - bottom > self.settings.rise_share * height
                    feet.seen = deque([(t, lowest, height)])  # keep it: the feet are still down there
                    continue
            feet.seen.append((t, bottom, bottom - top))
        for track_id in [
            k for k, feet in self._feet.items() if not feet.seen or t - feet.seen[-1][0] > self.settings.forget_s
        ]:
            del self._feet[track_id]
        return hidden

    def _covered_below(self, boxes: npt.NDArray[np.float32], row: int, feet_y: float) -> bool:
        """Whether another box, nearer the camera, covers the strip between ``boxes[row]``'s bottom and
        ``feet_y`` (where its feet were)."""
        x1, _, x2, bottom = (float(v) for v in boxes[row])
        others = np.delete(boxes, row, axis=0)
        if not len(others):
            return False
        overlap = np.minimum(others[:, 2], x2) - np.maximum(others[:, 0], x1)
        in_front = (others[:, 3] > bottom) & (others[:, 1] < feet_y)
        return bool((in_front & (overlap >= self.settings.cover_share * (x2 - x1))).any())
