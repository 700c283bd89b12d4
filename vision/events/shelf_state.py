"""A clean picture of each shelf, and the lasting changes on it: the basis of pick-up and put-back.

Per shelf zone we keep a *stable* image of the shelf with shoppers removed: a pixel only updates once it
has been in view (no person box over it) for ``settle_s``. When pixels that were hidden come back into view
different from the stable image, and stay different, that is a lasting change: an item taken (the shelf
backing shows: flatter, closer to the backing colour) or put (the reverse). Slow lighting drift is absorbed
by a slow blend of unchanged pixels and by comparing after a global gain correction.

Works at ``scale`` of the frame resolution inside the shelf's bounding box, so the per-frame cost is small.
Arrays in, dataclasses out: no events, ids or shoppers here (see ``shelf_events.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

from vision.zones import Zone

FloatImage = npt.NDArray[np.float32]
CHANNEL_MEAN = np.full((1, 3), 1.0 / 3.0, np.float32)  # cv2.transform matrix: BGR -> mean of the channels


@dataclass(frozen=True)
class ShelfStateSettings:
    """Tuning of the shelf model.

    Attributes:
        scale: Working resolution relative to the frame (0.5 = half). Lower is cheaper and misses small items.
        settle_s: Seconds a pixel must stay in view before it counts. Lower reacts faster and takes a hand's
            shadow or motion blur for a change.
        diff_threshold: Mean absolute difference (0..255 grey levels) over channels that makes a pixel changed.
        min_change_px: Smallest changed region kept, in working-resolution pixels. Lower reports noise.
        occluder_margin_px: Person boxes are grown by this many frame pixels (arms, shadows) before masking.
        drift_blend: Per-update blend of unchanged in-view pixels into the stable image (lighting drift).
    """

    scale: float = 0.5
    settle_s: float = 0.6
    diff_threshold: float = 22.0
    min_change_px: int = 40
    occluder_margin_px: float = 6.0
    drift_blend: float = 0.05


@dataclass(frozen=True)
class ShelfChange:
    """A lasting change on a shelf.

    Attributes:
        shelf_id: The shelf zone.
        box: (x1, y1, x2, y2) of the changed region in frame pixels.
        kind: ``removed`` (backing uncovered) or ``added`` (backing covered).
        hidden_from: When the region was first hidden before the change was seen, epoch seconds.
        seen_at: When the change was confirmed (region back in view and settled), epoch seconds.
        before: Mean BGR colour of the region before.
        after: Mean BGR colour of the region after.
        strength: Mean difference over the region, grey levels.
    """

    shelf_id: str
    box: tuple[float, float, float, float]
    kind: Literal["removed", "added"]
    hidden_from: float
    seen_at: float
    before: tuple[float, float, float]
    after: tuple[float, float, float]
    strength: float


class ShelfState:
    """The stable picture and pending changes of one shelf zone.

    Call ``update`` once per processed frame, in time order, with the frame and all person boxes.

    Args:
        zone: The shelf zone (frame pixels).
        settings: Tuning.
    """

    def __init__(self, zone: Zone, settings: ShelfStateSettings | None = None) -> None:
        self.zone = zone
        self.settings = settings or ShelfStateSettings()
        x1, y1, x2, y2 = zone.bounds
        height, width = zone.frame_size
        self.crop = (max(0, int(x1)), max(0, int(y1)), min(width, int(np.ceil(x2))), min(height, int(np.ceil(y2))))
        cw, ch = self.crop[2] - self.crop[0], self.crop[3] - self.crop[1]
        s = self.settings.scale
        self.size = (max(1, round(cw * s)), max(1, round(ch * s)))  # (w, h) at working resolution
        mask = np.zeros((self.size[1], self.size[0]), np.uint8)
        poly = (zone.polygon - np.array(self.crop[:2], np.float32)) * s
        cv2.fillPoly(mask, [np.round(poly).astype(np.int32)], 1)
        self.inside = mask.astype(bool)
        self.stable: FloatImage | None = None
        self._visible_since = np.full(self.inside.shape, np.inf)
        self._hidden_from = np.full(self.inside.shape, np.inf)

    def _work_image(self, frame: npt.NDArray[np.uint8]) -> FloatImage:
        x1, y1, x2, y2 = self.crop
        patch = cv2.resize(frame[y1:y2, x1:x2], self.size, interpolation=cv2.INTER_AREA)
        return patch.astype(np.float32)

    def _occluded(self, person_boxes: npt.NDArray[np.float32]) -> npt.NDArray[np.bool_]:
        hidden = np.zeros(self.inside.shape, np.uint8)
        if len(person_boxes):
            s, m = self.settings.scale, self.settings.occluder_margin_px
            origin = np.array(self.crop[:2] * 2, np.float32)
            boxes = (person_boxes + np.array([-m, -m, m, m], np.float32) - origin) * s
            for bx1, by1, bx2, by2 in np.round(boxes).astype(np.int64):
                hidden[max(0, by1) : max(0, by2), max(0, bx1) : max(0, bx2)] = 1
        return hidden.astype(bool)

    def update(
        self, frame: npt.NDArray[np.uint8], person_boxes: npt.NDArray[np.float32], t: float
    ) -> list[ShelfChange]:
        """Advance to time ``t`` with the frame and (n, 4) person boxes in frame pixels; returns new changes."""
        image = self._work_image(frame)
        hidden = self._occluded(person_boxes)
        # _hidden_from: when a pixel was first hidden since it was last confirmed (inf: nothing pending);
        # _visible_since: since when it is in view (inf: hidden now). Sentinels keep this NaN-free and cheap.
        hidden_from, visible_since = self._hidden_from, self._visible_since
        np.copyto(hidden_from, t, where=hidden & np.isinf(hidden_from))
        if self.stable is None:
            self.stable = image.copy()
            visible_since[~hidden] = t
            return []
        visible_since[hidden] = np.inf
        np.copyto(visible_since, t, where=~hidden & np.isinf(visible_since))
        settled = (t - visible_since) >= self.settings.settle_s
        diff = self._difference(image, settled)
        changed = settled & self.inside & (diff > self.settings.diff_threshold)
        changes = self._regions(image, changed & (hidden_from < np.inf), diff, hidden, t)
        quiet = settled & ~changed
        cv2.accumulateWeighted(image, self.stable, self.settings.drift_blend, mask=quiet.view(np.uint8))
        hidden_from[quiet] = np.inf
        return changes

    def region_settled(self, box: tuple[float, float, float, float], t: float) -> bool:
        """True when every shelf pixel of a frame-pixel box has been in view for ``settle_s`` with no change
        pending: whatever happened there has been seen."""
        s = self.settings.scale
        x1 = max(0, int((box[0] - self.crop[0]) * s))
        y1 = max(0, int((box[1] - self.crop[1]) * s))
        x2 = min(self.size[0], int(np.ceil((box[2] - self.crop[0]) * s)))
        y2 = min(self.size[1], int(np.ceil((box[3] - self.crop[1]) * s)))
        if x2 <= x1 or y2 <= y1:
            return True
        inside = self.inside[y1:y2, x1:x2]
        since = self._visible_since[y1:y2, x1:x2][inside]
        pending = self._hidden_from[y1:y2, x1:x2][inside]
        return bool(((t - since) >= self.settings.settle_s).all() and np.isinf(pending).all())

    def _difference(self, image: FloatImage, settled: npt.NDArray[np.bool_]) -> npt.NDArray[np.float32]:
        """Per-pixel mean absolute BGR difference to the stable image after a global gain correction."""
        assert self.stable is not None
        reference = (settled & self.inside)[::3, ::3]  # a sparse sample is plenty for one gain
        if reference.sum() > 30:
            gain = float(self.stable[::3, ::3][reference].sum() + 1.0) / float(image[::3, ::3][reference].sum() + 1.0)
            image = image * np.float32(gain)
        diff = cv2.transform(cv2.absdiff(image, self.stable), CHANNEL_MEAN)
        return np.asarray(diff, np.float32)

    def _regions(
        self,
        image: FloatImage,
        changed: npt.NDArray[np.bool_],
        diff: npt.NDArray[np.float32],
        hidden: npt.NDArray[np.bool_],
        t: float,
    ) -> list[ShelfChange]:
        assert self.stable is not None
        count, labels, stats, _ = cv2.connectedComponentsWithStats(changed.astype(np.uint8), connectivity=8)
        changes = []
        for label in range(1, count):
            x, y, w, h, area = (int(v) for v in stats[label])
            if area < self.settings.min_change_px:
                continue
            region = labels == label
            box_hidden = hidden[y : y + h, x : x + w]
            if box_hidden.any():
                continue  # part of the region is still behind someone: wait until all of it is in view
            changes.append(self._change(image, region, (x, y, w, h), diff, t))
            self.stable[region] = image[region]
            self._hidden_from[region] = np.inf
        return changes

    def _change(
        self,
        image: FloatImage,
        region: npt.NDArray[np.bool_],
        xywh: tuple[int, int, int, int],
        diff: npt.NDArray[np.float32],
        t: float,
    ) -> ShelfChange:
        assert self.stable is not None
        before, after = self.stable[region], image[region]
        x, y, w, h = xywh
        s = self.settings.scale
        box = (self.crop[0] + x / s, self.crop[1] + y / s, self.crop[0] + (x + w) / s, self.crop[1] + (y + h) / s)
        kind: Literal["removed", "added"] = "removed" if _flatness(after) > _flatness(before) else "added"
        return ShelfChange(
            shelf_id=self.zone.zone_id,
            box=box,
            kind=kind,
            hidden_from=float(self._hidden_from[region].min()),
            seen_at=t,
            before=tuple(float(v) for v in before.mean(axis=0)),  # type: ignore[arg-type]
            after=tuple(float(v) for v in after.mean(axis=0)),  # type: ignore[arg-type]
            strength=float(diff[region].mean()),
        )


def _flatness(pixels: FloatImage) -> float:
    """How plain a set of (n, 3) pixels is: high for bare shelf backing, low for a printed, colourful facing."""
    return -float(pixels.std(axis=0).mean())
