"""Dwell rules: when a shopper's presence in a zone counts as a visit and when the visit ends.

All durations are in seconds of capture time, never frames: a stage that drops frames under load must
not stretch the rules (see STYLE.md "Avoid" 5). Which part of a shopper's box decides whether they are in
the zone (``anchor``) and the border hysteresis (``border_margin_px``) are rules of the same kind, so they are
set, and overridden per zone, the same way.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Annotated

from pydantic import Field, Strict

from shelfsight.edge_config.base import Seconds, ShelfsightModel, merge_overrides

logger = logging.getLogger(__name__)

MAX_BORDER_MARGIN_PX = 200.0
"""More than any box jitter; a larger margin would keep shoppers in a zone they have walked well out of."""


class ZoneAnchor(StrEnum):
    """Which part of a shopper's box decides whether they are in a floor zone (``shelfsight.vision.zones.Anchor``)."""

    BOTTOM_CENTRE = "bottom_centre"
    """The feet: right for a camera that sees the floor at an angle (eye level, oblique)."""
    CENTRE = "centre"
    """The box centre: for a camera looking straight down, where the box is the shopper seen from above."""
    BOX_OVERLAP = "box_overlap"
    """More than half of the box inside: zones drawn around whole shoppers, or feet hidden by a counter."""


class DwellRules(ShelfsightModel):
    """Hysteresis and minimum length of a zone visit.

    Set store-wide under ``dwell:`` and override any subset per zone under the zone's ``dwell:``; the
    effective rules of a zone come from `merge_dwell_rules` (via `EdgeConfig.dwell_rules_for`).
    """

    min_dwell_s: Seconds = Field(
        default=5.0,
        title="Minimum dwell",
        description=(
            "A visit shorter than this (seconds) is a pass-by, not a dwell. Retail analytics commonly use "
            "5 s or 30 s. Higher keeps only deliberate stops; lower counts glances."
        ),
    )
    entry_debounce_s: Seconds = Field(
        default=1.0,
        title="Entry debounce",
        description=(
            "A shopper must stay in the zone this long (seconds) before a visit starts, so walking past "
            "the zone's edge does not open one. Higher delays live 'dwelling now' views; lower lets track "
            "jitter at the edge open and close visits."
        ),
    )
    exit_grace_s: Seconds = Field(
        default=2.0,
        title="Exit grace",
        description=(
            "A shopper may be unseen or outside the zone this long (seconds) without ending the visit, so "
            "a brief occlusion does not split one visit in two. Higher merges two real visits and inflates "
            "dwell time; lower splits visits when another shopper walks in front."
        ),
    )
    hidden_grace_s: Seconds = Field(
        default=6.0,
        title="Hidden grace",
        description=(
            "How long (seconds) a visit stays open while its shopper is not seen at all, e.g. standing behind "
            "another shopper (the tracker keeps a hidden shopper's id for seconds). A shopper seen outside the "
            "zone ends the visit after the exit grace instead. Higher only delays the dwell event of a shopper "
            "who vanished (its end time is still the last time seen inside); lower splits the visits of "
            "shoppers hidden for longer than the exit grace. The larger of the two graces applies."
        ),
    )

    anchor: ZoneAnchor = Field(
        default=ZoneAnchor.BOTTOM_CENTRE,
        title="Anchor",
        description=(
            "Which part of a shopper's box decides whether they are in the zone: bottom_centre (the feet; for "
            "cameras that see the floor at an angle, eye level or oblique), centre (the box centre; for a camera "
            "looking straight down, where a shopper's box is their outline from above and the feet are not at "
            "its bottom) or box_overlap (more than half of the box inside; for zones drawn around whole "
            "shoppers, or where a counter or trolley hides the feet). Floor zones only: reaches into a shelf use "
            "the shelf's outline."
        ),
    )
    border_margin_px: Annotated[float, Strict()] = Field(
        default=8.0,
        ge=0.0,
        le=MAX_BORDER_MARGIN_PX,
        title="Border margin",
        description=(
            "How far (pixels) outside the zone's outline the anchor of a shopper already inside may go and still "
            "count as inside, so a shopper standing on the line does not flip in and out. Once further out, they "
            "count as inside again only when the anchor is back inside the outline. With box_overlap, pixels of "
            "box height past half the box being inside. Higher tolerates more box jitter and keeps a shopper who "
            "walks off along the zone's edge in it longer; lower splits the visits of shoppers on the line."
        ),
    )


def merge_dwell_rules(defaults: DwellRules, overrides: DwellRules | None) -> DwellRules:
    """Apply a zone's overrides on top of the store-wide rules.

    Only keys the user actually wrote in the zone's ``dwell:`` override (pydantic's ``model_fields_set``):
    a zone that sets ``exit_grace_s`` alone keeps the store's ``min_dwell_s``, not the built-in default
    that its own `DwellRules` object also carries.

    Args:
        defaults: The store-wide rules (``EdgeConfig.dwell``).
        overrides: The zone's ``dwell`` section, or None when it has none.

    Returns:
        The effective rules for the zone; a new, validated object.
    """
    return merge_overrides(defaults, overrides)
