"""Drawing one shopper: a human figure built from anti-aliased OpenCV primitives, in one pose.

The figure is made to be seen as a person by a detector trained on COCO photos: human proportions (head 1/7.5
of the height), limbs as shaded capsules, a skin-coloured face and hands, dark hair, shoes, a visible gap
between the legs, and anti-aliased edges; with jointed arms, also by a pose model (arm bones of human length,
the elbow where they meet, a palm and thumb). `build_figure` turns a `Pose` into a `Figure` (drawing operations,
outline, box, arm joints; `shelfsight.vision.synthetic.figure_ops`), which `draw_figure` paints on a frame and
`draw_silhouette` rasterises into a mask (for visibility), so both always agree.

All coordinates are frame pixels (float); they are drawn at 1/16 pixel precision (OpenCV ``shift=4``).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Final, Literal

import cv2
import numpy as np
import numpy.typing as npt

from shelfsight.vision.synthetic.figure_ops import SCALE, SHIFT, ArmJoints, Figure, Point
from shelfsight.vision.synthetic.look import BGR, Look

logger = logging.getLogger(__name__)

Facing = Literal["left", "right", "toward", "away"]
"""Which way the shopper faces in the image: walking left or right (seen from the side), or towards or
away from the camera (a shopper at a shelf faces away, showing their back)."""


@dataclass(frozen=True)
class Pose:
    """Where and how one shopper stands in one frame, in pixels.

    Attributes:
        foot: Point on the floor between the feet.
        height_px: Standing height in the image (foot to top of the head).
        facing: Which way they face.
        gait_phase: Walking cycle angle in radians (one cycle = two steps).
        walking: Whether the legs and arms swing.
        reach: Where the reaching hand goes, or None.
        reach_side: -1 for the arm on the image's left, +1 for the right one.
        extension: How far the reach has got, 0 (arm down) to 1 (hand at ``reach``).
        carrying: Colour of an item held in the hand, or None.
        width_px: Size scale of the body across the image (what ``height_px`` would be seen side-on); None =
            ``height_px``. Smaller ``height_px`` than this draws a body foreshortened from above.
    """

    foot: Point
    height_px: float
    facing: Facing = "toward"
    gait_phase: float = 0.0
    walking: bool = False
    reach: Point | None = None
    reach_side: int = 1
    extension: float = 0.0
    carrying: BGR | None = None
    width_px: float | None = None


def person_sides(facing: Facing) -> tuple[int, int]:
    """Image sides (-1 left, +1 right, as `Figure.arms` keys them) of the person's (left, right) arm.

    Facing the camera, their left arm is on the image's right; with their back to it, on the left. Seen
    from the side the figure keeps the back view's order: walking right, their left arm is the far one (image
    left); walking left, it is the near one, also drawn on the image's left.
    """
    return (1, -1) if facing == "toward" else (-1, 1)


def _shade(colour: BGR, factor: float) -> BGR:
    return (
        min(255, round(colour[0] * factor)),
        min(255, round(colour[1] * factor)),
        min(255, round(colour[2] * factor)),
    )


def _limb(fig: Figure, a: Point, b: Point, colour: BGR, thickness: float) -> None:
    """A shaded capsule: a darker full-width stroke, then a lighter one shifted towards the light (top left)."""
    fig.line(a, b, thickness, _shade(colour, 0.72), outline=True)
    dx, dy = b[0] - a[0], b[1] - a[1]
    norm = math.hypot(dx, dy) or 1.0
    nx, ny = -dy / norm, dx / norm
    if nx > 0:  # keep the highlight on the left side of the limb
        nx, ny = -nx, -ny
    off = thickness * 0.16
    fig.line((a[0] + nx * off, a[1] + ny * off), (b[0] + nx * off, b[1] + ny * off), thickness * 0.58, colour)


class _Body:
    """Joint positions of one pose, derived from the foot point, height and facing.

    ``h`` scales heights above the feet (the body's length in the image), ``w`` sizes and offsets across
    it (limb thickness, widths, the head); they are equal unless the body is seen foreshortened from above.
    """

    def __init__(self, pose: Pose, look: Look, jointed: bool) -> None:
        self.pose, self.look, self.jointed = pose, look, jointed
        self.h = pose.height_px
        self.w = pose.width_px if pose.width_px is not None else pose.height_px
        self.fx, self.fy = pose.foot
        self.turn = {"left": -0.85, "right": 0.85}.get(pose.facing, 0.0)
        self.side_view = abs(self.turn) > 0.5
        self.swing = math.sin(pose.gait_phase) if pose.walking else 0.0
        self.shoulder = 0.125 * look.shoulders * (1 - 0.3 * abs(self.turn)) * self.w
        self.hip = 0.095 * (1 - 0.35 * abs(self.turn)) * self.w

    def y(self, fraction: float) -> float:
        """Image y of a height given as a fraction of the body height above the feet."""
        return self.fy - fraction * self.h


def _legs(fig: Figure, body: _Body) -> None:
    h, w, look, turn = body.h, body.w, body.look, body.turn
    at = abs(turn)
    lower = look.legwear if look.bottom_style == "skirt" else look.bottom
    for side in (-1, 1):
        s = body.swing * at * side
        hip = (body.fx + side * body.hip * 0.5 * (1 - 0.6 * at), body.y(0.5))
        angle = s * 0.45 + side * 0.105 * (1 - at)
        knee = (hip[0] + math.sin(angle) * 0.24 * w, hip[1] + math.cos(angle) * 0.24 * h)
        lift = 0.03 * h * max(0.0, body.swing * side) if body.pose.walking and not body.side_view else 0.0
        bend = 0.3 * max(0.0, s) * (1 if turn >= 0 else -1)
        ankle = (knee[0] + math.sin(angle - bend) * 0.23 * w, min(body.fy - 0.03 * h - lift, knee[1] + 0.23 * h))
        upper = look.bottom if look.bottom_style == "trousers" else lower
        _limb(fig, hip, knee, upper, 0.105 * w)
        _limb(fig, knee, ankle, lower, 0.084 * w)
        toe = 0.025 * w * (1 if turn > 0 else -1 if turn < 0 else 0)
        shoe_w = 0.05 * w if body.side_view else 0.036 * w
        fig.ellipse((ankle[0] + toe, ankle[1] + 0.012 * h), (shoe_w, 0.024 * w), look.shoes, outline=True)
    if look.bottom_style == "skirt":
        fx, sh = body.fx, body.hip
        skirt = [
            (fx - sh * 1.05, body.y(0.52)),
            (fx + sh * 1.05, body.y(0.52)),
            (fx + sh * 1.5, body.y(0.3)),
            (fx - sh * 1.5, body.y(0.3)),
        ]
        fig.poly(skirt, _shade(look.bottom, 0.8), outline=True)
        fig.poly([(p[0] * 0.9 + fx * 0.1, p[1]) for p in skirt[:2]] + skirt[2:], look.bottom)


def _torso(fig: Figure, body: _Body) -> None:
    fx, sw, hw, top = body.fx, body.shoulder, body.hip, body.look.top
    fig.poly(
        [
            (fx - sw, body.y(0.82)),
            (fx + sw, body.y(0.82)),
            (fx + hw * 1.1, body.y(0.48)),
            (fx - hw * 1.1, body.y(0.48)),
        ],
        _shade(top, 0.76),
        outline=True,
    )
    fig.poly(
        [
            (fx - sw * 0.85, body.y(0.81)),
            (fx + sw * 0.6, body.y(0.81)),
            (fx + hw * 0.7, body.y(0.49)),
            (fx - hw * 0.95, body.y(0.49)),
        ],
        top,
    )
    cap = (0.045 * body.w, 0.03 * body.w)
    fig.ellipse((fx - sw * 0.82, body.y(0.795)), cap, top, outline=True)
    fig.ellipse((fx + sw * 0.82, body.y(0.795)), cap, _shade(top, 0.86), outline=True)


UPPER_ARM: Final = 0.186
"""Shoulder to elbow, share of body height (anthropometric tables: 0.186, forearm 0.146, hand 0.108)."""

FOREARM: Final = 0.146
HAND: Final = 0.108


def _unit(a: Point, b: Point) -> tuple[float, float, float]:
    """(ux, uy, length) of the vector from ``a`` to ``b`` (a downward unit vector when they coincide)."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = math.hypot(dx, dy)
    return (dx / length, dy / length, length) if length > 1e-9 else (0.0, 1.0, 0.0)


def _elbow(shoulder: Point, wrist: Point, size: float, side: int) -> Point:
    """Where the elbow of an arm from ``shoulder`` to ``wrist`` is: the two arm bones (`UPPER_ARM`,
    `FOREARM` of ``size``) meet there, the bend outwards (``side``) and down, as an arm reaching forward bends.

    A wrist farther than the arm is long (in the picture) stretches it straight; one nearer than the arm can
    fold (pointing at the camera, or away from it, foreshortened) folds it as far as it goes.
    """
    upper, fore = UPPER_ARM * size, FOREARM * size
    ux, uy, d = _unit(shoulder, wrist)
    if d >= upper + fore:
        share = upper / (upper + fore)
        return (shoulder[0] + ux * d * share, shoulder[1] + uy * d * share)
    d = max(d, upper - fore + 1e-3 * size)
    along = (upper * upper - fore * fore + d * d) / (2.0 * d)
    across = math.sqrt(max(0.0, upper * upper - along * along))
    nx, ny = -uy, ux
    if nx * side + ny * 0.5 < 0:
        nx, ny = -nx, -ny
    return (shoulder[0] + ux * along + nx * across, shoulder[1] + uy * along + ny * across)


def _arm_joints(body: _Body, side: int) -> ArmJoints:
    """Shoulder, elbow, wrist and hand of the arm on image side ``side``: hanging (swinging in a walk), or
    reaching towards ``pose.reach`` as far as ``pose.extension``.

    Simple arms put the wrist on the target and bend the elbow by a fixed offset; jointed arms put the hand
    on it, keep the arm bones' lengths (`UPPER_ARM`, `FOREARM`) and bend the elbow where they meet.
    """
    pose, h, w = body.pose, body.h, body.w
    shoulder = (body.fx + side * body.shoulder * 0.88, body.y(0.8))
    s = body.swing * abs(body.turn) * side
    elbow = (shoulder[0] + side * 0.03 * w + s * 0.06 * w, body.y(0.63))
    wrist = (shoulder[0] + side * 0.048 * w + s * 0.13 * w, body.y(0.465))
    reaching = pose.reach is not None and side == pose.reach_side and pose.extension > 0
    if not body.jointed:
        if pose.reach is not None and reaching:
            e = pose.extension
            wrist = (wrist[0] + (pose.reach[0] - wrist[0]) * e, wrist[1] + (pose.reach[1] - wrist[1]) * e)
            elbow = ((shoulder[0] + wrist[0]) / 2 + side * 0.03 * w, (shoulder[1] + wrist[1]) / 2 + 0.03 * h)
        return ArmJoints(shoulder, elbow, wrist, (wrist[0], wrist[1] + 0.018 * h))
    ux, uy, _ = _unit(elbow, wrist)
    hand = (wrist[0] + ux * HAND * h / 2.0, wrist[1] + uy * HAND * h / 2.0)
    if pose.reach is not None and reaching:
        e = pose.extension
        hand = (hand[0] + (pose.reach[0] - hand[0]) * e, hand[1] + (pose.reach[1] - hand[1]) * e)
        ux, uy, _ = _unit(shoulder, hand)
        wrist = (hand[0] - ux * HAND * w / 2.0, hand[1] - uy * HAND * w / 2.0)
        elbow = _elbow(shoulder, wrist, w, side)
    return ArmJoints(shoulder, elbow, wrist, hand)


def _hand(fig: Figure, joints: ArmJoints, skin: BGR, size: float, side: int) -> None:
    """A palm along the forearm's line from the wrist, and a thumb beside it (jointed arms)."""
    ux, uy, _ = _unit(joints.wrist, joints.hand)
    angle = math.degrees(math.atan2(uy, ux))
    fig.ellipse(joints.hand, (HAND * size / 2.0, 0.026 * size), skin, outline=True, angle=angle)
    base = (joints.wrist[0] + ux * 0.02 * size, joints.wrist[1] + uy * 0.02 * size)
    tip = (base[0] + (ux - uy * side) * 0.035 * size, base[1] + (uy + ux * side) * 0.035 * size)
    fig.line(base, tip, 0.016 * size, _shade(skin, 0.85), outline=True)


def _arm(fig: Figure, body: _Body, side: int) -> None:
    pose, look, w = body.pose, body.look, body.w
    start = len(fig.ops)
    joints = _arm_joints(body, side)
    fig.arms[side] = joints
    forearm = look.skin if look.top_style == "short_sleeve" else look.top
    if body.jointed:  # a dark contour parts the arm from a torso or shelf of its own colour
        fig.line(joints.shoulder, joints.elbow, 0.07 * w + 2.0, _shade(look.top, 0.45), outline=True)
        fig.line(joints.elbow, joints.wrist, 0.058 * w + 2.0, _shade(forearm, 0.45), outline=True)
    _limb(fig, joints.shoulder, joints.elbow, look.top, 0.07 * w)
    _limb(fig, joints.elbow, joints.wrist, forearm, 0.058 * w)
    if body.jointed:
        _hand(fig, joints, look.skin, w, side)
        cx, cy = joints.hand[0] + side * 0.02 * w, joints.hand[1] + 0.01 * w
    else:
        fig.ellipse(joints.hand, (0.024 * w, 0.032 * w), look.skin, outline=True)
        cx, cy = joints.wrist[0] + side * 0.02 * w, joints.wrist[1] + 0.03 * w
    if pose.carrying is not None and side == pose.reach_side:
        iw, ih = 0.04 * w, 0.06 * w
        box = [(cx - iw, cy - ih), (cx + iw, cy - ih), (cx + iw, cy + ih), (cx - iw, cy + ih)]
        fig.poly(box, _shade(pose.carrying, 0.6), outline=True)
        fig.poly([(x * 0.8 + cx * 0.2, y * 0.8 + cy * 0.2) for x, y in box], pose.carrying)
    fig.mark(f"arm{side:+d}", start)


def _head(fig: Figure, body: _Body) -> None:
    look, w, turn = body.look, body.w, body.turn
    back = body.pose.facing == "away"
    fig.line((body.fx, body.y(0.83)), (body.fx, body.y(0.875)), 0.05 * w, _shade(look.skin, 0.8), outline=True)
    centre = (body.fx + 0.015 * w * turn, body.y(0.93))
    if look.hair_style == "long":
        _long_hair(fig, body, centre, back)
    fig.ellipse(centre, (0.053 * w, 0.067 * w), _shade(look.skin, 0.75), outline=True)
    if back:
        for d in (-1, 1):  # ears
            ear = (centre[0] + d * 0.052 * w, centre[1] + 0.004 * w)
            fig.ellipse(ear, (0.011 * w, 0.018 * w), look.skin, outline=True)
        fig.ellipse((centre[0], centre[1] - 0.012 * w), (0.056 * w, 0.06 * w), look.hair, outline=True)
    else:
        fig.ellipse((centre[0] - 0.005 * w, centre[1]), (0.047 * w, 0.062 * w), look.skin)
        fig.ellipse(
            (centre[0] - 0.02 * w * turn, centre[1] - 0.033 * w), (0.056 * w, 0.036 * w), look.hair, outline=True
        )
        _face(fig, centre, w, turn)
    if look.hair_style == "bun":
        fig.ellipse(
            (centre[0] - 0.03 * w * turn, centre[1] - 0.07 * w), (0.025 * w, 0.022 * w), look.hair, outline=True
        )


def _long_hair(fig: Figure, body: _Body, centre: Point, back: bool) -> None:
    """Hair down to the shoulders, behind the head: one fall seen from behind or the side, two from the front."""
    w, turn, hair = body.w, body.turn, body.look.hair
    if back or body.side_view:
        fig.ellipse((centre[0] - 0.03 * w * turn, body.y(0.87)), (0.058 * w, 0.075 * w), hair, outline=True)
        return
    for d in (-1, 1):
        fig.ellipse((centre[0] + d * 0.05 * w, body.y(0.9)), (0.02 * w, 0.055 * w), hair, outline=True)


def _face(fig: Figure, centre: Point, size: float, turn: float) -> None:
    eye_x = centre[0] + 0.02 * size * turn
    for d in (-1, 1):
        if abs(turn) < 0.5 or d * turn > 0:
            fig.ellipse((eye_x + d * 0.02 * size, centre[1] - 0.003 * size), (0.007 * size, 0.005 * size), (40, 40, 50))
    fig.ellipse((eye_x, centre[1] + 0.035 * size), (0.014 * size, 0.005 * size), (70, 80, 130))


def build_figure(look: Look, pose: Pose, *, jointed_arms: bool = False) -> Figure:
    """The drawing operations of a shopper in a pose, back to front.

    In a side view the far arm goes behind the torso; a reaching arm is always drawn last, over the body.
    ``jointed_arms`` draws anatomical arms (see `_arm_joints`) with a palm and thumb, which a pose model
    localises; the default keeps the original simple arms.
    """
    body = _Body(pose, look, jointed_arms)
    fig = Figure()
    reach_side = pose.reach_side if pose.reach is not None and pose.extension > 0 else 0
    far = -1 if body.turn > 0 else 1
    if body.side_view and far != reach_side:
        _arm(fig, body, far)
    start = len(fig.ops)
    _legs(fig, body)
    _torso(fig, body)
    fig.mark("body", start)
    for side in (-1, 1):
        if side != reach_side and not (body.side_view and side == far):
            _arm(fig, body, side)
    start = len(fig.ops)
    _head(fig, body)
    fig.mark("body", start)
    if reach_side:
        _arm(fig, body, reach_side)
    return fig


SHADOW_DEPTH: Final = 0.35
"""How much the floor shadow under a shopper darkens the floor at its centre."""


def draw_shadow(image: npt.NDArray[np.uint8], pose: Pose) -> None:
    """Darken a soft ellipse of floor under the feet (people stand on the floor, not float over it)."""
    w = pose.width_px if pose.width_px is not None else pose.height_px
    ax, ay = 0.2 * w, 0.035 * w
    x0, y0 = math.floor(pose.foot[0] - ax) - 2, math.floor(pose.foot[1] - ay) - 2
    x1, y1 = math.ceil(pose.foot[0] + ax) + 2, math.ceil(pose.foot[1] + ay) + 2
    H, W = image.shape[:2]
    cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(W, x1), min(H, y1)
    if cx0 >= cx1 or cy0 >= cy1:
        return
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    centre = (round((pose.foot[0] - x0) * SCALE), round((pose.foot[1] - y0) * SCALE))
    cv2.ellipse(mask, centre, (round(ax * SCALE), round(ay * SCALE)), 0, 0, 360, 255, -1, cv2.LINE_AA, SHIFT)
    part = mask[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0].astype(np.float32) * (SHADOW_DEPTH / 255.0)
    roi = image[cy0:cy1, cx0:cx1]
    roi[:] = (roi * (1.0 - part[..., None])).astype(np.uint8)
