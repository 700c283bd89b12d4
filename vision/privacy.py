"""Blurring shoppers' heads in frames that leave the pipeline's memory (annotated videos, stored audit frames).

shelfsight never looks at faces: shopper ids come from tracking. But a frame written to disk shows them, so
every such frame is redacted first. No face detector is used (it would be one more model, and one that misses
faces in profile or from above): the head is where it is on a person, the top of the person's box, and, with a
pose model, around the head keypoints (nose, eyes, ears). The region is pixelated into coarse blocks, which
cannot be undone (a Gaussian blur of a face can be partly reversed).
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from shelfsight.vision.detections import FrameDetections

Image = npt.NDArray[np.uint8]

HEAD_SHARE = 0.25
"""Top share of a person box that is redacted. A standing adult's head is about 1/7.5 of their height; the rest
is margin for a box cut at the top, a bent-over shopper, a child. Too low lets a chin through; too high hides
the shoulders and arms, which nobody needs to hide."""
HEAD_POINTS = {17: slice(0, 5), 33: slice(0, 11)}
"""Rows of the head keypoints by layout size: COCO 17 (nose, eyes, ears), BlazePose 33 (nose, eyes, ears, mouth)."""
KEYPOINT_MIN_SCORE = 0.3
KEYPOINT_PAD = 0.6
"""Padding around the head keypoints, as a share of the person box's width (ears to the back of the head)."""
BLOCKS = 6
"""Pixel blocks across the redacted region's shorter side: few enough that no feature survives."""


def head_regions(detections: FrameDetections, person_class: int = 0) -> npt.NDArray[np.int32]:
    """(m, 4) int32 boxes (x1, y1, x2, y2, pixels, clipped to the frame) to redact: the top `HEAD_SHARE` of each
    person box, plus a box around its confident head keypoints when a pose model ran."""
    people = detections.class_id == person_class
    boxes = detections.xyxy[people].astype(np.float32)
    heights = boxes[:, 3] - boxes[:, 1]
    strips = boxes.copy()
    strips[:, 3] = boxes[:, 1] + HEAD_SHARE * heights
    regions = [strips]
    if detections.keypoints is not None and detections.keypoints.shape[1] in HEAD_POINTS:
        head = detections.keypoints[people][:, HEAD_POINTS[detections.keypoints.shape[1]]]
        seen = head[:, :, 2] >= KEYPOINT_MIN_SCORE
        has = seen.any(axis=1)
        if has.any():
            xs = np.where(seen, head[:, :, 0], np.nan)[has]
            ys = np.where(seen, head[:, :, 1], np.nan)[has]
            pad = KEYPOINT_PAD * (boxes[has, 2] - boxes[has, 0])
            around = np.stack(
                [np.nanmin(xs, 1) - pad, np.nanmin(ys, 1) - pad, np.nanmax(xs, 1) + pad, np.nanmax(ys, 1) + pad], axis=1
            )
            regions.append(around.astype(np.float32))
    height, width = detections.frame_size
    out = np.vstack(regions)
    out[:, [0, 2]] = np.clip(out[:, [0, 2]], 0, width)
    out[:, [1, 3]] = np.clip(out[:, [1, 3]], 0, height)
    return np.round(out).astype(np.int32)


def blur_heads(image: Image, detections: FrameDetections, person_class: int = 0) -> Image:
    """A copy of ``image`` (BGR, H x W x 3) with every person's head region pixelated (see the module docstring).

    Args:
        image: The frame the detections were found in.
        detections: Boxes in ``image``'s pixels (tracks or detections); only ``person_class`` rows are redacted.
        person_class: The class index of people.
    """
    out = image.copy()
    for x1, y1, x2, y2 in head_regions(detections, person_class).tolist():
        if x2 - x1 < 2 or y2 - y1 < 2:
            continue
        region = out[y1:y2, x1:x2]
        block = max(1, min(x2 - x1, y2 - y1) // BLOCKS)
        small = cv2.resize(
            region, (max(1, (x2 - x1) // block), max(1, (y2 - y1) // block)), interpolation=cv2.INTER_AREA
        )
        out[y1:y2, x1:x2] = cv2.resize(small, (x2 - x1, y2 - y1), interpolation=cv2.INTER_NEAREST)
    return out
