"""A camera's pose model: real wrists for reach detection, estimated only for shoppers at its shelves.

Omit a camera's ``pose:`` section for no pose model: reaches are then read from the arm seen beside a shopper's
box (or from the keypoints of a pose detector named in ``model:``). With the section, a top-down landmark model
(BlazePose) runs on a crop around each shopper whose box touches a shelf zone, at most
``max_people_per_frame`` a frame, so its cost grows with shoppers at shelves, not with cameras.
"""

from __future__ import annotations

import logging
from typing import Annotated, Final

from pydantic import Field, Strict, field_validator

from shelfsight.edge_config.base import Fraction, ShelfsightModel
from shelfsight.edge_config.model_ref import model_ref_error

logger = logging.getLogger(__name__)

DEFAULT_POSE_MODEL: Final = "blazepose_landmark_full"
"""BlazePose full: about 10 ms per person on one CPU thread; lite about 6 ms, and finds raised wrists less often."""

MAX_PEOPLE_PER_FRAME: Final = 32


class PoseConfig(ShelfsightModel):
    """The top-down pose model of one camera and who it runs on."""

    model: str = Field(
        default=DEFAULT_POSE_MODEL,
        min_length=1,
        title="Pose model",
        description=(
            "A BlazePose landmark model: a manifest name (blazepose_landmark_full or blazepose_landmark_lite, see "
            "`shelfsight models list`) or a path to its .onnx file, relative to this config file's folder."
        ),
    )
    crop_grow_up: Fraction = Field(
        default=0.15,
        title="Crop room above the box",
        description=(
            "Box heights (0..1) added above a shopper's box before the square crop is taken: person boxes leave "
            "out a raised arm. Higher keeps a hand reaching high in the crop; lower gives the body more pixels."
        ),
    )
    crop_scale: Annotated[float, Strict()] = Field(
        default=1.5,
        ge=1.0,
        le=3.0,
        title="Crop size",
        description=(
            "Side of the square crop as a multiple (1..3) of the grown box's larger side. Higher shows a stretched "
            "arm beside the box; lower gives the person more of the model's 256 pixels."
        ),
    )
    reach_up: Annotated[float, Strict()] = Field(
        default=0.3,
        ge=0.0,
        le=1.0,
        title="Reach above the box",
        description=(
            "Box heights (0..1) an arm raised over the head reaches above the box: a shopper is estimated when the "
            "box grown by this touches a shelf zone. Higher poses shoppers further below a high shelf (more cost); "
            "lower misses reaches into it."
        ),
    )
    require_standing: Annotated[bool, Strict()] = Field(
        default=True,
        title="Only shoppers standing at the shelf",
        description=(
            "Estimate only shoppers whose feet are in (or near) the shelf's standing zone, where it has one (shelf "
            "events count reaches only of those). Off also poses people walking past in front of the shelf."
        ),
    )
    standing_margin: Fraction = Field(
        default=0.1,
        title="Standing zone margin",
        description="How far (box heights, 0..1) outside the standing zone a shopper's feet may be and still count.",
    )
    max_people_per_frame: Annotated[int, Strict()] = Field(
        default=4,
        ge=1,
        le=MAX_PEOPLE_PER_FRAME,
        title="Most people per frame",
        description=(
            f"Most shoppers estimated per frame (1..{MAX_PEOPLE_PER_FRAME}), nearest the camera first: bounds the "
            "cost of a crowded frame. The others get keypoints of score 0 on that frame."
        ),
    )

    @field_validator("model")
    @classmethod
    def check_model(cls, model: str) -> str:
        """A path must point at an .onnx file; whether it exists and is a landmark model is checked per machine."""
        error = model_ref_error(model, example=DEFAULT_POSE_MODEL)
        if error is not None:
            raise error
        return model
