"""Drawing boxes, ids and keypoints on frames, for annotated videos. Kept apart from the algorithms."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt

from shelfsight.vision.detections import FrameDetections

BOX_COLOUR = (60, 200, 60)  # BGR
KEYPOINT_COLOUR = (0, 200, 255)
WRIST_COLOUR = (0, 0, 255)
COCO_WRISTS = (9, 10)
KEYPOINT_MIN_SCORE = 0.5


def _colour_for(track_id: int) -> tuple[int, int, int]:
    hue = (track_id * 47) % 180
    bgr = cv2.cvtColor(np.array([[[hue, 200, 230]]], np.uint8), cv2.COLOR_HSV2BGR)[0, 0]
    return int(bgr[0]), int(bgr[1]), int(bgr[2])


def draw_detections(
    image: npt.NDArray[np.uint8], detections: FrameDetections, class_names: Sequence[str] = ()
) -> npt.NDArray[np.uint8]:
    """A copy of ``image`` with boxes, labels (track id or class and score) and keypoints drawn on it."""
    out = image.copy()
    thickness = max(1, round(max(out.shape[:2]) / 500))
    for i in range(len(detections)):
        x1, y1, x2, y2 = (round(float(v)) for v in detections.xyxy[i])
        class_id = int(detections.class_id[i])
        name = class_names[class_id] if class_id < len(class_names) else str(class_id)
        colour = BOX_COLOUR
        label = f"{name} {detections.confidence[i]:.2f}"
        if detections.tracker_id is not None:
            colour = _colour_for(int(detections.tracker_id[i]))
            label = f"#{int(detections.tracker_id[i])} {label}"
        cv2.rectangle(out, (x1, y1), (x2, y2), colour, thickness)
        cv2.putText(out, label, (x1, max(12, y1 - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.4 * thickness, colour, thickness)
        if detections.keypoints is not None:
            _draw_keypoints(out, detections.keypoints[i], thickness)
    return out


def _draw_keypoints(image: npt.NDArray[np.uint8], keypoints: npt.NDArray[np.float32], thickness: int) -> None:
    for k, (x, y, score) in enumerate(keypoints):
        if score >= KEYPOINT_MIN_SCORE:
            colour = WRIST_COLOUR if k in COCO_WRISTS else KEYPOINT_COLOUR
            cv2.circle(image, (int(x), int(y)), 2 * thickness, colour, -1)


ZONE_COLOURS = {
    "shelf": (0, 165, 255),
    "standing": (255, 160, 0),
    "aisle": (80, 200, 80),
    "entrance": (200, 80, 200),
    "checkout": (60, 60, 230),
}
"""BGR outline colour per zone kind (the zones page uses the same ones)."""


def draw_zones(
    image: npt.NDArray[np.uint8], zones: Sequence[tuple[str, str, Sequence[tuple[float, float]]]]
) -> npt.NDArray[np.uint8]:
    """A copy of ``image`` with each zone's outline, a light fill and its id drawn on it.

    Args:
        image: The BGR picture.
        zones: (zone id, kind, polygon) each, the polygon in normalised 0..1 image coordinates as configured.
    """
    height, width = image.shape[:2]
    thickness = max(1, round(max(height, width) / 500))
    outlines = [
        (
            zone_id,
            ZONE_COLOURS.get(kind, BOX_COLOUR),
            kind,
            np.round(np.asarray(polygon, np.float64) * (width, height)).astype(np.int32),
        )
        for zone_id, kind, polygon in zones
    ]
    fill = image.copy()
    for _, colour, _, points in outlines:
        cv2.fillPoly(fill, [points], colour)
    out = np.asarray(cv2.addWeighted(fill, 0.2, image, 0.8, 0), np.uint8)
    for zone_id, colour, kind, points in outlines:
        cv2.polylines(out, [points], True, colour, thickness + 1)
        x, y = int(points[:, 0].min()), int(points[:, 1].min())
        cv2.putText(
            out,
            f"{zone_id} ({kind})",
            (x + 4, max(14, y + 16)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.45 * thickness,
            colour,
            thickness,
        )
    return out
