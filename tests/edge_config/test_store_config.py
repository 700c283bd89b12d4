"""EdgeConfig: cross-item rules (ids, shelf links), frozen objects, lookups."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from shelfsight.edge_config.base import CROSSREF_ERROR
from shelfsight.edge_config.crossref import refs_from_raw, store_findings
from shelfsight.edge_config.store import EdgeConfig

FLOOR = [[0.1, 0.6], [0.4, 0.6], [0.4, 0.9], [0.1, 0.9]]
SECOND_CAMERA = {"id": "cam-2", "source": 1, "zones": []}


@pytest.mark.parametrize(
    ("overlay", "expected_at", "expected_error"),
    [
        ({}, None, None),
        ({"cameras": {1: SECOND_CAMERA}}, None, None),
        (
            {"cameras": {1: {**SECOND_CAMERA, "id": "cam-1"}}},
            ("cameras", 1, "id"),
            "camera id 'cam-1' is already used",
        ),
        (
            {"cameras": {1: {**SECOND_CAMERA, "zones": [{"id": "shelf-1", "kind": "aisle", "polygon": FLOOR}]}}},
            ("cameras", 1, "zones", 0, "id"),
            "zone id 'shelf-1' is already used by cameras[0].zones[0]",
        ),
        (
            {"cameras": {0: {"zones": {1: {"shelf_id": "shelf-2"}}}}},
            ("cameras", 0, "zones", 1, "shelf_id"),
            "shelf_id 'shelf-2' is not a zone of this camera — did you mean 'shelf-1'?",
        ),
        (
            # the shelf exists, but on another camera
            {
                "cameras": {
                    0: {"zones": {1: {"shelf_id": "shelf-9"}}},
                    1: {**SECOND_CAMERA, "zones": [{"id": "shelf-9", "kind": "shelf", "polygon": FLOOR}]},
                }
            },
            ("cameras", 0, "zones", 1, "shelf_id"),
            "shelf_id 'shelf-9' is a shelf of camera 'cam-2'; a standing zone must be drawn on the same",
        ),
    ],
)
def test_cross_item_rules(
    minimal_store_config: Any,
    overlay: dict[Any, Any],
    expected_at: tuple[Any, ...] | None,
    expected_error: str | None,
) -> None:
    data = minimal_store_config(overlay)
    findings = store_findings(refs_from_raw(data))
    if expected_error is None:
        assert findings == []
        EdgeConfig.model_validate(data)
        return
    (finding,) = findings
    assert finding.loc == expected_at
    assert finding.message.startswith(expected_error)
    # The model validators enforce the same rule, so no invalid EdgeConfig can be built in code either.
    with pytest.raises(ValidationError) as info:
        EdgeConfig.model_validate(data)
    (error,) = info.value.errors()
    assert error["type"] == CROSSREF_ERROR
    assert expected_at is not None
    assert (*error["loc"], *error["ctx"]["at"])[-len(expected_at) :] == expected_at


def test_raw_rules_survive_garbage() -> None:
    data: object
    for data in (
        None,
        [],
        {"cameras": "x"},
        {"cameras": [1, None, {"zones": "x"}, {"zones": [3, {"id": 4}]}]},
    ):
        assert store_findings(refs_from_raw(data)) == []


def test_needs_a_camera(minimal_store_config: Any) -> None:
    with pytest.raises(ValidationError, match="at least 1 item"):
        EdgeConfig.model_validate(minimal_store_config({"cameras": []}))


def test_config_is_frozen_all_the_way_down(minimal_store_config: Any) -> None:
    config = EdgeConfig.model_validate(minimal_store_config())
    with pytest.raises(ValidationError, match="frozen"):
        config.store_id = "other"  # type: ignore[misc, unused-ignore]
    with pytest.raises(ValidationError, match="frozen"):
        config.cameras[0].detect_fps = 30  # type: ignore[misc, unused-ignore]
    with pytest.raises(ValidationError, match="frozen"):
        config.dwell.min_dwell_s = 1  # type: ignore[misc, unused-ignore]


def test_lookups(minimal_store_config: Any) -> None:
    config = EdgeConfig.model_validate(minimal_store_config({"cameras": {1: SECOND_CAMERA}}))
    assert [(cam.id, zone.id) for cam, zone in config.iter_zones()] == [
        ("cam-1", "shelf-1"),
        ("cam-1", "floor-1"),
    ]
    assert config.camera("cam-2").source == 1
    assert config.zone("floor-1").shelf_id == "shelf-1"
    with pytest.raises(KeyError, match="cameras: cam-1, cam-2"):
        config.camera("cam-3")


def test_defaults(minimal_store_config: Any) -> None:
    config = EdgeConfig.model_validate(minimal_store_config())
    assert config.version == 1
    assert config.aggregator.endpoint == "tcp://127.0.0.1:5560"
    assert config.privacy.store_frames is False
    assert config.dwell.model_fields_set == set()
