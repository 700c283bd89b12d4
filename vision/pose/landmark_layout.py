"""Telling a BlazePose landmark model by its declared inputs and outputs, without running it.

Conversions of the MediaPipe model name their tensors differently (``input_1`` / ``Identity`` from tf2onnx,
other names elsewhere), so the layout is read from shapes. This module imports only ``onnx``, so the config
check can use it without loading ONNX Runtime.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import onnx

from shelfsight.vision.detector.layouts import UnsupportedModelError

Shape = Sequence[int | str | None]

LANDMARK_ROWS: Final = 39
"""Rows of the landmark output: 33 body landmarks, then 6 auxiliary points (alignment and ROI) not used here."""
BODY_LANDMARKS: Final = 33
LANDMARK_VALUES: Final = 5  # x, y, z, visibility logit, presence logit


@dataclass(frozen=True)
class LandmarkLayout:
    """Where a BlazePose landmark model keeps what it is asked for.

    Attributes:
        input_name: The image input, (B, size, size, 3) RGB 0..1.
        size: Side of the square input, pixels.
        landmarks: Output of (B, 39 * 5) landmarks in crop pixels.
        pose_flag: Output of (B, 1) pose-present scores 0..1.
    """

    input_name: str
    size: int
    landmarks: str
    pose_flag: str


def recognise_landmark_model(
    inputs: Sequence[tuple[str, Shape]], outputs: Sequence[tuple[str, Shape]]
) -> LandmarkLayout:
    """Tell a BlazePose landmark model by its input and output shapes (names differ between conversions).

    Raises:
        UnsupportedModelError: Naming what was expected and what the file has.
    """
    found = f"inputs {list(inputs)}, outputs {list(outputs)}"
    if len(inputs) != 1:
        raise UnsupportedModelError(f"a BlazePose landmark model has one image input; this one has {found}")
    input_name, shape = inputs[0]
    if len(shape) != 4 or shape[3] != 3 or not isinstance(shape[1], int) or shape[1] != shape[2]:
        raise UnsupportedModelError(
            f"a BlazePose landmark model takes (1, S, S, 3) RGB crops (NHWC); this one takes {shape} ({found})"
        )
    landmarks = [name for name, out in outputs if len(out) == 2 and out[1] == LANDMARK_ROWS * LANDMARK_VALUES]
    flags = [name for name, out in outputs if len(out) == 2 and out[1] == 1]
    if not landmarks or not flags:
        raise UnsupportedModelError(
            f"a BlazePose landmark model outputs (1, {LANDMARK_ROWS * LANDMARK_VALUES}) landmarks and a (1, 1) "
            f"pose score; this one has {found}"
        )
    return LandmarkLayout(input_name, int(shape[1]), landmarks[0], flags[0])


def _dims(value: onnx.ValueInfoProto) -> list[int | str | None]:
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in value.type.tensor_type.shape.dim]


def read_landmark_layout(model: Path | bytes) -> LandmarkLayout:
    """The layout of a model file (or its bytes), read from the graph's declared inputs and outputs.

    Raises:
        UnsupportedModelError: When it is not a BlazePose landmark model, or not an ONNX file at all.
    """
    try:
        proto = onnx.load_from_string(model) if isinstance(model, bytes) else onnx.load(str(model))
    except Exception as exc:  # protobuf raises its own DecodeError for a file that is not ONNX
        raise UnsupportedModelError(f"not a readable ONNX model: {exc}") from exc
    graph = proto.graph
    initializers = {init.name for init in graph.initializer}
    inputs = [(v.name, _dims(v)) for v in graph.input if v.name not in initializers]
    return recognise_landmark_model(inputs, [(v.name, _dims(v)) for v in graph.output])
