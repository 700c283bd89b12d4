"""Cameras: where frames come from, how often they are detected on, and the zones drawn on them."""

from __future__ import annotations

import logging
import re
from enum import StrEnum
from typing import Annotated, Final, Self
from urllib.parse import urlsplit

from pydantic import Field, Strict, computed_field, field_validator, model_validator

from shelfsight.edge_config.base import Identifier, ShelfsightModel, rule_error
from shelfsight.edge_config.crossref import crossref_error, dangling_shelf_links, ref_from_camera
from shelfsight.edge_config.detector import DetectorConfig
from shelfsight.edge_config.model_ref import model_ref_error
from shelfsight.edge_config.pose import PoseConfig
from shelfsight.edge_config.shelf_events import ShelfEventsConfig
from shelfsight.edge_config.tracker import TrackerConfig
from shelfsight.edge_config.zone import ZoneConfig, ZoneKind

logger = logging.getLogger(__name__)

DEFAULT_MODEL: Final = "yolox_nano_416"
"""The manifest name of the default detector: about 15 ms a frame on one CPU thread."""

MAX_DETECT_FPS: Final = 60.0
"""More than a camera delivers; shelf events need about 5 (Frigate recommends 5 per camera too)."""

SYNTHETIC_PREFIX: Final = "synthetic:"
_SCENARIO = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_STREAM_SCHEMES: Final = {"rtsp": "rtsp", "rtsps": "rtsp", "http": "http", "https": "http"}

SOURCE_FORMS: Final = "a file path, an rtsp(s):// or http(s):// URL, a USB index or synthetic:<scenario>"


class SourceKind(StrEnum):
    """How a camera's ``source`` is opened; derived from its form, never configured separately."""

    FILE = "file"
    RTSP = "rtsp"
    HTTP = "http"
    USB = "usb"
    SYNTHETIC = "synthetic"


def source_kind_of(source: str | int) -> SourceKind:
    """Classify a source that has passed `CameraConfig` validation.

    Args:
        source: A USB index (int), a ``scheme://`` URL, ``synthetic:<scenario>`` or a file path.

    Returns:
        The kind; any string that is not a URL or synthetic is a file path.
    """
    if isinstance(source, int):
        return SourceKind.USB
    if source.startswith(SYNTHETIC_PREFIX):
        return SourceKind.SYNTHETIC
    scheme = urlsplit(source).scheme.lower() if "://" in source else ""
    return SourceKind(_STREAM_SCHEMES[scheme]) if scheme else SourceKind.FILE


def _source_problem(source: object) -> tuple[str, str] | None:
    """Why a raw ``source`` value is unusable, as (message, fix), or None when it is fine."""
    if isinstance(source, bool) or not isinstance(source, str | int):
        shown = str(source).lower() if isinstance(source, bool) else type(source).__name__
        return f"must be {SOURCE_FORMS}, got {shown}", "e.g. `source: rtsp://10.0.0.5/stream1`"
    if isinstance(source, int):
        if source < 0:
            return f"a USB camera index must be >= 0, got {source}", "use 0 for the first USB camera"
        return None
    if not source.strip():
        return f"must be {SOURCE_FORMS}, got an empty string", "name the video file, stream URL or camera"
    if source.isdigit():
        return (
            f"{source!r} is a quoted number: a USB camera index or a file called {source!r}?",
            f"write `source: {source}` without quotes for a USB camera, or `./{source}` for a file",
        )
    if source.startswith(SYNTHETIC_PREFIX):
        scenario = source.removeprefix(SYNTHETIC_PREFIX)
        if not _SCENARIO.match(scenario):
            return (
                f"synthetic:<scenario> needs lowercase letters, digits, '_' or '-', got {scenario!r}",
                "e.g. `source: synthetic:busy_hour`",
            )
        return None
    if "://" in source:
        parts = urlsplit(source)
        if parts.scheme.lower() not in _STREAM_SCHEMES:
            return (
                f"unsupported stream scheme {parts.scheme!r}; use rtsp://, rtsps://, http:// or https://",
                "give a file path without a scheme, or the camera's RTSP or HTTP URL",
            )
        if not parts.hostname:
            return f"stream URL {source!r} has no host", "e.g. `rtsp://10.0.0.5:554/stream1`"
    return None


