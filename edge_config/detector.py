"""How a camera's frames are turned into person detections: thresholds and classes of the detector."""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from pydantic import Field, Strict

from shelfsight.edge_config.base import Fraction, ShelfsightModel

logger = logging.getLogger(__name__)

PERSON_CLASS_ID = 0
"""COCO class 0, ``person``: the only class shelf analytics need from a COCO-trained detector."""

ClassId = Annotated[int, Strict(), Field(ge=0)]


class DetectorConfig(ShelfsightModel):
    """Post-processing settings of one camera's detector.

    The model itself is chosen by ``CameraConfig.model``. ``type`` is the discriminator for detector
    runtimes: today only ONNX Runtime; a second runtime adds its own subclass with its own ``type`` and
    the camera field becomes a discriminated union.
    """

    type: Literal["onnx"] = Field(
        default="onnx",
        title="Runtime",
        description="Inference runtime. Only 'onnx' (ONNX Runtime, CPU or GPU provider) exists today.",
    )
    conf_threshold: Fraction = Field(
        default=0.3,
        title="Confidence threshold",
        description=(
            "A detection scoring at least this (0..1) is confident: the tracker matches it to tracks first "
            "(tracker.high_confidence_threshold follows it unless set). Weaker boxes, down to "
            "tracker.low_confidence_threshold, only keep the tracks of half-hidden shoppers alive. Lower matches "
            "more occluded shoppers and lets false boxes take over tracks; higher leaves more to the weak stage."
        ),
    )
    nms_iou_threshold: Fraction = Field(
        default=0.45,
        title="NMS IoU threshold",
        description=(
            "Boxes overlapping a better one by more than this IoU (0..1) are suppressed. Lower merges "
            "shoppers standing close together; higher keeps duplicate boxes on one person."
        ),
    )
    class_ids: list[ClassId] = Field(
        default_factory=lambda: [PERSON_CLASS_ID],
        min_length=1,
        title="Classes",
        description="Class ids of the model's label set to keep; the default [0] is COCO 'person'.",
    )
