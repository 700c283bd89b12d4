"""A clean picture of each shelf, and whether a spot of it has changed: the basis of pick-up and put-back.

Per shelf zone we keep a *stable* picture of the shelf with shoppers removed, in the coordinates of the first
frame (each frame is registered first: `shelfsight.vision.events.registration`). A pixel is learned into it only once it
has been in view and still for ``settle_s``: no person box covers it or borders it (``border_px``), no arm is over
it, nothing moves there, and no reach or open spot check holds it (``update``'s ``held``). A pixel that was never
seen that way has no valid picture: a spot behind a shopper who stood there from the first frame cannot be judged.

Whether something changed is asked of one spot at a time (``examine``): the spot where a reach ended, once it is
back in view. The comparison is structural, so a real camera's faults are not changes: a colour difference that
no shift of a pixel or so explains (``structure.shifted_difference``) *and* a different structure at any
brightness (``structure.structure_difference``). ``removed`` when the spot got plainer (backing showing),
``added`` otherwise.

Without a pose model the arm is found from pixels (``arms``): shelf pixels beside a shopper's box (or above it)
that began to differ from the stable picture while in view and are still moving, or moving shelf pixels inside a
standing shopper's box where no other box overlaps.

Works at ``scale`` of the frame resolution inside the shelf's bounding box. Arrays in, dataclasses out: no
events, ids or shoppers here (see ``shelf_events.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import cv2
import numpy as np
import numpy.typing as npt

from shelfsight.vision.events.registration import CameraShift
from shelfsight.vision.events.structure import flatness, global_gain, grey, shifted_difference, structure_difference
from shelfsight.vision.zones import Zone

FloatImage = npt.NDArray[np.float32]
BoolMask = npt.NDArray[np.bool_]
Box = tuple[float, float, float, float]
GROUPING_KERNEL = np.ones((3, 3), np.uint8)
MIN_CHANGE_SIDE = 3
"""Working pixels: a change thinner than this is a line (an edge a drifting camera moved in or out of view), not an
item."""


@dataclass(frozen=True)
class ShelfStateSettings:
    """Tuning of the shelf model. Pixel sizes are working-resolution pixels unless named ``_px`` of the frame.

    Attributes:
        scale: Working resolution relative to the frame (0.5 = half). Lower is cheaper and misses small items.
        settle_s: Seconds a pixel must stay in view and still before it is learned or looked at. Lower reacts
            faster and takes a hand's shadow or motion blur for the shelf.
        diff_threshold: Colour difference (grey levels 0..255, mean over channels, at the best shift within
            ``jitter_radius`` and after a global gain correction) that makes a pixel different.
        structure_threshold: 1 - SSIM contrast-structure over ``structure_window`` that makes a pixel different
            as well. Lower counts compression noise and residual jitter on fine print; higher misses an item
            replaced by one of similar texture.
        structure_window: Side of the structure window, working pixels.
        strong_diff_threshold: A colour difference this large makes a pixel different whatever its structure: a
            plain facing taken from plain backing changes colour, not texture. Compression noise stays far below.
        blur_sigma: Blur (working pixels) of the grey images the structure is compared on: fine print a pixel
            apart decorrelates under sub-pixel jitter; a facing's edges and label do not.
        jitter_radius: Working pixels of residual misregistration that a colour difference must exceed.
        min_change_px: Smallest changed region reported, working pixels. Lower reports noise.
        faint_diff_threshold: At a spot a hand has just left, a region where the colour differs by this much
            (grey levels) *and* the structure by ``faint_structure_threshold`` is a change too, if it has
            ``faint_min_px`` pixels: a pale item taken from pale backing changes both, faintly, over the facing;
            compression and residual jitter do not reach both over an area that size. Only asked of spots where a
            reach ended (never learned from), so the reach itself is the rest of the evidence. 0 turns it off.
        faint_structure_threshold: The structure difference (1 - SSIM contrast-structure) of the faint test.
        faint_min_px: Smallest region of the faint test, working pixels (larger than ``min_change_px``: a faint
            difference must cover more of a facing to count).
        occluder_margin_px: Person boxes are grown by this many frame pixels (arms, shadows) before masking.
        head_room: And their tops by this share of their height: detectors often cut off the top of the head.
        border_px: Frame pixels around a person box (after the margin) where nothing is learned either: a shopper
            standing right beside a spot is about to reach into it, and a box misses a sleeve or a bag.
        border_share: The same border as a share of the box's height, where that is wider.
        drift_blend: Per-frame blend of unchanged, settled pixels into the stable picture (lighting drift).
        relearn_s: A lasting difference that no reach or check holds is learned after this long in view: an item
            moved with no reach seen, or a shopper who stood there when the stream started.
        motion_threshold: Frame-to-frame colour difference (at the best shift within ``jitter_radius``) that is
            movement where the structure differs from the previous frame's as well (``structure_threshold``), or
            where it is 2.5 times as large.
        arm_reach: Motion fallback: width of the strip beside a box searched for an arm, in box widths.
        arm_rise: Motion fallback: how far above a box's top the arm strips reach, in box heights.
        arm_max_s: Motion fallback: longest an arm stays out; a difference beside a shopper lasting longer is not
            an arm.
        arm_still_s: Motion fallback: a difference that has not moved for this long is no longer an arm.
        min_arm_px: Motion fallback: fewest arm pixels beside a box that make an arm.
        first_look_s: Seconds after the stream starts during which every pixel a person box covers (with its
            margin and head room) is taken out of the first frame's picture: the tracker confirms shoppers a few
            frames late. The other pixels are known from the first frame.
        max_change_height: Tallest change reported, as a share of the height of shoppers' boxes at this shelf (a
            running mean): a taller difference is a shopper the detector missed.
    """

    scale: float = 0.5
    settle_s: float = 0.6
    diff_threshold: float = 22.0
    structure_threshold: float = 0.35
    structure_window: int = 7
    strong_diff_threshold: float = 30.0
    blur_sigma: float = 1.0
    jitter_radius: int = 0
    min_change_px: int = 16
    faint_diff_threshold: float = 10.0
    faint_structure_threshold: float = 0.15
    faint_min_px: int = 16
    occluder_margin_px: float = 4.0
    head_room: float = 0.08
    border_px: float = 6.0
    border_share: float = 0.05
    drift_blend: float = 0.05
    relearn_s: float = 4.0
    motion_threshold: float = 20.0
    arm_reach: float = 0.9
    arm_rise: float = 0.25
    arm_max_s: float = 4.0
    arm_still_s: float = 1.0
    min_arm_px: int = 12
    max_change_height: float = 0.5
    first_look_s: float = 1.0


@dataclass(frozen=True)
class ShelfChange:
    """A lasting change at one spot of a shelf.

    Attributes:
        shelf_id: The shelf zone.
        box: (x1, y1, x2, y2) of the changed region, reference (first-frame) pixels.
        kind: ``removed`` (backing uncovered) or ``added`` (backing covered).
        seen_at: When it was seen, epoch seconds.
        before: Mean BGR colour of the region before.
        after: Mean BGR colour of the region after.
        strength: Mean colour difference over the region, grey levels.
    """

    shelf_id: str
    box: Box
    kind: Literal["removed", "added"]
    seen_at: float
    before: tuple[float, float, float]
    after: tuple[float, float, float]
    strength: float


@dataclass(frozen=True)
class SpotLook:
    """What one frame shows of a spot (``ShelfState.examine``).

    Attributes:
        visible: Enough of the spot's shelf pixels (all, unless ``examine`` was given less) are in view and have
            been still for ``settle_s`` to look for a change there.
        known: Share 0..1 of the spot's shelf pixels whose earlier look is known (learned before).
        change: The largest lasting change inside the spot's part in view, or None.
        too_tall: A difference was there, but taller than any product: a shopper the detector missed.
        whole: Every shelf pixel of the spot is in view: only then does no change mean nothing changed.
    """

    visible: bool
    known: float
    change: ShelfChange | None = None
    too_tall: bool = False
    whole: bool = True


@dataclass(frozen=True)
class SpotPicture:
    """The stable picture of a spot at one moment (``ShelfState.picture``), kept to tell later whether what was
    taken from it came back (``ShelfState.restored``).

    Attributes:
        box: (x1, y1, x2, y2) working pixels of the shelf's crop.
        pixels: The stable picture there (BGR, float).
        known: Which of those pixels had been learned.
    """

    box: tuple[int, int, int, int]
    pixels: FloatImage
    known: BoolMask


RESTORED_SHARE: Final = 0.75
"""``restored``: the gap looks back as before the pick-up when it differs from that picture by at most this share of
how much it differs from the picture after it."""


@dataclass(frozen=True)
class ArmLine:
    """An arm seen by a pose model, as a polyline (shoulder, elbow, wrist, hand) in reference pixels."""

    points: npt.NDArray[np.float32]
    thickness_px: float


class ShelfState:
    """The stable picture of one shelf zone. Call ``update`` once per processed frame, in time order.

    Args:
        zone: The shelf zone (reference pixels: as configured).
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
        shape = self.inside.shape
        self.stable: FloatImage | None = None
        self._stable_grey: FloatImage | None = None
        self.valid = np.zeros(shape, bool)
        self._quiet_since = np.full(shape, np.inf)
        self._different_since = np.full(shape, np.inf)
        self._reported = np.zeros(shape, bool)  # accepted spots' pixels hidden then: learned once seen
        self._seen_same = np.full(shape, -np.inf)  # last time each pixel was seen (settled) as the stable picture
        self._foreground_since = np.full(shape, np.inf)
        self._fg_began_in_view = np.zeros(shape, bool)
        self._was_in_box = np.zeros(shape, bool)
        self._last_motion = np.full(shape, -np.inf)
        self._started_at = -np.inf
        self._covered_at_start: BoolMask | None = None
        self._previous: FloatImage | None = None
        self._previous_grey: FloatImage | None = None
        self._image: FloatImage | None = None
        self._different = np.zeros(shape, bool)
        self._faint = np.zeros(shape, bool)
        self._diff = np.zeros(shape, np.float32)
        self._in_view = np.zeros(shape, bool)
        self._gain = 1.0
        self.arms: list[Box | None] = []
        self.unclaimed: list[ShelfChange] = []
        self.person_height = np.inf  # running mean height of the boxes over this shelf, working pixels

    # -- geometry -------------------------------------------------------------------------------------------

    def _work_image(self, frame: npt.NDArray[np.uint8], shift: CameraShift) -> FloatImage:
        """The shelf's crop of ``frame`` at working resolution, moved back into reference coordinates: the whole
        pixels of the shift by where the crop is cut, the fraction by a sub-pixel warp of the small image."""
        x1, y1, x2, y2 = self.crop
        ix, iy = int(np.floor(shift.dx)), int(np.floor(shift.dy))
        height, width = frame.shape[:2]
        cx1, cy1, cx2, cy2 = x1 + ix, y1 + iy, x2 + ix, y2 + iy
        patch = frame[max(0, cy1) : min(height, cy2), max(0, cx1) : min(width, cx2)]
        if (cx1, cy1, cx2, cy2) != (max(0, cx1), max(0, cy1), min(width, cx2), min(height, cy2)):
            pads = (max(0, -cy1), max(0, cy2 - height), max(0, -cx1), max(0, cx2 - width))
            patch = np.asarray(
                cv2.copyMakeBorder(patch, *pads, cv2.BORDER_REPLICATE), np.uint8
            )  # the shelf drifted off the frame
        small = cv2.resize(patch, self.size, interpolation=cv2.INTER_AREA)
        fx, fy = shift.dx - ix, shift.dy - iy
        if fx or fy:
            sx, sy = self.size[0] / (x2 - x1), self.size[1] / (y2 - y1)
            warp = np.array([[1, 0, -fx * sx], [0, 1, -fy * sy]], np.float32)
            small = cv2.warpAffine(small, warp, self.size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return np.asarray(small, np.float32)

    def work_box(self, box: Box) -> tuple[int, int, int, int]:
        """A reference-pixel box as (x1, y1, x2, y2) working pixels of this shelf's crop, clipped."""
        s = self.settings.scale
        x1 = min(max(0, int((box[0] - self.crop[0]) * s)), self.size[0])
        y1 = min(max(0, int((box[1] - self.crop[1]) * s)), self.size[1])
        x2 = min(max(0, int(np.ceil((box[2] - self.crop[0]) * s))), self.size[0])
        y2 = min(max(0, int(np.ceil((box[3] - self.crop[1]) * s))), self.size[1])
        return x1, y1, x2, y2

    def _frame_box(self, x: int, y: int, w: int, h: int) -> Box:
        s = self.settings.scale
        return (self.crop[0] + x / s, self.crop[1] + y / s, self.crop[0] + (x + w) / s, self.crop[1] + (y + h) / s)

    def _work_boxes(self, person_boxes: npt.NDArray[np.float32], margin: float) -> npt.NDArray[np.int64]:
        """(n, 4) person boxes grown by ``margin`` frame pixels (and head room), in working pixels of the crop."""
        origin = np.array(self.crop[:2] * 2, np.float32)
        grown = person_boxes + np.array([-margin, -margin, margin, margin], np.float32)
        grown[:, 1] -= self.settings.head_room * (person_boxes[:, 3] - person_boxes[:, 1])
        return np.round((grown - origin) * self.settings.scale).astype(np.int64)

    def _box_mask(self, boxes: npt.NDArray[np.int64]) -> BoolMask:
        mask = np.zeros(self.inside.shape, np.uint8)
        for bx1, by1, bx2, by2 in boxes.tolist():
            mask[max(0, by1) : max(0, by2), max(0, bx1) : max(0, bx2)] = 1
        return mask.astype(bool)

    def _masks(self, boxes: npt.NDArray[np.int64]) -> tuple[BoolMask, BoolMask, BoolMask]:
        """(inside any box, inside a side strip of some box but no box, inside two boxes or more): where shoppers
        and their arms may be, and where one shopper's movement cannot be told from another's."""
        hidden = np.zeros(self.inside.shape, np.uint8)
        strips = np.zeros(self.inside.shape, np.uint8)
        reach, rise = self.settings.arm_reach, self.settings.arm_rise
        for bx1, by1, bx2, by2 in boxes.tolist():
            arm, top = round(reach * (bx2 - bx1)), by1 - round(rise * (by2 - by1))
            strips[max(0, top) : max(0, by2), max(0, bx1 - arm) : max(0, bx2 + arm)] = 1
            hidden[max(0, by1) : max(0, by2), max(0, bx1) : max(0, bx2)] += 1
        in_box = hidden > 0
        return in_box, strips.astype(bool) & ~in_box, hidden > 1

    def _line_mask(self, lines: Sequence[ArmLine]) -> BoolMask:
        mask = np.zeros(self.inside.shape, np.uint8)
        s, origin = self.settings.scale, np.array(self.crop[:2], np.float32)
        for line in lines:
            points = np.round((line.points - origin) * s).astype(np.int32)
            thickness = max(1, round(line.thickness_px * s))
            cv2.polylines(mask, [points], False, 1, thickness)
        return mask.astype(bool)

    # -- per frame ------------------------------------------------------------------------------------------

    def update(
        self,
        frame: npt.NDArray[np.uint8],
        person_boxes: npt.NDArray[np.float32],
        t: float,
        *,
        shift: CameraShift | None = None,
        arm_lines: Sequence[ArmLine] = (),
        held: Sequence[Box] = (),
        find_arms: bool = True,
    ) -> None:
        """Advance to time ``t``.

        Args:
            frame: The camera frame (BGR), as captured.
            person_boxes: (n, 4) person boxes, reference pixels.
            t: Frame time, epoch seconds.
            shift: The frame's registration against the reference (none: the camera is still).
            arm_lines: Arms seen by a pose model (reference pixels): hidden, never learned.
            held: Reference-pixel boxes not to learn: spots of reaches going on or not yet judged.
            find_arms: Look for arms in the pixels (the motion fallback); not needed when a pose model gives them.

        Afterwards ``arms[i]`` is the frame box of the hand of ``person_boxes[i]`` found from pixels (the motion
        fallback), or None; ``unclaimed`` holds the item-sized lasting changes this frame learned into the picture
        although no reach's check held them (`_unclaimed`): whose they were is the caller's to say.
        """
        settings = self.settings
        image = self._work_image(frame, shift or CameraShift())
        boxes = self._work_boxes(person_boxes, settings.occluder_margin_px)
        in_box, strips, shared = self._masks(boxes)
        self._note_person_height(boxes)
        previous, self._previous, self._image = self._previous, image, image
        image_grey = grey(image, settings.blur_sigma)
        previous_grey, self._previous_grey = self._previous_grey, image_grey
        if self.stable is None:
            self._start(image, in_box, t, len(person_boxes))
            return
        moved = np.zeros(self.inside.shape, bool)
        if previous is not None and previous_grey is not None:
            step = shifted_difference(image, previous, settings.jitter_radius)
            moved = (step > settings.motion_threshold) & self.inside
            if moved.any():  # movement changes structure or colour a lot; compression noise and shake do neither
                structure_moved = structure_difference(image_grey, previous_grey, settings.structure_window)
                moved &= (structure_moved > settings.structure_threshold) | (step > 2.5 * settings.motion_threshold)
            self._last_motion[moved] = t
        gain = self._gain = global_gain(image, self.stable, self.valid & self._in_view & ~in_box)
        corrected = image * np.float32(gain) if gain != 1.0 else image
        diff = shifted_difference(corrected, self.stable, settings.jitter_radius)
        assert self._stable_grey is not None
        structure = structure_difference(image_grey, self._stable_grey, settings.structure_window)  # gain-free
        # A different structure, or a colour far off (a plain facing taken from plain backing keeps "flat" structure).
        different = (diff > settings.diff_threshold) & (structure > settings.structure_threshold)
        different = (different | (diff > settings.strong_diff_threshold)) & self.inside
        if find_arms:
            arm = self._arm_pixels(different & ~in_box, strips, t)
            self.arms = self._arm_boxes(boxes, arm, moved & in_box & ~shared)
        else:
            arm, self.arms = np.zeros(self.inside.shape, bool), [None] * len(person_boxes)
        occluded = in_box | arm | self._line_mask(arm_lines)
        quiet = ~occluded & ~moved
        since = self._quiet_since
        since[~quiet] = np.inf
        np.copyto(since, t, where=quiet & np.isinf(since))
        settled = (t - since) >= settings.settle_s
        heights = person_boxes[:, 3] - person_boxes[:, 1] if len(person_boxes) else np.zeros(0, np.float32)
        border = np.maximum(settings.border_px, settings.border_share * heights)[:, None] * np.array([-1, -1, 1, 1])
        near = self._box_mask(self._work_boxes(person_boxes + border.astype(np.float32), settings.occluder_margin_px))
        held_mask = self._box_mask(np.array([self.work_box(b) for b in held], np.int64).reshape(-1, 4))
        learnable = settled & ~near & ~held_mask & self.inside
        if self._covered_at_start is not None:
            self._end_first_look(in_box, t)
        self._learn(image, learnable, different, t)
        self._different, self._diff, self._in_view = different & self.valid, diff, settled
        np.copyto(self._seen_same, t, where=settled & self.valid & ~different)
        if settings.faint_diff_threshold > 0:
            faint = (diff > settings.faint_diff_threshold) & (structure > settings.faint_structure_threshold)
            self._faint = faint & self.inside & self.valid

    def _start(self, image: FloatImage, in_box: BoolMask, t: float, people: int) -> None:
        """The first frame starts the picture, with nothing known yet (see ``_end_first_look``)."""
        self.stable = image.copy()
        self._stable_grey = grey(self.stable, self.settings.blur_sigma)
        self.valid = np.zeros(self.inside.shape, bool)
        self._started_at = t
        self._covered_at_start = in_box.copy()
        self._quiet_since[~in_box] = t
        self._was_in_box = in_box
        self.arms = [None] * people

    def _end_first_look(self, covered: BoolMask, t: float) -> None:
        """Know the first frame's pixels that no shopper covered in the stream's first ``first_look_s``.

        The tracker confirms a shopper a few frames after the stream starts, so the first frame has no boxes for
        the shoppers already standing at a shelf: taken as known at once, their bodies would be baked into the
        picture and show as changes when they leave. Waiting for a pixel to settle instead would leave a spot
        that a shopper reaches into in the first second without an earlier look."""
        assert self._covered_at_start is not None
        self._covered_at_start |= covered
        if t - self._started_at < self.settings.first_look_s:
            return
        self.valid |= self.inside & ~self._covered_at_start
        self._covered_at_start = None

    def _learn(self, image: FloatImage, learnable: BoolMask, different: BoolMask, t: float) -> None:
        """Take settled pixels into the stable picture: unknown ones at once, unchanged ones slowly (lighting),
        lasting differences nobody holds after ``relearn_s``."""
        assert self.stable is not None
        new = learnable & ~self.valid
        lasting = learnable & self.valid & different
        since = self._different_since
        since[~lasting] = np.inf
        np.copyto(since, t, where=lasting & np.isinf(since))
        reported = learnable & self._reported
        self._reported &= ~learnable
        relearn = lasting & ((t - since) >= self.settings.relearn_s)
        self.unclaimed = []
        if relearn.any():
            self.unclaimed, relearn = self._unclaimed(relearn, lasting, different, t)
        replace = new | relearn | (reported & different)
        blend = learnable & self.valid & ~different
        changed = False
        if blend.any():
            cv2.accumulateWeighted(image, self.stable, self.settings.drift_blend, mask=blend.view(np.uint8))
            changed = True
        if replace.any():
            self.stable[replace] = image[replace]
            self.valid |= replace
            since[replace] = np.inf
            changed = True
        if changed:
            self._stable_grey = grey(self.stable, self.settings.blur_sigma)

    def _unclaimed(
        self, relearn: BoolMask, lasting: BoolMask, different: BoolMask, t: float
    ) -> tuple[list[ShelfChange], BoolMask]:
        """The item-sized lasting changes about to be learned (``relearn``: in view, unheld and different for
        ``relearn_s``), which no reach's check claimed, and the pixels to learn now. Each change is the whole lasting
        region the first of its pixels to reach ``relearn_s`` belong to (pixels of one gap settle at different
        times), learned at once; the rest of it, still hidden or not yet settled, is learned once learnable, like an
        accepted change's, so it is not found again."""
        settings = self.settings
        _, labels, stats, _ = cv2.connectedComponentsWithStats(
            cv2.dilate(lasting.view(np.uint8), GROUPING_KERNEL), connectivity=8
        )
        changes, learn = [], relearn.copy()
        for label in np.unique(labels[relearn]):
            if label == 0:
                continue
            x, y, w, h = (int(v) for v in stats[label, :4])
            region = (labels == label) & lasting
            learn |= region
            self._reported[y : y + h, x : x + w] |= different[y : y + h, x : x + w] & self.valid[y : y + h, x : x + w]
            ys, xs = np.nonzero(region)
            too_small = len(xs) < settings.min_change_px or min(np.ptp(xs), np.ptp(ys)) + 1 < MIN_CHANGE_SIDE
            if not too_small and h <= settings.max_change_height * self.person_height:
                changes.append(self._change(region, t))
        return changes, learn

    # -- the motion fallback's arms ---------------------------------------------------------------------

    def _arm_pixels(self, foreground: BoolMask, strips: BoolMask, t: float) -> BoolMask:
        """Shelf pixels beside a box that began to differ while in view, recently, and are still moving."""
        fg_since = self._foreground_since
        starting = foreground & np.isinf(fg_since)
        np.copyto(fg_since, t, where=starting)
        np.copyto(self._fg_began_in_view, ~self._was_in_box, where=starting)
        fg_since[~foreground] = np.inf
        moving = (t - self._last_motion) < self.settings.arm_still_s
        fresh = (t - fg_since) < self.settings.arm_max_s
        return np.asarray(foreground & strips & self._fg_began_in_view & moving & fresh, bool)

    def _arm_boxes(self, boxes: npt.NDArray[np.int64], arm: BoolMask, motion: BoolMask) -> list[Box | None]:
        """Per person box, the reference-pixel box of its hand: arm pixels beside the box or above it (the part
        with most pixels) or moving shelf pixels inside it (an arm in front of the shelf), or None."""
        self._was_in_box = self._box_mask(boxes)
        out: list[Box | None] = []
        reach, least = self.settings.arm_reach, self.settings.min_arm_px
        height, width = arm.shape
        for bx1, by1, bx2, by2 in boxes.tolist():
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
            out.append(None if best is None else self._frame_box(*best[:2], best[2] - best[0], best[3] - best[1]))
        return out

    def _note_person_height(self, boxes: npt.NDArray[np.int64]) -> None:
        """Update the running mean height of the boxes overlapping this shelf (the scale a change is judged by)."""
        width, height = self.size
        over = (boxes[:, 2] > 0) & (boxes[:, 0] < width) & (boxes[:, 3] > 0) & (boxes[:, 1] < height)
        if not over.any():
            return
        seen = float(np.median(boxes[over, 3] - boxes[over, 1]))
        self.person_height = seen if np.isinf(self.person_height) else 0.9 * self.person_height + 0.1 * seen

    # -- spots ----------------------------------------------------------------------------------------------

    def examine(self, box: Box, t: float, core: Box | None = None, min_seen: float = 1.0) -> SpotLook:
        """What the last frame shows of the spot ``box`` (reference pixels) against the stable picture; with
        ``core`` (where the hand was, inside ``box``), only a change that reaches into it counts.

        With ``min_seen`` below 1, a spot of which only that share (0..1) of shelf pixels is in view is looked at
        too, on those pixels alone (``whole`` False): a shopper who took an item and stands beside the spot hides
        its edge until the item is back on the shelf, while the gap shows beside them. There only a removal
        counts: something added beside a shopper's box is more likely what they hold."""
        x1, y1, x2, y2 = self.work_box(box)
        inside = self.inside[y1:y2, x1:x2]
        if x2 <= x1 or y2 <= y1 or not inside.any():
            return SpotLook(visible=True, known=0.0)
        in_view = self._in_view[y1:y2, x1:x2][inside]
        whole = bool(in_view.all())
        known = float(self.valid[y1:y2, x1:x2][inside].mean())
        if not whole and (min_seen >= 1.0 or float(in_view.mean()) < min_seen):
            return SpotLook(visible=False, known=known, whole=False)
        spot = (x1, y1, x2, y2)
        seen = None if whole else self._in_view
        region = self._changed_region(self._different, spot, core, self.settings.min_change_px, seen)
        faint = region is None and self.settings.faint_diff_threshold > 0
        if faint:
            region = self._changed_region(self._faint, spot, core, self.settings.faint_min_px, seen)
        if region is None:
            return SpotLook(visible=True, known=known, whole=whole)
        ys = np.nonzero(region.any(axis=1))[0]
        if int(ys[-1] - ys[0]) + 1 > self.settings.max_change_height * self.person_height:
            return SpotLook(visible=True, known=known, too_tall=True, whole=whole)
        change = self._change(region, t, whole_box=faint, seen=seen)
        if not whole and change.kind == "added":  # beside a box, more likely what the shopper holds
            return SpotLook(visible=True, known=known, whole=whole)
        return SpotLook(visible=True, known=known, change=change, whole=whole)

    def _changed_region(
        self,
        mask: BoolMask,
        spot: tuple[int, int, int, int],
        core: Box | None,
        min_px: int,
        seen: BoolMask | None = None,
    ) -> BoolMask | None:
        """The largest connected region of ``mask`` inside the working-pixel ``spot`` (reaching into ``core`` when
        given; only where ``seen``, when given) with at least ``min_px`` pixels and no side thinner than
        `MIN_CHANGE_SIDE`, as a full-size mask."""
        x1, y1, x2, y2 = spot
        changed = mask[y1:y2, x1:x2] & self.inside[y1:y2, x1:x2]
        if seen is not None:
            changed &= seen[y1:y2, x1:x2]
        if int(changed.sum()) < min_px:
            return None
        grouped = cv2.dilate(changed.view(np.uint8), GROUPING_KERNEL)  # parts a pixel apart are one change
        count, labels, stats, _ = cv2.connectedComponentsWithStats(grouped, connectivity=8)
        candidates = list(range(1, count))
        if core is not None:
            cx1, cy1, cx2, cy2 = self.work_box(core)
            hit = set(np.unique(labels[max(0, cy1 - y1) : max(0, cy2 - y1), max(0, cx1 - x1) : max(0, cx2 - x1)]))
            candidates = [label for label in candidates if label in hit]
        if not candidates:
            return None
        best = max(candidates, key=lambda label: int(stats[label, cv2.CC_STAT_AREA]))
        region = (labels == best) & changed
        ys, xs = np.nonzero(region)
        if len(xs) < min_px or min(np.ptp(xs), np.ptp(ys)) + 1 < MIN_CHANGE_SIDE:
            return None
        full = np.zeros(self.inside.shape, bool)
        full[y1:y2, x1:x2] = region
        return full

    def changed_after(self, change: ShelfChange, t0: float) -> bool:
        """True when most of ``change``'s pixels (those different now inside its box) were seen as before after
        ``t0`` (epoch seconds): the change happened later than that."""
        x1, y1, x2, y2 = self.work_box(change.box)
        pixels = self._different[y1:y2, x1:x2]
        if not pixels.any():
            return False
        return float((self._seen_same[y1:y2, x1:x2][pixels] > t0).mean()) > 0.5

    def picture(self, box: Box) -> SpotPicture:
        """The stable picture of the spot ``box`` (reference pixels) as it is now."""
        x1, y1, x2, y2 = spot = self.work_box(box)
        assert self.stable is not None
        return SpotPicture(spot, self.stable[y1:y2, x1:x2].copy(), self.valid[y1:y2, x1:x2] & self.inside[y1:y2, x1:x2])

    def restored(self, earlier: SpotPicture, gap: Box, t: float) -> ShelfChange | None:
        """An ``added`` change when the pixels of ``earlier``'s spot that the pick-up changed (where ``earlier``, taken
        before it, and the stable picture now differ by ``faint_diff_threshold``), reaching into ``gap`` (reference
        pixels), look in the last frame as in ``earlier`` rather than as now: the item is back. Asked of the gap of a
        shopper's own pick-up when they reach there again: the item goes back into a gap the stable picture
        knows, often a pale facing whose return is too faint for ``examine``. None when too little of it is in
        view, or it does not look as before."""
        if self.stable is None or self._image is None:
            return None
        x1, y1, x2, y2 = earlier.box
        if x2 <= x1 or y2 <= y1:
            return None
        stable, image = self.stable[y1:y2, x1:x2], self._image[y1:y2, x1:x2] * np.float32(self._gain)
        region = earlier.known & self.valid[y1:y2, x1:x2] & self._in_view[y1:y2, x1:x2]
        region &= np.abs(earlier.pixels - stable).mean(axis=2) > self.settings.faint_diff_threshold
        gx1, gy1, gx2, gy2 = self.work_box(gap)
        if (
            int(region.sum()) < self.settings.faint_min_px
            or not region[max(0, gy1 - y1) : max(0, gy2 - y1), max(0, gx1 - x1) : max(0, gx2 - x1)].any()
        ):
            return None
        now, before, after = image[region], earlier.pixels[region], stable[region]
        from_before = float(np.median(np.abs(now - before).mean(axis=1)))
        from_after = float(np.median(np.abs(now - after).mean(axis=1)))
        if from_before > RESTORED_SHARE * from_after:
            return None
        ys, xs = np.nonzero(region)
        return ShelfChange(
            shelf_id=self.zone.zone_id,
            box=self._frame_box(x1 + int(xs.min()), y1 + int(ys.min()), int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1),
            kind="added",
            seen_at=t,
            before=tuple(float(v) for v in after.mean(axis=0)),  # type: ignore[arg-type]
            after=tuple(float(v) for v in now.mean(axis=0)),  # type: ignore[arg-type]
            strength=from_after,
        )

    def accept(self, box: Box) -> None:
        """Take the spot as it looks now into the stable picture: what changed there has been reported. Its pixels
        out of view now (a shopper beside the gap hides its edge) are taken in as soon as they are learnable and
        still differ: the rest of the same change, not a new one to wait ``relearn_s`` for."""
        if self.stable is None or self._image is None:
            return
        x1, y1, x2, y2 = self.work_box(box)
        inside = self.inside[y1:y2, x1:x2] & self._in_view[y1:y2, x1:x2]
        self._reported[y1:y2, x1:x2] |= self.inside[y1:y2, x1:x2] & ~inside
        self.stable[y1:y2, x1:x2][inside] = self._image[y1:y2, x1:x2][inside]
        self.valid[y1:y2, x1:x2] |= inside
        self._different[y1:y2, x1:x2] &= ~inside
        self._faint[y1:y2, x1:x2] &= ~inside
        self._different_since[y1:y2, x1:x2] = np.inf
        self._stable_grey = grey(self.stable, self.settings.blur_sigma)

    def _change(
        self, region: BoolMask, t: float, *, whole_box: bool = False, seen: BoolMask | None = None
    ) -> ShelfChange:
        """The change over ``region``; with ``whole_box``, whether it got plainer is judged over the known shelf
        pixels of its bounding box (those ``seen``, when given): a faint region is the printed part of a pale
        facing, plain before and after."""
        assert self.stable is not None and self._image is not None
        before, after = self.stable[region], self._image[region]
        ys, xs = np.nonzero(region)
        x, y = int(xs.min()), int(ys.min())
        box = self._frame_box(x, y, int(xs.max()) + 1 - x, int(ys.max()) + 1 - y)
        judged = region
        if whole_box:
            judged = np.zeros_like(region)
            judged[y : int(ys.max()) + 1, x : int(xs.max()) + 1] = True
            judged &= self.inside & self.valid
            if seen is not None:
                judged &= seen
        plainer = flatness(self._image[judged]) > flatness(self.stable[judged])
        kind: Literal["removed", "added"] = "removed" if plainer else "added"
        return ShelfChange(
            shelf_id=self.zone.zone_id,
            box=box,
            kind=kind,
            seen_at=t,
            before=tuple(float(v) for v in before.mean(axis=0)),  # type: ignore[arg-type]
            after=tuple(float(v) for v in after.mean(axis=0)),  # type: ignore[arg-type]
            strength=float(self._diff[region].mean()),
        )
