"""What image data may exist outside the pipeline's memory: by default, none.

Only event metadata leaves the box, and no setting changes that (``send_frames_to_aggregator`` may only be
false). With ``store_frames`` the box keeps an audit frame of each shelf event on its own disk, for
``stored_frames_retention_h`` hours, with people's heads pixelated unless ``blur_faces`` is false
(`shelfsight.pipeline.edge.snapshots`, `shelfsight.vision.privacy`). Shopper ids come from tracking alone; nothing here
enables face recognition or any other biometric, and no setting could.
"""

from __future__ import annotations

import logging
from typing import Annotated, Self

from pydantic import Field, Strict, model_validator

from shelfsight.edge_config.base import ShelfsightModel, StrictBool, rule_error

logger = logging.getLogger(__name__)


class PrivacyConfig(ShelfsightModel):
    """Whether frames or crops are written to disk or sent off the box, and how they are redacted."""

    store_frames: StrictBool = Field(
        default=False,
        title="Store frames",
        description="Keep an audit frame of each shelf event (touch, pick-up, put-back, dwell start) on this box's "
        "own disk, in frames/<camera>/ beside the spool. Off: frames stay in RAM.",
    )
    stored_frames_retention_h: Annotated[float, Strict()] = Field(
        default=24.0,
        gt=0.0,
        le=24.0 * 30,
        title="Stored frame retention",
        description="Hours before stored frames are deleted, at most 30 days (checked every minute). Used only "
        "with store_frames.",
    )
    send_frames_to_aggregator: StrictBool = Field(
        default=False,
        title="Send frames",
        description="Must be false: frames never leave the box, only events do (privacy by design). Kept so "
        "files that say false still load.",
    )
    blur_faces: StrictBool = Field(
        default=True,
        title="Blur faces",
        description="Pixelate people's heads in every frame this box stores (store_frames). Faces are never "
        "used to identify anyone.",
    )

    @model_validator(mode="after")
    def check_no_frames_leave(self) -> Self:
        """Nothing sends frames off the box, and nothing ever will by a setting: the store promises its shoppers
        that only metadata leaves."""
        if self.send_frames_to_aggregator:
            raise rule_error(
                "frames never leave the box: shelfsight sends only events to the aggregator",
                fix="remove `send_frames_to_aggregator`, or set it to false; use store_frames for audit frames",
                at=("send_frames_to_aggregator",),
            )
        return self
