"""Dwell rules: bounds in seconds, and the merge of store-wide defaults with per-zone overrides."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from shelfsight.edge_config.events import DwellRules, ZoneAnchor, merge_dwell_rules
from shelfsight.edge_config.store import EdgeConfig

STORE = DwellRules(min_dwell_s=10, entry_debounce_s=2, exit_grace_s=3)


HYSTERESIS = {"anchor": ZoneAnchor.BOTTOM_CENTRE, "border_margin_px": 8.0}  # the built-in defaults


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (None, {"min_dwell_s": 10, "entry_debounce_s": 2, "exit_grace_s": 3, "hidden_grace_s": 6.0} | HYSTERESIS),
        ({}, {"min_dwell_s": 10, "entry_debounce_s": 2, "exit_grace_s": 3, "hidden_grace_s": 6.0} | HYSTERESIS),
        (
            {"exit_grace_s": 4, "hidden_grace_s": 6.0},
            {"min_dwell_s": 10, "entry_debounce_s": 2, "exit_grace_s": 4, "hidden_grace_s": 6.0} | HYSTERESIS,
        ),
        # explicitly set to the built-in default: still an override of the store's 10 s
        (
            {"min_dwell_s": 5},
            {"min_dwell_s": 5, "entry_debounce_s": 2, "exit_grace_s": 3, "hidden_grace_s": 6.0} | HYSTERESIS,
        ),
        (
            {"min_dwell_s": 0, "entry_debounce_s": 0, "exit_grace_s": 0, "hidden_grace_s": 6.0},
            {"min_dwell_s": 0, "entry_debounce_s": 0, "exit_grace_s": 0, "hidden_grace_s": 6.0} | HYSTERESIS,
        ),
        (
            {"anchor": "centre", "border_margin_px": 20.0},
            {"min_dwell_s": 10, "entry_debounce_s": 2, "exit_grace_s": 3, "hidden_grace_s": 6.0}
            | {"anchor": ZoneAnchor.CENTRE, "border_margin_px": 20.0},
        ),
    ],
)
def test_merge_overrides_only_keys_the_user_set(overrides: dict[str, Any] | None, expected: dict[str, Any]) -> None:
    zone_rules = None if overrides is None else DwellRules.model_validate(overrides)
    assert merge_dwell_rules(STORE, zone_rules).model_dump() == expected


def test_merge_is_pure() -> None:
    overrides = DwellRules(exit_grace_s=9)
    merge_dwell_rules(STORE, overrides)
    assert STORE.exit_grace_s == 3
    assert overrides.model_fields_set == {"exit_grace_s"}


@pytest.mark.parametrize(
    ("rules", "expected_type"),
    [
        ({"min_dwell_s": -2}, "greater_than_equal"),
        ({"exit_grace_s": 5000}, "less_than_equal"),  # milliseconds typed as seconds
        ({"entry_debounce_s": "1"}, "float_type"),
        ({"entry_debounce_s": True}, "float_type"),
        ({"min_dwell": 5}, "extra_forbidden"),
        ({"anchor": "bottom_center"}, "enum"),
        ({"border_margin_px": -1.0}, "greater_than_equal"),
        ({"border_margin_px": 500.0}, "less_than_equal"),
    ],
)
def test_rules_are_bounded(rules: dict[str, Any], expected_type: str) -> None:
    with pytest.raises(ValidationError) as info:
        DwellRules.model_validate(rules)
    assert info.value.errors()[0]["type"] == expected_type


def test_store_applies_zone_overrides(minimal_store_config: Any) -> None:
    config = EdgeConfig.model_validate(
        minimal_store_config(
            {"dwell": {"min_dwell_s": 8}, "cameras": {0: {"zones": {1: {"dwell": {"exit_grace_s": 0.5}}}}}}
        )
    )
    assert config.dwell_rules_for("shelf-1") == DwellRules(min_dwell_s=8, entry_debounce_s=1, exit_grace_s=2)
    assert config.dwell_rules_for("floor-1") == DwellRules(min_dwell_s=8, entry_debounce_s=1, exit_grace_s=0.5)
    with pytest.raises(KeyError, match="no zone 'nowhere'"):
        config.dwell_rules_for("nowhere")
