"""The picture behind ``shelfsight zones preview``: a camera's shopper-free view with its zones drawn on it.

With no edge running, the picture is built the way the edge builds it (`shelfsight.pipeline.edge.zone_pictures`): the
camera's own source is read for a few seconds, every frame at the camera's ``detect_fps`` goes through its
detector, and `shelfsight.vision.shopper_free.ShopperFreePicture` learns only the pixels no person box covers or
borders. Nothing leaves this machine.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from shelfsight.edge_config.camera import CameraConfig, SourceKind
from shelfsight.edge_config.store import EdgeConfig
from shelfsight.pipeline.assembly import build_detector, detector_key
from shelfsight.pipeline.sources import open_source, resample
from shelfsight.vision.draw import draw_zones
from shelfsight.vision.shopper_free import ShopperFreePicture
from shelfsight.vision.video import SourceError

logger = logging.getLogger(__name__)

DEFAULT_SECONDS = 5.0


@dataclass(frozen=True)
class ZonePreview:
    """A drawn preview.

    Attributes:
        image: (H, W, 3) BGR picture with the camera's zones drawn on it.
        known: Share 0..1 of the picture seen free of people (the rest is a grey checkerboard).
        frames: Frames read and detected.
    """

    image: npt.NDArray[np.uint8]
    known: float
    frames: int


def zone_preview(
    config: EdgeConfig, camera: CameraConfig, *, config_dir: Path, models_dir: Path | None, seconds: float
) -> ZonePreview:
    """Read ``seconds`` of ``camera``'s source (stream time) through its detector and draw its zones on the
    shopper-free picture.

    Raises:
        SourceError: When the source cannot be opened or gives no frame.
        ModelNotFoundError, UnsupportedModelError: When the detector model cannot be loaded.
    """
    key = detector_key(camera, config.tracker_for(camera.id), config_dir=config_dir, models_dir=models_dir)
    detector = build_detector(key)
    # Files and synthetic scenes are read from their start as fast as they decode; a live stream as it comes.
    replay = camera.source_kind in (SourceKind.FILE, SourceKind.SYNTHETIC)
    opened = open_source(camera, config_dir=config_dir, replay=replay)
    picture: ShopperFreePicture | None = None
    frames = 0
    try:
        for item in resample(opened.frames, camera.detect_fps):
            if frames and item.position_s > seconds:
                break
            image = item.frame.image
            detections = detector.detect([image])[0]
            if picture is None:
                picture = ShopperFreePicture((image.shape[0], image.shape[1]))
            picture.update(image, detections.xyxy, item.position_s)
            frames += 1
    finally:
        close = getattr(opened.frames, "close", None)
        if close is not None:
            close()  # a live stream's capture is released now, not when collected
    learned = picture.picture() if picture is not None else None
    if learned is None:
        raise SourceError(f"camera {camera.id}: {camera.source} gave no frame")
    zones = [(zone.id, zone.kind.value, zone.polygon) for zone in camera.zones]
    return ZonePreview(draw_zones(learned.image, zones), learned.known, frames)
