"""Where a shopper's hands are and whether an arm is stretched out: reach signals from pose keypoints.

A wrist inside the shelf polygon is not enough: seen from across the aisle, a shopper standing in front of a
shelf covers it, and a hand hanging at the hip is "inside" the shelf in the image. A reach stretches the arm away
from that rest position: the arm swings out from the torso (the angle between shoulder -> wrist and shoulder ->
hip opens up) or the hand is lifted well above the hip (a reach up). A hand held over the shopper's own torso is
not reaching the shelf, however it is lifted: that is an item held up to look at (from behind, a reach straight
ahead looks the same and is not counted: a known limit). All of it is measured in torso lengths and angles, so it
holds for any shopper size and camera distance.

Arrays in, dataclasses out, vectorised over shoppers and both arms; reference (zone) pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from shelfsight.vision.events.shelf_state import ArmLine
from shelfsight.vision.pose.keypoints import KeypointLayout

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class HandSettings:
    """When a pose says an arm is reaching.

    Attributes:
        min_score: Keypoint score (0..1) a shoulder, wrist or hand point needs to count.
        min_angle_deg: Angle between shoulder -> wrist and shoulder -> hip above which the arm is out. A hanging
            arm is at 0-25 degrees; lower it and arms swinging or held a little out count.
        min_raise: How far above the hip (in torso lengths) a wrist must be to count as lifted. A hand hanging
            at rest is at about the hip (0); a basket held in front, about 0.2.
        min_extension: How far the hand's tip must be from where a hanging hand would be (in torso lengths) to count
            as out, whatever the angle and lift: a hand reaching down and out to a low board stays below the hip
            at a small angle, yet far from the thigh. A hanging hand is at about 0.15-0.3 (BlazePose medians
            0.16-0.26 on the synthetic dev scenes). Used only by layouts with hand points (BlazePose): without them
            (COCO, YOLO pose) the tip is extrapolated along the forearm, and a hanging hand's tip measures 0.5 or
            more, so every arm would be out.
        hand_radius: Half the side of a hand's region, in shopper box heights: about a hand and what it holds.
        arm_thickness: Thickness of an arm (for masking the shelf behind it), in shopper box heights.
        torso_margin: A hand within this many torso lengths of the shopper's torso (the box of shoulders and
            hips) is over the torso, not out at the shelf.
        finger_reach: Where a hand touches the shelf, beyond its knuckles (BlazePose's hand points), as a share of
            the wrist -> knuckles distance: the fingertips, not the middle of the hand, are on the shelf.
        forearm_reach: The same beyond the wrist as a share of the forearm, where there are no hand points (COCO).
    """

    min_score: float = 0.3
    min_angle_deg: float = 28.0
    min_raise: float = 0.25
    min_extension: float = 0.35
    hand_radius: float = 0.05
    arm_thickness: float = 0.07
    torso_margin: float = 0.0
    finger_reach: float = 0.6
    forearm_reach: float = 0.35


@dataclass(frozen=True)
class Hands:
    """Both hands of each of n shoppers in one frame; side 0 is the shopper's left arm, 1 the right.

    Attributes:
        tip: (n, 2, 2) where each hand touches: past its knuckles along the hand, or past the wrist along the
            forearm when there are no hand points, pixels.
        seen: (n, 2) whether the wrist (and its shoulder) scored at least ``min_score``.
        reaching: (n, 2) whether the arm is stretched out or lifted (``HandSettings``).
        extension: (n, 2) how far the hand is from where a hanging hand would be, torso lengths.
        radius: (n,) hand region half-size, pixels.
    """

    tip: FloatArray
    seen: npt.NDArray[np.bool_]
    reaching: npt.NDArray[np.bool_]
    extension: FloatArray
    radius: FloatArray


def find_hands(keypoints: FloatArray, boxes: FloatArray, layout: KeypointLayout, settings: HandSettings) -> Hands:
    """Hands of (n, K, 3) keypoints (x, y, score) of shoppers with (n, 4) boxes, pixels."""
    n = len(keypoints)
    shoulders = keypoints[:, list(layout.shoulders)]  # (n, 2, 3)
    wrists = keypoints[:, list(layout.wrists)]
    hips = keypoints[:, list(layout.hips)]
    heights = np.maximum(boxes[:, 3] - boxes[:, 1], 1.0).astype(np.float32)
    # Where the hand touches: past the wrist along the forearm (COCO), or past the knuckles along the hand.
    elbows = keypoints[:, list(layout.elbows)]
    elbow_ok = (elbows[..., 2] >= settings.min_score)[..., None]
    forearm = np.where(elbow_ok, wrists[..., :2] - elbows[..., :2], 0.0)
    tip = wrists[..., :2] + settings.forearm_reach * forearm
    for side, points in enumerate(layout.hands):
        if points:
            hand = keypoints[:, list(points)]  # (n, m, 3)
            good = hand[..., 2] >= settings.min_score
            count = good.sum(axis=1)
            knuckles = (hand[..., :2] * good[..., None]).sum(axis=1) / np.maximum(count, 1)[:, None]
            fingers = knuckles + settings.finger_reach * (knuckles - wrists[:, side, :2])
            tip[:, side] = np.where((count > 0)[:, None], fingers, tip[:, side])
    hip_ok = hips[..., 2] >= settings.min_score
    # Without a hip, assume a torso of 0.3 box heights straight down from the shoulder.
    default_hip = shoulders[..., :2] + np.stack([np.zeros((n, 2)), 0.3 * heights[:, None].repeat(2, 1)], axis=-1)
    hip_xy = np.where(hip_ok[..., None], hips[..., :2], default_hip).astype(np.float32)
    torso_vec = hip_xy - shoulders[..., :2]
    torso = np.maximum(np.linalg.norm(torso_vec, axis=-1), 0.05 * heights[:, None])
    arm_vec = wrists[..., :2] - shoulders[..., :2]
    arm_len = np.maximum(np.linalg.norm(arm_vec, axis=-1), 1e-3)
    cosine = (arm_vec * torso_vec).sum(axis=-1) / (arm_len * torso)
    angle = np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0)))
    lift = (hip_xy[..., 1] - wrists[..., 1]) / torso
    rest = np.stack([shoulders[..., 0], hip_xy[..., 1]], axis=-1)
    extension = np.linalg.norm(tip - rest, axis=-1) / torso
    seen = (wrists[..., 2] >= settings.min_score) & (shoulders[..., 2] >= settings.min_score)
    corners = np.concatenate([shoulders[..., :2], hip_xy], axis=1)  # (n, 4, 2)
    margin = (settings.torso_margin * torso.mean(axis=1))[:, None]
    low, high = corners.min(axis=1) - margin, corners.max(axis=1) + margin  # (n, 2) each
    over_torso = ((tip >= low[:, None]) & (tip <= high[:, None])).all(axis=-1)
    out = (angle >= settings.min_angle_deg) | (lift >= settings.min_raise)
    if any(layout.hands):
        # Only with hand points: a tip drawn past the wrist along the forearm (COCO) puts a hanging hand at 0.5+.
        out |= extension >= settings.min_extension
    reaching = seen & ~over_torso & out
    return Hands(
        tip=tip.astype(np.float32),
        seen=seen,
        reaching=reaching,
        extension=extension.astype(np.float32),
        radius=(settings.hand_radius * heights).astype(np.float32),
    )


def arm_lines(
    keypoints: FloatArray, boxes: FloatArray, layout: KeypointLayout, settings: HandSettings
) -> list[ArmLine]:
    """Every confidently seen arm (shoulder, elbow, wrist, hand) as a polyline to mask the shelf behind it."""
    lines = []
    for row in range(len(keypoints)):
        thickness = settings.arm_thickness * float(boxes[row, 3] - boxes[row, 1])
        for side in (0, 1):
            joints = [layout.shoulders[side], layout.elbows[side], layout.wrists[side], *layout.hands[side]]
            points = keypoints[row, joints]
            good = points[points[:, 2] >= settings.min_score, :2]
            if len(good) >= 2:
                lines.append(ArmLine(good.astype(np.float32), thickness))
    return lines