class CameraConfig(ShelfsightModel):
    """One camera of the edge box and the zones drawn on its image."""

    id: Identifier = Field(title="Camera id", description="Unique on this box; appears in every event.")
    source: str | int = Field(
        title="Source",
        description=(
            "Where frames come from: a video file path (looped for demos), an rtsp:// / rtsps:// or "
            "http(s):// stream URL, a USB camera index (0, 1, ...), or synthetic:<scenario> for the "
            "built-in synthetic store renderer."
        ),
    )
    detect_fps: Annotated[float, Strict()] = Field(
        default=5.0,
        gt=0.0,
        le=MAX_DETECT_FPS,
        title="Detection rate",
        description=(
            "Frames per second passed to the detector; the capture stage drops the rest. Higher tracks "
            "fast reaches better but costs CPU per camera; lower makes tracks jump and IDs switch."
        ),
    )
    model: str = Field(
        default=DEFAULT_MODEL,
        min_length=1,
        title="Detector model",
        description=(
            "A model name from the models manifest (`shelfsight models list`) or a path to an .onnx file; "
            "a relative path is relative to this config file's folder."
        ),
    )
    detector: DetectorConfig = Field(
        default_factory=DetectorConfig,
        title="Detector settings",
        description="Confidence and NMS thresholds and the classes kept.",
    )
    tracker: TrackerConfig | None = Field(
        default=None,
        title="Tracker overrides",
        description=(
            "Overrides of the store-wide tracker settings for this camera; only the keys given here replace them."
        ),
    )
    shelf_events: ShelfEventsConfig | None = Field(
        default=None,
        title="Shelf event overrides",
        description=(
            "Overrides of the store-wide shelf event settings for this camera; only the keys given here (in each "
            "sub-section) replace them."
        ),
    )
    zones: list[ZoneConfig] = Field(
        default_factory=list,
        title="Zones",
        description="Zones on this camera's image; ids unique in the whole store.",
    )
    pose: PoseConfig | None = Field(
        default=None,
        title="Pose model",
        description=(
            "A top-down pose model (BlazePose) run on the shoppers at this camera's shelves, for real wrists in "
            "reach detection. Omit it for no pose model: reaches then come from the arm seen beside a shopper's "
            "box, or from the keypoints of a pose detector named in `model`."
        ),
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def source_kind(self) -> SourceKind:
        """How the source is opened (file, rtsp, http, usb or synthetic), derived from ``source``."""
        return source_kind_of(self.source)

    @field_validator("source", mode="before")
    @classmethod
    def check_source(cls, source: object) -> object:
        """Accept only the source forms capture can open, with a message naming them all."""
        problem = _source_problem(source)
        if problem is not None:
            raise rule_error(problem[0], fix=problem[1])
        return source

    @field_validator("model")
    @classmethod
    def check_model(cls, model: str) -> str:
        """A path must point at an .onnx file; whether the file exists is `shelfsight.edge_config.checks`' business."""
        error = model_ref_error(model, example=DEFAULT_MODEL)
        if error is not None:
            raise error
        return model

    @model_validator(mode="after")
    def check_pose_has_a_shelf(self) -> Self:
        """A pose model runs only on shoppers at shelf zones: without one it would be loaded and never used."""
        if self.pose is not None and not any(zone.kind is ZoneKind.SHELF for zone in self.zones):
            raise rule_error(
                f"camera {self.id!r} has a pose model but no shelf zone; the pose model runs only on shoppers at "
                "shelves",
                fix="draw the camera's shelf zones (`kind: shelf`), or remove its `pose:` section",
                at=("pose",),
            )
        return self

    @model_validator(mode="after")
    def check_standing_zones_name_a_shelf(self) -> Self:
        """Every standing zone's ``shelf_id`` names a shelf zone of this camera."""
        findings = dangling_shelf_links(ref_from_camera(self, ()))
        if findings:
            raise crossref_error(findings)
        return self
