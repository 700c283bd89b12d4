"""Zones: named outlines on a camera's image where presence, dwell and reaches are measured."""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import Field, Strict, field_validator, model_validator

from shelfsight.edge_config.base import Identifier, ShelfsightModel, rule_error
from shelfsight.edge_config.events import DwellRules
from shelfsight.edge_config.polygon import MIN_POINTS, Point, polygon_defect

logger = logging.getLogger(__name__)


class ZoneKind(StrEnum):
    """What a zone is in the store; decides which events it produces."""

    SHELF = "shelf"
    """The shelf unit itself: reaches into it become touch / pick-up / put-back events."""
    AISLE = "aisle"
    """Floor of an aisle: dwell and pass-by counts."""
    ENTRANCE = "entrance"
    """Store entrance: footfall and the start of a shopper's journey."""
    CHECKOUT = "checkout"
    """Till area: queue dwell and the end of a journey."""
    STANDING = "standing"
    """Floor in front of one shelf (named by ``shelf_id``): dwell here is dwell at that shelf."""


Coordinate = Annotated[float, Strict()]

MAX_NAME_LENGTH = 80
"""Longest display name: it must fit a table cell and a chart axis label."""

ZoneName = Annotated[str, Strict(), Field(min_length=1, max_length=MAX_NAME_LENGTH)]
"""A zone's display name: any script, 1-80 characters, not only spaces, no control characters (tabs, newlines)."""


def _polygon_schema(schema: dict[str, Any]) -> None:
    """Document in the JSON Schema the rules `ZoneConfig.check_polygon` enforces with better messages."""
    schema["minItems"] = MIN_POINTS
    for item in schema["items"]["prefixItems"]:
        item.update(minimum=0.0, maximum=1.0)


class ZoneConfig(ShelfsightModel):
    """One zone of one camera.

    Coordinates are normalised: x is a fraction of the image width and y of its height, (0, 0) the
    top-left corner. The same config therefore works for any stream resolution, and `vision/` converts
    the outline to pixels once it knows the frame size.
    """

    id: Identifier = Field(
        title="Zone id",
        description="Unique in the whole store: events, dashboards and exports are keyed by it.",
    )
    kind: ZoneKind = Field(title="Kind", description="shelf, aisle, entrance, checkout or standing.")
    # Range and shape are checked by check_polygon rather than by per-coordinate bounds, so that one
    # readable message names the offending point instead of one terse error per coordinate.
    polygon: list[tuple[Coordinate, Coordinate]] = Field(
        title="Outline",
        description=(
            "At least 3 [x, y] points in order around the zone, each coordinate within [0, 1] "
            "(fractions of image width and height, origin top-left)."
        ),
        json_schema_extra=_polygon_schema,
    )
    name: ZoneName | None = Field(
        default=None,
        title="Display name",
        description=(
            "What the dashboard shows instead of the id (e.g. 'Breakfast cereals, bay 3'); 1-80 characters. "
            "Ids stay in URLs, feeds and exports."
        ),
    )
    shelf_id: Identifier | None = Field(
        default=None,
        title="Shelf",
        description=("Standing zones only: id of the shelf zone (on the same camera) this floor area is in front of."),
    )
    dwell: DwellRules | None = Field(
        default=None,
        title="Dwell overrides",
        description="Overrides of the store-wide dwell rules; only the keys given here replace them.",
    )

    @field_validator("name")
    @classmethod
    def check_name(cls, name: str | None) -> str | None:
        """A name is shown in tables and charts: it must have a visible character and no control characters."""
        if name is None:
            return None
        if not name.strip():
            raise rule_error("name is only spaces", fix="write a name people will recognise, or remove `name:`")
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
            raise rule_error(
                f"name {name!r} holds a control character (a tab or a line break)",
                fix="write the name on one line without tabs",
            )
        return name

    @field_validator("polygon")
    @classmethod
    def check_polygon(cls, polygon: list[Point]) -> list[Point]:
        """Reject outlines that cannot be a zone: too few points, off-image points, no area, bow-ties."""
        defect = polygon_defect(polygon)
        if defect is not None:
            at = () if defect.at is None else (defect.at,)
            raise rule_error(defect.message, fix=defect.fix, at=at)
        return polygon

    @model_validator(mode="after")
    def check_shelf_link(self) -> Self:
        """A standing zone must name its shelf; other kinds must not (their events have no shelf)."""
        if self.kind is ZoneKind.STANDING and self.shelf_id is None:
            raise rule_error(
                f"standing zone {self.id!r} needs a shelf_id naming the shelf zone it is in front of",
                fix="add `shelf_id: <id of a shelf zone on this camera>`",
                at=("shelf_id",),
            )
        if self.kind is not ZoneKind.STANDING and self.shelf_id is not None:
            raise rule_error(
                f"only standing zones name a shelf, but this zone is of kind {self.kind.value!r}",
                fix="remove shelf_id, or set `kind: standing` if this is the floor in front of a shelf",
                at=("shelf_id",),
            )
        return self
