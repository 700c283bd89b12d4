"""ZoneConfig: polygon rules with readable messages, and the standing-zone/shelf link."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from shelfsight.edge_config.base import RULE_ERROR
from shelfsight.edge_config.polygon import first_crossing, polygon_defect, signed_area
from shelfsight.edge_config.zone import ZoneConfig, ZoneKind

SQUARE = [(0.1, 0.1), (0.4, 0.1), (0.4, 0.4), (0.1, 0.4)]


@pytest.mark.parametrize(
    ("polygon", "expected_at", "expected_error"),
    [
        (SQUARE, None, None),
        ([(0.0, 0.0), (1.0, 0.0), (0.5, 1.0)], None, None),  # a triangle touching the image border
        ([(0.1, 0.1), (0.5, 0.1)], None, "polygon needs >= 3 points, got 2"),
        ([], None, "polygon needs >= 3 points, got 0"),
        ([(0.1, 0.1), (1.4, 0.1), (0.5, 0.5)], 1, "point 1 is [1.4, 0.1]"),
        ([(0.1, -0.2), (0.5, 0.1), (0.5, 0.5)], 0, "x and y must be within [0, 1]"),
        ([(0.1, 0.1), (640.0, 0.1), (640.0, 480.0)], 1, "(also point(s) 2)"),
        ([(0.1, 0.1), (float("nan"), 0.1), (0.5, 0.5)], 1, "must be within [0, 1]"),
        ([(0.1, 0.1), (0.2, 0.2), (0.3, 0.3)], None, "encloses no area"),
        ([(0.1, 0.1), (0.1, 0.1), (0.1, 0.1), (0.1, 0.1)], None, "encloses no area"),
        ([(0.1, 0.1), (0.4, 0.4), (0.4, 0.1), (0.1, 0.4)], None, "edges 0->1 and 2->3 cross"),
    ],
)
def test_polygon_rules(polygon: list[tuple[float, float]], expected_at: int | None, expected_error: str | None) -> None:
    defect = polygon_defect(polygon)
    if expected_error is None:
        assert defect is None
        ZoneConfig(id="z", kind=ZoneKind.SHELF, polygon=polygon)
        return
    assert defect is not None
    assert expected_error in defect.message
    assert defect.at == expected_at
    with pytest.raises(ValidationError) as info:
        ZoneConfig(id="z", kind=ZoneKind.SHELF, polygon=polygon)
    (error,) = info.value.errors()
    assert error["type"] == RULE_ERROR
    assert error["loc"] == ("polygon",)
    assert error["ctx"]["at"] == (() if expected_at is None else (expected_at,))


def test_signed_area_sign_follows_orientation() -> None:
    assert signed_area(SQUARE) == pytest.approx(0.09)
    assert signed_area(list(reversed(SQUARE))) == pytest.approx(-0.09)


def test_first_crossing_ignores_edges_that_share_a_point() -> None:
    assert first_crossing(SQUARE) is None
    # a concave "L" shape: no edges cross although it is not convex
    assert first_crossing([(0, 0), (0.4, 0), (0.4, 0.2), (0.2, 0.2), (0.2, 0.4), (0, 0.4)]) is None


@pytest.mark.parametrize(
    ("zone", "expected_error"),
    [
        ({"kind": "standing", "shelf_id": "shelf-1"}, None),
        ({"kind": "shelf"}, None),
        ({"kind": "standing"}, "needs a shelf_id"),
        ({"kind": "aisle", "shelf_id": "shelf-1"}, "only standing zones name a shelf"),
        ({"kind": "shelf", "shelf_id": "shelf-1"}, "only standing zones name a shelf"),
    ],
)
def test_shelf_link(zone: dict[str, Any], expected_error: str | None) -> None:
    data = {"id": "z", "polygon": SQUARE, **zone}
    if expected_error is None:
        assert ZoneConfig.model_validate(data).kind == zone["kind"]
        return
    with pytest.raises(ValidationError, match=expected_error) as info:
        ZoneConfig.model_validate(data)
    assert info.value.errors()[0]["ctx"]["at"] == ("shelf_id",)


@pytest.mark.parametrize(
    ("field", "value", "expected_type"),
    [
        ("kind", "shelve", "enum"),
        ("id", "zone one", "string_pattern_mismatch"),
        ("id", 7, "string_type"),
        ("polygon", "0.1,0.1 0.4,0.1 0.4,0.4", "list_type"),
        ("polygon", [["0.1", "0.1"], [0.4, 0.1], [0.4, 0.4]], "float_type"),
    ],
)
def test_field_types_are_strict(field: str, value: object, expected_type: str) -> None:
    data: dict[str, Any] = {"id": "z", "kind": "shelf", "polygon": SQUARE, field: value}
    with pytest.raises(ValidationError) as info:
        ZoneConfig.model_validate(data)
    assert info.value.errors()[0]["type"] == expected_type


def test_zone_is_frozen() -> None:
    zone = ZoneConfig(id="z", kind=ZoneKind.SHELF, polygon=SQUARE)
    with pytest.raises(ValidationError, match="frozen"):
        zone.id = "other"  # type: ignore[misc, unused-ignore]
