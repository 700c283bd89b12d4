"""Keypoint layouts: which row of a pose model's keypoints is which joint.

``FrameDetections.keypoints`` is (n, K, 3) (x, y, score) in frame pixels. Two layouts occur: the 17 COCO
keypoints of Ultralytics pose models (YOLO11n-pose, decoded by the detector) and the 33 body landmarks of
BlazePose (top-down, `shelfsight.vision.pose.blazepose`), which add hand points (index finger, pinky, thumb) beside each
wrist. Reach detection asks a layout for shoulders, elbows, wrists, hips and hand points by side, so it works
the same on either; the layout is told apart by K alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class KeypointLayout:
    """Indices of the joints reach detection uses, per side (0 = the person's left, 1 = right).

    Attributes:
        name: ``coco17`` or ``blazepose33``.
        count: K, the number of keypoints per person.
        shoulders: (left, right) shoulder rows.
        elbows: (left, right) elbow rows.
        wrists: (left, right) wrist rows.
        hips: (left, right) hip rows.
        hands: Per side, the hand points beyond the wrist (fingers); empty when the layout has none.
    """

    name: str
    count: int
    shoulders: tuple[int, int]
    elbows: tuple[int, int]
    wrists: tuple[int, int]
    hips: tuple[int, int]
    hands: tuple[tuple[int, ...], tuple[int, ...]] = ((), ())


COCO17: Final = KeypointLayout("coco17", 17, shoulders=(5, 6), elbows=(7, 8), wrists=(9, 10), hips=(11, 12))
"""COCO person keypoints (Ultralytics pose models): nose, eyes, ears, shoulders, elbows, wrists, hips, knees,
ankles."""

BLAZEPOSE33: Final = KeypointLayout(
    "blazepose33",
    33,
    shoulders=(11, 12),
    elbows=(13, 14),
    wrists=(15, 16),
    hips=(23, 24),
    hands=((17, 19, 21), (18, 20, 22)),  # pinky, index, thumb
)
"""MediaPipe BlazePose body landmarks (the first 33 rows of the landmark model's 39)."""

LAYOUTS: Final = {layout.count: layout for layout in (COCO17, BLAZEPOSE33)}


def layout_for(count: int) -> KeypointLayout:
    """The layout of (n, ``count``, 3) keypoints.

    Raises:
        ValueError: For a keypoint count no known layout has.
    """
    try:
        return LAYOUTS[count]
    except KeyError:
        known = ", ".join(f"{k} ({layout.name})" for k, layout in LAYOUTS.items())
        raise ValueError(f"no keypoint layout has {count} keypoints; known: {known}") from None
