"""Dwell rules: when a shopper's presence in a zone counts as a visit and when the visit ends.

All durations are in seconds of capture time, never frames: a stage that drops frames under load must
not stretch the rules (see STYLE.md "Avoid" 5).
"""

from __future__ import annotations

import logging

from pydantic import Field

from edge_config.base import Seconds, ShelfsightModel

logger = logging.getLogger(__name__)


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
    if overrides is None:
        return defaults
    merged = {**defaults.model_dump(), **overrides.model_dump(exclude_unset=True)}
    return DwellRules.model_validate(merged)
