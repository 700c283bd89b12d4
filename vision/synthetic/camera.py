"""Camera geometry of the synthetic store: a pitched pinhole camera and an optional lens distortion.

World coordinates are metres: x to the right of the camera, y up from the floor, z forward along the floor
away from the camera. The camera stands at (0, height, 0) and is pitched down; nothing rolls or yaws, so the
back wall and the shelf fronts are parallel to the image plane's x axis.

Frames are drawn through the pinhole, then (optionally) warped by a lens: a one-coefficient radial
distortion (`LensDistortion`) or an equidistant fisheye (`FisheyeLens`, the overhead view's). Both expose the
same three things: ``cv2.remap`` maps from the written frame to the drawn one, and `distort_points`, which
sends drawn positions to written ones, so truth and zones follow the pixels.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from shelfsight.vision.synthetic.scenario import ViewKind

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
        fisheye: Whether the pinhole picture goes through a fisheye lens (`FisheyeLens`).
        foreshorten: Whether shoppers are drawn foreshortened: seen from high above, a body is shorter in the
            image than it is wide at that distance (their width follows the distance, their height the view).
    """

    camera_height_m: float
    pitch_deg: float
    hfov_deg: float
    shelf_z_m: float
    standing_depth_m: tuple[float, float] = (1.25, 0.15)
    reach_distance_m: float = 0.55
    lanes_m: tuple[float, float] = (2.6, 1.55)
    fisheye: bool = False
    foreshorten: bool = False


VIEW_PRESETS: Final[dict[ViewKind, ViewPreset]] = {
    # A dome just above head height across a 5 m aisle: shoppers about 130-300 px tall at 640x480.
    "eye_level": ViewPreset(camera_height_m=2.2, pitch_deg=14.0, hfov_deg=72.0, shelf_z_m=4.7, lanes_m=(2.1, 1.5)),
    # A camera high on the opposite shelf looking down at 27 degrees: more floor, shoppers seen from above.
    "high_oblique": ViewPreset(camera_height_m=3.3, pitch_deg=27.0, hfov_deg=68.0, shelf_z_m=4.6, lanes_m=(2.1, 1.5)),
    # A ceiling camera over the aisle, pitched 45 degrees down through a fisheye lens (a 100 degree pinhole
    # picture squeezed into the frame, about 1.5x magnified in the middle), like supermarket CCTV: shoppers
    # in the walking lanes are seen from above, half as tall in the image as they are wide at that distance.
    "overhead_fisheye": ViewPreset(
        camera_height_m=3.6,
        pitch_deg=45.0,
        hfov_deg=100.0,
        shelf_z_m=3.2,
        lanes_m=(2.1, 1.5),
        fisheye=True,
        foreshorten=True,
    ),
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

    def scale_px(self, y: float, z: float) -> float:
        """Pixels per metre (across the image) of an upright object at height ``y`` and floor depth ``z``."""
        return self.focal_px / self._depth(y, z)


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


class FisheyeLens:
    """An equidistant fisheye (image radius proportional to the angle off the axis), corners kept in place.

    The frame is drawn through a wide pinhole of focal length ``focal_px``; a ray at angle theta off the axis
    lands at radius ``f * tan(theta)`` there, and at ``r_c * theta / theta_c`` in the written frame, where
    ``r_c`` is the half diagonal and ``theta_c`` the corners' angle. So the corners stay where they were, the
    middle is magnified by ``tan(theta_c) / theta_c`` and straight lines bow outwards: strong barrel
    distortion with no empty border.

    Args:
        width: Image width, pixels.
        height: Image height, pixels.
        focal_px: Focal length of the pinhole picture, pixels.
    """

    def __init__(self, width: int, height: int, focal_px: float) -> None:
        self.focal_px = focal_px
        self.centre = np.array([width / 2.0, height / 2.0])
        self.radius = float(np.hypot(width / 2.0, height / 2.0))
        self.theta_c = math.atan(self.radius / focal_px)
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
        dx, dy = xs - self.centre[0], ys - self.centre[1]
        r_d = np.hypot(dx, dy)
        r_u = focal_px * np.tan(r_d / self.radius * self.theta_c)
        gain = np.divide(r_u, r_d, out=np.ones_like(r_d), where=r_d > 1e-9)
        self.map_x = (self.centre[0] + dx * gain).astype(np.float32)
        self.map_y = (self.centre[1] + dy * gain).astype(np.float32)

    @property
    def magnification(self) -> float:
        """How much larger things are drawn in the middle of the written frame than in the pinhole picture."""
        return self.radius / self.theta_c / self.focal_px

    def distort_points(self, points: npt.ArrayLike) -> Points:
        """Where pinhole pixel positions land in the fisheye frame; (..., 2) in and out."""
        d = np.asarray(points, np.float64) - self.centre
        r_u = np.linalg.norm(d, axis=-1, keepdims=True)
        r_d = self.radius * np.arctan(r_u / self.focal_px) / self.theta_c
        gain = np.divide(r_d, r_u, out=np.ones_like(r_u), where=r_u > 1e-9)
        out: Points = d * gain + self.centre
        return out


Lens = LensDistortion | FisheyeLens
"""A lens between the drawn pinhole picture and the written frame."""
