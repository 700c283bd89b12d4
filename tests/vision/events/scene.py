"""A tiny scripted shelf scene for the shelf-event tests: a shelf of densely printed facings, a shopper drawn in
front of it with a BlazePose-layout skeleton, and the camera faults a real store adds (shift, JPEG).

Frame 240 x 320. The shelf spans x 40..280, y 20..120 (eight facings of 26 px at x 42 + 30 i); the floor in
front of it (the standing zone) is y 200..240.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from shelfsight.vision.detections import FrameDetections
from shelfsight.vision.zones import Zone

FRAME = (240, 320)
T0 = 1_767_603_600.0
FPS = 5.0
BACKING = (200, 200, 190)
SHELF = Zone.from_normalised(
    "shelf-1", "shelf", [(x / 320, y / 240) for x, y in ((40, 20), (280, 20), (280, 120), (40, 120))], FRAME
)
STANDING = Zone.from_normalised(
    "shelf-1-front", "standing", [(0.0, 190 / 240), (1.0, 190 / 240), (1.0, 1.0), (0.0, 1.0)], FRAME, "shelf-1"
)


def facing_centre(i: int) -> tuple[float, float]:
    """Centre of facing ``i`` (0..7), pixels."""
    return 55.0 + 30 * i, 70.0


def shelf_frame(missing: tuple[int, ...] = (), seed: int = 0) -> np.ndarray:
    """The shelf with every facing but ``missing`` ones (they show the plain backing): fine print on each."""
    rng = np.random.default_rng(seed)
    frame = np.full((*FRAME, 3), 90, np.uint8)
    frame[20:120, 40:280] = BACKING
    for i in range(8):
        colour = rng.integers(20, 160, 3)
        facing = np.clip(colour + rng.normal(0, 30, (80, 26, 3)), 0, 255)  # drawn even when missing: same rng
        facing[::4] = 255 - facing[::4]  # lines of print one pixel high
        facing = cv2.GaussianBlur(facing, (0, 0), 0.7)  # as sharp as a camera's optics pass, no sharper
        if i not in missing:
            frame[30:110, 42 + 30 * i : 68 + 30 * i] = facing.astype(np.uint8)
    return frame


@dataclass(frozen=True)
class Shopper:
    """A shopper standing with feet at x ``x``; ``hand`` is where the reaching (right) hand is, or None."""

    track_id: int
    x: float
    hand: tuple[float, float] | None = None

    @property
    def box(self) -> tuple[float, float, float, float]:
        return self.x - 22.0, 60.0, self.x + 22.0, 235.0

    def keypoints(self) -> np.ndarray:
        """(33, 3) BlazePose-layout keypoints (x, y, score): shoulders, elbows, wrists, hands, hips, legs."""
        points = np.zeros((33, 3), np.float32)
        x = self.x
        shoulders = {11: (x - 14, 90.0), 12: (x + 14, 90.0)}
        hips = {23: (x - 9, 150.0), 24: (x + 9, 150.0)}
        hand_r = self.hand if self.hand is not None else (x + 16, 152.0)
        wrists = {15: (x - 16, 152.0), 16: hand_r}
        elbows = {13: (x - 16, 121.0), 14: ((shoulders[12][0] + hand_r[0]) / 2, (90.0 + hand_r[1]) / 2)}
        for joints in (shoulders, hips, wrists, elbows):
            for index, (px, py) in joints.items():
                points[index] = (px, py, 0.95)
        for left, right in ((17, 18), (19, 20), (21, 22)):  # hand points just beyond each wrist
            points[left] = (wrists[15][0], wrists[15][1] + 4, 0.9)
            points[right] = (hand_r[0], hand_r[1] + 4 if self.hand is None else hand_r[1], 0.9)
        points[0] = (x, 70.0, 0.95)
        return points

    def draw(self, frame: np.ndarray) -> None:
        x1, y1, x2, y2 = (round(v) for v in self.box)
        cv2.rectangle(frame, (x1 + 4, y1), (x2 - 4, y2), (60, 40, 150), -1)
        if self.hand is not None:
            hand = (round(self.hand[0]), round(self.hand[1]))
            cv2.line(frame, (round(self.x + 14), 90), hand, (70, 110, 190), 7)
            cv2.circle(frame, hand, 5, (90, 140, 210), -1)


def tracks(shoppers: list[Shopper], t: float, *, pose: bool = True) -> FrameDetections:
    """The frame's tracks (with keypoints when ``pose``), reference pixels."""
    boxes = np.array([s.box for s in shoppers], np.float32).reshape(-1, 4)
    return FrameDetections(
        xyxy=boxes,
        confidence=np.ones(len(shoppers), np.float32),
        class_id=np.zeros(len(shoppers), np.int64),
        keypoints=np.array([s.keypoints() for s in shoppers], np.float32).reshape(-1, 33, 3) if pose else None,
        tracker_id=np.array([s.track_id for s in shoppers], np.int64),
        captured_at=t,
        frame_size=FRAME,
    )


def render(missing: tuple[int, ...], shoppers: list[Shopper]) -> np.ndarray:
    frame = shelf_frame(missing)
    for shopper in shoppers:
        shopper.draw(frame)
    return frame


def camera_faults(
    frame: np.ndarray, index: int, *, jitter_px: float, drift_px_per_s: float, jpeg: int
) -> tuple[np.ndarray, tuple[float, float]]:
    """``frame`` as a shaky, drifting camera with compression would deliver frame ``index`` (seeded), and the
    (dx, dy) pixels everything in it moved by."""
    rng = np.random.default_rng([index, 7])
    dx, dy = rng.uniform(-jitter_px, jitter_px, 2) + drift_px_per_s * index / FPS * np.array([1.0, 0.6])
    moved = cv2.warpAffine(
        frame, np.array([[1, 0, dx], [0, 1, dy]], np.float32), (FRAME[1], FRAME[0]), borderMode=cv2.BORDER_REPLICATE
    )
    ok, encoded = cv2.imencode(".jpg", moved, [cv2.IMWRITE_JPEG_QUALITY, jpeg])
    assert ok
    return np.asarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR), np.uint8), (float(dx), float(dy))


def shifted(detections: FrameDetections, delta: tuple[float, float]) -> FrameDetections:
    """Detections moved by (dx, dy) pixels: where a moved camera sees them."""
    from dataclasses import replace

    d = np.array(delta, np.float32)
    keypoints = None if detections.keypoints is None else detections.keypoints.copy()
    if keypoints is not None:
        keypoints[..., :2] += d
    return replace(detections, xyxy=detections.xyxy + np.tile(d, 2), keypoints=keypoints)
