"""What image data may exist outside the pipeline's memory: by default, none.

Only event metadata has to leave the box. Shopper ids come from tracking alone; nothing here enables
face recognition or any other biometric, and no setting could.
"""

from __future__ import annotations

import logging
from typing import Annotated, Self

from pydantic import Field, Strict, model_validator

from edge_config.base import ShelfsightModel, StrictBool, rule_error

logger = logging.getLogger(__name__)


class PrivacyConfig(ShelfsightModel):
    """Whether frames or crops are written to disk or sent off the box, and how they are redacted."""

    store_frames: StrictBool = Field(
        default=False,
        title="Store frames",
        description="Write frames or crops to this box's disk (debugging, audits). Off: frames stay in RAM.",
    )
    stored_frames_retention_h: Annotated[float, Strict()] = Field(
        default=24.0,
        gt=0.0,
        le=24.0 * 30,
        title="Stored frame retention",
        description="Hours before stored frames are deleted, at most 30 days. Used only with store_frames.",
    )
    send_frames_to_aggregator: StrictBool = Field(
        default=False,
        title="Send frames",
        description="Send frames or crops to the aggregator (e.g. thumbnails). Off: only events leave.",
    )
    blur_faces: StrictBool = Field(
        default=True,
        title="Blur faces",
        description="Blur faces in every frame or crop stored or sent. Faces are never used to identify.",
    )

    @model_validator(mode="after")
    def check_sent_frames_are_blurred(self) -> Self:
        """Frames that leave the box must be redacted: the store promises shoppers no faces leave it."""
        if self.send_frames_to_aggregator and not self.blur_faces:
            raise rule_error(
                "send_frames_to_aggregator needs blur_faces: true, so no face leaves the box",
                fix="set `blur_faces: true`, or `send_frames_to_aggregator: false`",
                at=("blur_faces",),
            )
        return self
