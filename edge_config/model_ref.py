"""The rule every ``model`` key of the config follows: a manifest name, or a path to an ``.onnx`` file."""

from __future__ import annotations

import logging

from pydantic_core import PydanticCustomError

from shelfsight.edge_config.base import rule_error
from shelfsight.models.registry import looks_like_path

logger = logging.getLogger(__name__)


def model_ref_error(model: str, *, example: str) -> PydanticCustomError | None:
    """The error of a ``model`` value that is a path but not to an .onnx file, else None.

    Whether the file exists is `shelfsight.edge_config.checks`' business: a config validates the same on any machine.

    Args:
        model: The value as written.
        example: A manifest name of the right kind, for the fix.
    """
    if looks_like_path(model) and not model.endswith(".onnx"):
        return rule_error(
            f"a model path must end in .onnx, got {model!r}",
            fix=f"name the .onnx file, or use a manifest name such as {example!r}",
        )
    return None
