"""Privacy: nothing leaves memory by default, frames never leave the box, stored frames are blurred."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from shelfsight.edge_config.privacy import PrivacyConfig


def test_defaults_keep_frames_on_the_box() -> None:
    privacy = PrivacyConfig()
    assert privacy.store_frames is False
    assert privacy.send_frames_to_aggregator is False
    assert privacy.blur_faces is True


@pytest.mark.parametrize(
    ("settings", "expected_error"),
    [
        ({"store_frames": True, "blur_faces": False}, None),
        ({"send_frames_to_aggregator": False}, None),
        ({"send_frames_to_aggregator": True}, "frames never leave the box"),
        ({"send_frames_to_aggregator": True, "blur_faces": True}, "frames never leave the box"),
        ({"store_frames": "yes"}, "valid boolean"),
        ({"stored_frames_retention_h": 0}, "greater than 0"),
        ({"stored_frames_retention_h": 24 * 31}, "less than or equal to 720"),
    ],
)
def test_rules(settings: dict[str, Any], expected_error: str | None) -> None:
    if expected_error is None:
        PrivacyConfig.model_validate(settings)
        return
    with pytest.raises(ValidationError, match=expected_error):
        PrivacyConfig.model_validate(settings)
