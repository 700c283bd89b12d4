"""Camera geometry of the synthetic store: a pitched pinhole camera and an optional radial lens distortion.

World coordinates are metres: x to the right of the camera, y up from the floor, z forward along the floor
away from the camera. The camera stands at (0, height, 0) and is pitched down; nothing rolls or yaws, so the
back wall and the shelf fronts are parallel to the image plane's x axis.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from vision.synthetic.scenario import ViewKind

logger = logging.getLogger(__name__)

Points = npt.NDArray[np.float64]
"""(..., 2) image points or (..., 3) world points, float64."""


@dataclass(frozen=True)
class ViewPreset:
    """Where a camera of one kind hangs and what the store in front of it looks like.

    Attributes:
        camera_height_m: Lens height above the floor.
        pitch_deg: Downward tilt from the horizontal.
        hfov_deg: Horizontal field of view.
        shelf_z_m: Depth of the shelf fronts (the back wall of the scene).
        standing_depth_m: (near, far) distance from the shelf front of the standing zone's edges.
        reach_distance_m: Distance from the shelf front at which a reaching shopper stands.
        lanes_m: (near, far) distance from the shelf front of the walking lanes.
    """

    camera_height_m: float
    pitch_deg: float
    hfov_deg: float
    shelf_z_m: float
    standing_depth_m: tuple[float, float] = (1.25, 0.15)
    reach_distance_m: float = 0.55
    lanes_m: tuple[float, float] = (2.6, 1.55)


VIEW_PRESETS: Final[dict[ViewKind, ViewPreset]] = {
    # A dome just above head height across a 5 m aisle: shoppers about 130-300 px tall at 640x480.
    "eye_level": ViewPreset(camera_height_m=2.2, pitch_deg=14.0, hfov_deg=72.0, shelf_z_m=4.7, lanes_m=(2.1, 1.5)),
    # A camera high on the opposite shelf looking down at 27 degrees: more floor, shoppers seen from above.
    "high_oblique": ViewPreset(camera_height_m=3.3, pitch_deg=27.0, hfov_deg=68.0, shelf_z_m=4.6, lanes_m=(2.1, 1.5)),
}


class PinholeCamera:
    """Projects world points to pixels for a pitched pinhole camera.

    Args:
        width: Image width, pixels.
        height: Image height, pixels.
        preset: Mounting and field of view.
    """

    def __init__(self, width: int, height: int, preset: ViewPreset) -> None:
        self.width, self.height = width, height
        self.preset = preset
        self.focal_px = (width / 2.0) / math.tan(math.radians(preset.hfov_deg) / 2.0)
        self.cx, self.cy = width / 2.0, height / 2.0
        pitch = math.radians(preset.pitch_deg)
        self._sin, self._cos = math.sin(pitch), math.cos(pitch)

    def _depth(self, y: float, z: float) -> float:
        """Distance along the optical axis of a point at height ``y`` and floor depth ``z``."""
        return z * self._cos - (y - self.preset.camera_height_m) * self._sin

    def project(self, world: npt.ArrayLike) -> Points:
        """(..., 3) world points -> (..., 2) pixel coordinates (undistorted)."""
        pts = np.asarray(world, np.float64)
        dy = pts[..., 1] - self.preset.camera_height_m
        depth = pts[..., 2] * self._cos - dy * self._sin
        down = -dy * self._cos - pts[..., 2] * self._sin
        u = self.cx + self.focal_px * pts[..., 0] / depth
        v = self.cy + self.focal_px * down / depth
        return np.stack([u, v], axis=-1)

    def floor_x_at(self, u: float, z: float) -> float:
        """The world x of the floor point at depth ``z`` that projects to image column ``u``."""
        return (u - self.cx) * self._depth(0.0, z) / self.focal_px


class LensDistortion:
    """One-coefficient radial distortion, applied to rendered frames with precomputed ``cv2.remap`` maps.

    The output pixel at radius r (relative to the half diagonal) samples the undistorted frame at
    radius ``r * (1 + k1 * r**2)``, so k1 > 0 squeezes the edges inwards (barrel distortion) and the
    corners show dark border. Truth boxes and zones follow the same mapping through `distort_points`.

    Args:
        width: Image width, pixels.
        height: Image height, pixels.
        k1: Distortion coefficient, >= 0.
    """

    ITERATIONS: Final = 30
    """Fixed-point steps of the inverse mapping; enough for 1e-6 px at the k1 this module accepts (<= 0.5)."""

    def __init__(self, width: int, height: int, k1: float) -> None:
        self.k1 = k1
        self.centre = np.array([width / 2.0, height / 2.0])
        self.radius = float(np.hypot(width / 2.0, height / 2.0))
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
        dx, dy = (xs - self.centre[0]) / self.radius, (ys - self.centre[1]) / self.radius
        gain = 1.0 + k1 * (dx * dx + dy * dy)
        self.map_x = (self.centre[0] + dx * gain * self.radius).astype(np.float32)
        self.map_y = (self.centre[1] + dy * gain * self.radius).astype(np.float32)

    def distort_points(self, points: npt.ArrayLike) -> Points:
        """Where undistorted pixel positions land in the distorted frame; (..., 2) in and out."""
        src = (np.asarray(points, np.float64) - self.centre) / self.radius
        dst = src.copy()
        for _ in range(self.ITERATIONS):
            gain = 1.0 + self.k1 * np.sum(dst * dst, axis=-1, keepdims=True)
            dst = src / gain
        out: Points = dst * self.radius + self.centre
        return out
