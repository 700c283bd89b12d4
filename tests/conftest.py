"""Shared fixtures. Models and footage come from the project's settings; when they are missing the tests
fail (never skip), because CI must not pass without the real parts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shelfsight.models.registry import MODELS_DIR_ENV, models_folder

FOOTAGE_DIR_ENV = "SHELFSIGHT_FOOTAGE_DIR"


def _required_dir(env: str, what: str, must_have: str) -> Path:
    value = os.environ.get(env)
    folder = Path(value) if value else None
    if folder is None or not (folder / must_have).exists():
        pytest.fail(
            f"{what} not found: set {env} to the folder holding {must_have} (.ci/run exports it as ../shared/...)",
            pytrace=False,
        )
    return folder


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """The folder with the shared ONNX models (``$SHELFSIGHT_MODELS_DIR``)."""
    _required_dir(MODELS_DIR_ENV, "model folder", "yolox_nano_416.onnx")
    return models_folder()


@pytest.fixture(scope="session")
def footage_dir() -> Path:
    """The folder with the shared real footage (``$SHELFSIGHT_FOOTAGE_DIR``)."""
    return _required_dir(FOOTAGE_DIR_ENV, "footage folder", "images/bus.jpg")
