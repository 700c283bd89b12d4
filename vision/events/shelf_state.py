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
Box = tuple[float, float, float, float]
CHANNEL_MEAN = np.full((1, 3), 1.0 / 3.0, np.float32)  # cv2.transform matrix: BGR -> mean of the channels
GROUPING_KERNEL = np.ones((3, 3), np.uint8)


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
        head_room: And their tops by this share of their height: detectors often cut the top of the head off,
            and a head left in view over the shelf looks like an item taken when the shopper stops.
        drift_blend: Per-update blend of unchanged in-view pixels into the stable image (lighting drift).
        arm_reach: Width of the strip beside a shopper's box searched for an arm, in box widths.
        arm_rise: How far above the top of a shopper's box the arm strips (and a band over the box) reach, in box
            heights: a hand reaching for a top shelf goes above the head, outside the box's rows.
        arm_max_s: Longest an arm stays out. A difference beside a shopper that lasts longer is treated as a
            change on the shelf; lower it and long reaches turn into false changes, raise it and changes right
            beside a shopper are reported later.
        arm_still_s: A difference beside a shopper that has not moved for this long is no longer an arm (the
            arm went back and left a change behind). Lower turns a hand held still into a false change.
        min_arm_px: Fewest differing pixels (working resolution) beside a box that make an arm.
        motion_threshold: Frame-to-frame difference (grey levels) of a shelf pixel inside a shopper's box that
            counts as an arm moving in front of the shelf.
        clearance_px: A change is only reported once no arm is within this many working pixels of it. (The
            part of a facing still behind a shopper's box may come into view later: ``ShelfEventMachine``
            merges such a second part into the first.)
        max_change_height: Tallest change reported, as a share of the height of shoppers' boxes at this shelf
            (a running mean). Products are far smaller than people; a taller difference is a shopper the
            detector missed, standing in front of the shelf.
        absorb_s: Seconds after which a difference too tall to be a change is taken into the stable picture
            without an event (a restocked shelf, or a missed shopper who stays).
    """

    scale: float = 0.5
    settle_s: float = 0.6
    diff_threshold: float = 22.0
    min_change_px: int = 40
    occluder_margin_px: float = 4.0
    head_room: float = 0.08
    drift_blend: float = 0.05
    arm_reach: float = 0.9
    arm_rise: float = 0.25
    arm_max_s: float = 4.0
    arm_still_s: float = 1.0
    min_arm_px: int = 12
    clearance_px: int = 1
    motion_threshold: float = 20.0
    max_change_height: float = 0.5
    absorb_s: float = 10.0


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
        self._foreground_since = np.full(self.inside.shape, np.inf)
        self._fg_began_in_view = np.zeros(self.inside.shape, bool)
        self._was_in_box = np.zeros(self.inside.shape, bool)
        self._previous: FloatImage | None = None
        self._last_seen: FloatImage | None = None  # each pending pixel as last seen before it was hidden
        self._last_motion = np.full(self.inside.shape, -np.inf)
        self.arms: list[Box | None] = []
        self.person_height = np.inf  # running mean height of the boxes over this shelf, working pixels

    def _work_image(self, frame: npt.NDArray[np.uint8]) -> FloatImage:
        x1, y1, x2, y2 = self.crop
        patch = cv2.resize(frame[y1:y2, x1:x2], self.size, interpolation=cv2.INTER_AREA)
        return patch.astype(np.float32)

    def _work_boxes(self, person_boxes: npt.NDArray[np.float32], margin: float) -> npt.NDArray[np.int64]:
        """(n, 4) person boxes grown by ``margin`` frame pixels, in working-resolution pixels of the crop."""
        origin = np.array(self.crop[:2] * 2, np.float32)
        grown = person_boxes + np.array([-margin, -margin, margin, margin], np.float32)
        grown[:, 1] -= self.settings.head_room * (person_boxes[:, 3] - person_boxes[:, 1])
        return np.round((grown - origin) * self.settings.scale).astype(np.int64)

    def _masks(
        self, boxes: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        """(inside any box, inside a side strip of some box but no box, inside two boxes or more): where shoppers
        and their arms may be, and where one shopper's movement cannot be told from another's."""
        hidden = np.zeros(self.inside.shape, np.uint8)
        strips = np.zeros(self.inside.shape, np.uint8)
        reach, rise = self.settings.arm_reach, self.settings.arm_rise
        for bx1, by1, bx2, by2 in boxes:
            arm, top = round(reach * (bx2 - bx1)), by1 - round(rise * (by2 - by1))
            strips[max(0, top) : max(0, by2), max(0, bx1 - arm) : max(0, bx2 + arm)] = 1
            hidden[max(0, by1) : max(0, by2), max(0, bx1) : max(0, bx2)] += 1
        in_box = hidden > 0
        return in_box, strips.astype(bool) & ~in_box, hidden > 1

    def _arm_boxes(
        self, boxes: npt.NDArray[np.int64], arm: npt.NDArray[np.bool_], motion: npt.NDArray[np.bool_]
    ) -> list[Box | None]:
        """Per person box, the frame-pixel box of its hand: arm pixels beside the box or above it (``arm_rise``;
        the part with most pixels) or moving shelf pixels inside it (an arm in front of the shelf), or None."""
        out: list[Box | None] = []
        s, reach, least = self.settings.scale, self.settings.arm_reach, self.settings.min_arm_px
        height, width = arm.shape
        for bx1, by1, bx2, by2 in boxes:
            span = round(reach * (bx2 - bx1))
            cy1, cy2 = max(0, by1), min(height, by2)
            ty1 = max(0, by1 - round(self.settings.arm_rise * (by2 - by1)))
            parts = [  # (mask, x1, x2, y1, y2): left and right strips, the band over the box, inside the box
                (arm, max(0, bx1 - span), min(width, bx1), ty1, cy2),
                (arm, max(0, bx2), min(width, bx2 + span), ty1, cy2),
                (arm, max(0, bx1), min(width, bx2), ty1, cy1),
                (motion, max(0, bx1), min(width, bx2), cy1, cy2),
            ]
            best: tuple[int, int, int, int] | None = None
            best_count = least - 1
            for mask, cx1, cx2, ry1, ry2 in parts:
                if cx2 <= cx1 or ry2 <= ry1:
                    continue
                ys, xs = np.nonzero(mask[ry1:ry2, cx1:cx2])
                if len(xs) > best_count:
                    best_count = len(xs)
                    best = (cx1 + int(xs.min()), ry1 + int(ys.min()), cx1 + int(xs.max()) + 1, ry1 + int(ys.max()) + 1)
            if best is None:
                out.append(None)
                continue
            x_lo, y_lo, x_hi, y_hi = best
            out.append(
                (self.crop[0] + x_lo / s, self.crop[1] + y_lo / s, self.crop[0] + x_hi / s, self.crop[1] + y_hi / s)
            )
        return out

    def _motion(self, image: FloatImage, t: float) -> npt.NDArray[np.bool_]:
        """Shelf pixels that changed since the previous frame; also stamps ``_last_motion`` with ``t``."""
        previous, self._previous = self._previous, image
        if previous is None:
            return np.zeros(self.inside.shape, bool)
        moved = (
            cv2.transform(cv2.absdiff(image, previous), CHANNEL_MEAN) > self.settings.motion_threshold
        ) & self.inside
        self._last_motion[moved] = t
        return np.asarray(moved, bool)

    def update(
        self, frame: npt.NDArray[np.uint8], person_boxes: npt.NDArray[np.float32], t: float
    ) -> list[ShelfChange]:
        """Advance to time ``t`` with the frame and (n, 4) person boxes in frame pixels; returns new changes.

        Afterwards ``arms[i]`` is the frame-pixel box of the hand of ``person_boxes[i]`` reaching into the
        shelf, or None. Beside the box: shelf pixels that began to differ from the stable shelf while in view
        (not when a box moved off them: that uncovers a change), less than ``arm_max_s`` ago (a difference that
        stays is a change on the shelf). Inside the box: shelf pixels moving from frame to frame, where no other
        box overlaps.
        """
        image = self._work_image(frame)
        boxes = self._work_boxes(person_boxes, self.settings.occluder_margin_px)
        in_box, strips, shared = self._masks(boxes)
        self._note_person_height(boxes)
        previous = self._previous
        motion = self._motion(image, t)
        if self.stable is None:
            self.stable = image.copy()
            self._last_seen = image.copy()
            self._hidden_from[in_box] = t
            self._visible_since[~in_box] = t
            self._was_in_box = in_box
            self.arms = [None] * len(person_boxes)
            return []
        diff = self._difference(image, ~in_box & ((t - self._visible_since) >= self.settings.settle_s))
        foreground = (diff > self.settings.diff_threshold) & self.inside & ~in_box
        fg_since = self._foreground_since
        starting = foreground & np.isinf(fg_since)
        np.copyto(fg_since, t, where=starting)
        np.copyto(self._fg_began_in_view, ~self._was_in_box, where=starting)
        fg_since[~foreground] = np.inf
        moving = (t - self._last_motion) < self.settings.arm_still_s
        fresh = (t - fg_since) < self.settings.arm_max_s
        arm = foreground & strips & self._fg_began_in_view & moving & fresh
        self._was_in_box = in_box
        # Movement where two boxes overlap may be the other shopper walking past: no one's arm.
        self.arms = self._arm_boxes(boxes, arm, motion & in_box & ~shared)
        hidden = in_box | arm
        # _hidden_from: when a pixel was first hidden since it was last confirmed (inf: nothing pending);
        # _visible_since: since when it is in view (inf: hidden now). Sentinels keep this NaN-free and cheap.
        hidden_from, visible_since = self._hidden_from, self._visible_since
        hiding = hidden & np.isinf(hidden_from)
        np.copyto(hidden_from, t, where=hiding)
        if previous is not None and self._last_seen is not None:
            self._last_seen[hiding] = previous[hiding]  # the frame before: in view, nothing pending
        visible_since[hidden] = np.inf
        np.copyto(visible_since, t, where=~hidden & np.isinf(visible_since))
        settled = (t - visible_since) >= self.settings.settle_s
        changed = settled & self.inside & (diff > self.settings.diff_threshold)
        pending = changed & (hidden_from < np.inf)
        if pending.any():
            # A difference that was already there before the pixel was hidden (the hair above a shopper's box,
            # something on the shelf not yet settled) is not something that happened while it was hidden.
            as_before = self._as_last_seen(image, pending)
            hidden_from[as_before] = np.inf
            pending &= ~as_before
        changes = self._regions(image, pending, diff, arm, t)
        quiet = settled & ~changed
        cv2.accumulateWeighted(image, self.stable, self.settings.drift_blend, mask=quiet.view(np.uint8))
        hidden_from[quiet] = np.inf
        return changes

    def _as_last_seen(self, image: FloatImage, mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
        """Pixels of ``mask`` that look as they did when last seen before they were hidden."""
        assert self._last_seen is not None
        ys, xs = np.nonzero(mask)
        close = np.abs(image[ys, xs] - self._last_seen[ys, xs]).mean(axis=1) <= self.settings.diff_threshold
        out = np.zeros(mask.shape, bool)
        out[ys[close], xs[close]] = True
        return out

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
        arm: npt.NDArray[np.bool_],
        t: float,
    ) -> list[ShelfChange]:
        assert self.stable is not None
        if not changed.any():
            return []
        # Parts a pixel or two apart are one change: a bottle taken leaves its outline and its label apart.
        grouped = cv2.dilate(changed.view(np.uint8), GROUPING_KERNEL)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(grouped, connectivity=8)
        changes = []
        tallest = self.settings.max_change_height * self.person_height
        for label in range(1, count):
            if stats[label, cv2.CC_STAT_AREA] < self.settings.min_change_px:
                continue
            region = (labels == label) & changed
            ys, xs = np.nonzero(region)
            if len(xs) < self.settings.min_change_px:
                continue
            x, y, w, h = int(xs.min()), int(ys.min()), int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1
            if h > tallest:
                self._absorb_if_old(image, region, t)
                continue
            pad = self.settings.clearance_px
            if arm[max(0, y - pad) : y + h + pad, max(0, x - pad) : x + w + pad].any():
                continue  # a hand is still at it: wait until it has gone
            changes.append(self._change(image, region, (x, y, w, h), diff, t))
            self.stable[region] = image[region]
            self._hidden_from[region] = np.inf
        return changes

    def _note_person_height(self, boxes: npt.NDArray[np.int64]) -> None:
        """Update the running mean height of the boxes overlapping this shelf (the scale a change is judged by)."""
        width, height = self.size
        over = (boxes[:, 2] > 0) & (boxes[:, 0] < width) & (boxes[:, 3] > 0) & (boxes[:, 1] < height)
        if not over.any():
            return
        seen = float(np.median(boxes[over, 3] - boxes[over, 1]))
        self.person_height = seen if np.isinf(self.person_height) else 0.9 * self.person_height + 0.1 * seen

    def _absorb_if_old(self, image: FloatImage, region: npt.NDArray[np.bool_], t: float) -> None:
        """Take a region too tall to be a change into the stable picture once it has stayed ``absorb_s``."""
        assert self.stable is not None
        if (t - self._visible_since[region]).min() >= self.settings.absorb_s:
            self.stable[region] = image[region]
            self._hidden_from[region] = np.inf

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
