"""Where the camera is now relative to where it was: per-frame translation by phase correlation.

A real store camera is never still. It shakes by a pixel or two from frame to frame (vibration, a dome on a
long arm) and drifts slowly (a mount sagging, a PTZ creeping: 13 px over 15 s was measured on a real clip).
Comparing a frame with a shelf picture learned seconds earlier without undoing that motion turns every edge
of dense packaging into a "change". So every frame is registered to a reference picture before shelf pixels are
compared: ``CameraRegistration`` measures the translation with phase correlation (``cv2.phaseCorrelate``,
sub-pixel, insensitive to a global brightness change) over the shelves' area, with shoppers painted out so their
movement does not drag the estimate. Everything downstream works in the reference's coordinates, which are those
of the first frame: the coordinates the zones were drawn in.

Arrays in, dataclasses out; the only state is the reference picture and the last shift.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np
import numpy.typing as npt

from shelfsight.vision.detections import FrameDetections

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class RegistrationSettings:
    """Tuning of camera registration.

    Attributes:
        scale: Working resolution relative to the frame. Phase correlation is sub-pixel at that resolution;
            0.5 measures a 640-pixel-wide frame to about a quarter of a frame pixel.
        pad_px: Frame pixels added around the shelves' area that is registered (the shelves carry the texture
            a shift shows on; the floor and walls are plain).
        min_response: Phase-correlation peak (0..1) below which a measurement is not trusted and the last shift
            is kept: most of the area hidden by shoppers, or a frame unlike the reference (lights off).
        max_step_px: Largest change of shift between two frames that is believed, frame pixels. A bigger jump is
            a bad measurement (or a camera knocked to a new view, which this does not try to follow).
    """

    scale: float = 0.5
    pad_px: float = 24.0
    min_response: float = 0.05
    max_step_px: float = 12.0


@dataclass(frozen=True)
class CameraShift:
    """Translation of one frame against the reference, frame pixels.

    A point at (x, y) in the reference is at (x + dx, y + dy) in this frame.

    Attributes:
        dx: Horizontal shift, pixels.
        dy: Vertical shift, pixels.
        response: Phase-correlation peak of this frame's measurement, 0..1 (higher is surer).
        trusted: Whether this frame's measurement was used (else ``dx``/``dy`` are the last trusted ones).
    """

    dx: float = 0.0
    dy: float = 0.0
    response: float = 0.0
    trusted: bool = False

    @property
    def magnitude_px(self) -> float:
        """Length of the shift, pixels: the measured drift of the camera since the first frame."""
        return float(np.hypot(self.dx, self.dy))


NO_SHIFT = CameraShift(trusted=True, response=1.0)


def to_reference(tracks: FrameDetections, shift: CameraShift) -> FrameDetections:
    """``tracks`` with boxes and keypoints moved into reference coordinates (the zones' coordinates)."""
    if shift.dx == 0.0 and shift.dy == 0.0:
        return tracks
    delta = np.array([shift.dx, shift.dy], np.float32)
    keypoints = None
    if tracks.keypoints is not None:
        keypoints = tracks.keypoints.copy()
        keypoints[..., :2] -= delta
    return replace(tracks, xyxy=tracks.xyxy - np.tile(delta, 2), keypoints=keypoints)


def _dft_size(length: float) -> int:
    """A fast FFT length (``cv2.getOptimalDFTSize``) that is even: on odd sizes ``cv2.phaseCorrelate`` reports
    the shift one pixel off."""
    size = cv2.getOptimalDFTSize(max(8, round(length)))
    while size % 2:
        size = cv2.getOptimalDFTSize(size + 1)
    return int(size)


def _grey(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), np.float32)


class CameraRegistration:
    """Per-frame translation of one camera against its first frame, over the area ``region`` (frame pixels).

    Call ``update`` once per frame in capture order with the person boxes of that frame (frame coordinates).
    """

    def __init__(self, frame_size: tuple[int, int], region: Box, settings: RegistrationSettings | None = None) -> None:
        self.settings = settings or RegistrationSettings()
        height, width = frame_size
        pad = self.settings.pad_px
        x1, y1 = max(0, int(region[0] - pad)), max(0, int(region[1] - pad))
        x2, y2 = min(width, int(np.ceil(region[2] + pad))), min(height, int(np.ceil(region[3] + pad)))
        self.crop = (x1, y1, max(x2, x1 + 8), max(y2, y1 + 8))
        s = self.settings.scale
        self.size = (_dft_size((self.crop[2] - self.crop[0]) * s), _dft_size((self.crop[3] - self.crop[1]) * s))
        self._window = cv2.createHanningWindow(self.size, cv2.CV_32F)
        self._reference: npt.NDArray[np.float32] | None = None
        self.shift = NO_SHIFT
        self.max_magnitude_px = 0.0

    def _work(self, frame: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        x1, y1, x2, y2 = self.crop
        return np.asarray(cv2.resize(_grey(frame[y1:y2, x1:x2]), self.size, interpolation=cv2.INTER_AREA), np.float32)

    def _person_mask(self, person_boxes: npt.NDArray[np.float32]) -> npt.NDArray[np.bool_]:
        mask = np.zeros((self.size[1], self.size[0]), bool)
        sx = self.size[0] / (self.crop[2] - self.crop[0])
        sy = self.size[1] / (self.crop[3] - self.crop[1])
        for bx1, by1, bx2, by2 in person_boxes.tolist():
            height = by2 - by1
            c1 = max(0, int((bx1 - self.crop[0]) * sx) - 2)
            r1 = max(0, int((by1 - 0.25 * height - self.crop[1]) * sy) - 2)  # raised arms above the box
            c2, r2 = int(np.ceil((bx2 - self.crop[0]) * sx)) + 2, int(np.ceil((by2 - self.crop[1]) * sy)) + 2
            if c2 > 0 and r2 > 0:
                mask[r1:r2, c1:c2] = True
        return mask

    def update(self, frame: npt.NDArray[np.uint8], person_boxes: npt.NDArray[np.float32]) -> CameraShift:
        """The shift of ``frame`` against the first frame; ``person_boxes`` (n, 4) frame pixels are ignored."""
        image = self._work(frame)
        if self._reference is None:
            self._reference = image
            return self.shift
        last = self.shift
        people = self._person_mask(person_boxes)
        if people.mean() > 0.6:
            return self._keep(0.0)
        if people.any():
            # Paint shoppers out with the reference as it looks at the last shift, so they add no motion.
            sx, sy = self.size[0] / (self.crop[2] - self.crop[0]), self.size[1] / (self.crop[3] - self.crop[1])
            moved = np.array([[1, 0, last.dx * sx], [0, 1, last.dy * sy]], np.float32)
            backdrop = cv2.warpAffine(self._reference, moved, self.size, borderMode=cv2.BORDER_REPLICATE)
            image = np.where(people, backdrop, image)
        (wx, wy), response = cv2.phaseCorrelate(self._reference, image, self._window)
        dx = wx * (self.crop[2] - self.crop[0]) / self.size[0]
        dy = wy * (self.crop[3] - self.crop[1]) / self.size[1]
        if response < self.settings.min_response or np.hypot(dx - last.dx, dy - last.dy) > self.settings.max_step_px:
            return self._keep(float(response))
        self.shift = CameraShift(float(dx), float(dy), float(response), True)
        self.max_magnitude_px = max(self.max_magnitude_px, self.shift.magnitude_px)
        return self.shift

    def _keep(self, response: float) -> CameraShift:
        self.shift = CameraShift(self.shift.dx, self.shift.dy, response, False)
        return self.shift
