"""What an ONNX file is, read from its graph without starting ONNX Runtime: for `shelfsight config check`.

A config that names an empty file, a file that is not ONNX, or a model of the wrong kind (the ReID model, a
classifier) would only fail when the detector stage loads it, and the stage would then fail again at every
restart. Reading the graph's signature takes tens of milliseconds and finds all three up front, with the same
layout rules the detector uses (`shelfsight.vision.detector.layouts.recognise_layout`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import onnx

from shelfsight.vision.detector.layouts import ModelLayout, Shape, UnsupportedModelError, recognise_layout

logger = logging.getLogger(__name__)


def _shape(value: onnx.ValueInfoProto) -> Shape:
    """Dimensions as ONNX Runtime reports them: ints when fixed, the symbol's name (or None) when dynamic."""
    dims = value.type.tensor_type.shape.dim
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in dims]


def model_layout(path: Path) -> ModelLayout:
    """The detection layout of the ONNX file at ``path``.

    Raises:
        UnsupportedModelError: The file is empty, is not an ONNX model, or is not a detection model this
            pipeline can run; the message says which and what was seen.
    """
    size = path.stat().st_size
    if size == 0:
        raise UnsupportedModelError(f"{path} is empty (0 bytes): an interrupted download or copy")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # protobuf's DecodeError and friends: whatever it is, it is not a model
        raise UnsupportedModelError(f"{path} is not an ONNX model ({type(exc).__name__})") from exc
    initializers = {tensor.name for tensor in model.graph.initializer}
    inputs = [(i.name, _shape(i)) for i in model.graph.input if i.name not in initializers]
    outputs = [(o.name, _shape(o)) for o in model.graph.output]
    if not inputs and not outputs:
        raise UnsupportedModelError(f"{path} holds no ONNX graph ({size} bytes)")
    metadata = {entry.key: entry.value for entry in model.metadata_props}
    return recognise_layout(inputs, outputs, metadata)
