"""Give a fixed-batch-1 ONNX detector a dynamic batch dimension, so one ``run`` serves several cameras.

Most exported detectors (YOLOX releases, Ultralytics without ``dynamic=True``) fix the batch at 1, often by
baking ``1`` into Reshape targets. This rewrite marks the batch dimension symbolic and turns a leading ``1`` of
every activation Reshape target into ``0`` ("copy the input's dimension"). It is only trusted after a numeric
check against per-frame runs (``outputs_agree``): models whose maths mixes batch items (dynamic int8
quantisation computes one scale over the whole batch) fail the check and keep per-frame runs.
"""

from __future__ import annotations

import logging

import numpy as np
import numpy.typing as npt
import onnx
from onnx import numpy_helper

logger = logging.getLogger(__name__)

AGREEMENT_TOLERANCE = 1e-3  # relative to the largest output magnitude


def dynamic_batch_model(model_bytes: bytes) -> bytes:
    """Return the serialized model with a symbolic batch dimension on every graph input and output."""
    model = onnx.load_from_string(model_bytes)
    graph = model.graph
    for value in [*graph.input, *graph.output]:
        dims = value.type.tensor_type.shape.dim
        if dims:
            dims[0].ClearField("dim_value")
            dims[0].dim_param = "batch"
    del graph.value_info[:]  # stale static shapes would contradict the new batch dimension
    initializers = {init.name: init for init in graph.initializer}
    constants = {node.output[0]: node for node in graph.node if node.op_type == "Constant"}
    rewritten = 0
    for node in graph.node:
        if node.op_type != "Reshape" or node.input[0] in initializers or node.input[0] in constants:
            continue  # reshapes of weights keep their shapes
        target = node.input[1]
        if target in initializers:
            rewritten += _zero_leading_one(initializers[target])
        elif target in constants:
            rewritten += _zero_leading_one(constants[target].attribute[0].t)
    logger.debug("made batch dynamic: %d reshape targets rewritten", rewritten)
    return bytes(model.SerializeToString())


def _zero_leading_one(tensor: onnx.TensorProto) -> int:
    values = numpy_helper.to_array(tensor).copy()
    if values.ndim != 1 or values.size == 0 or values[0] != 1:
        return 0
    values[0] = 0
    tensor.CopyFrom(numpy_helper.from_array(values, tensor.name))
    return 1


def outputs_agree(batched: npt.NDArray[np.float32], singles: list[npt.NDArray[np.float32]]) -> bool:
    """True when a batched run equals the per-item runs, up to float noise."""
    stacked = np.concatenate(singles, axis=0)
    if batched.shape != stacked.shape:
        return False
    magnitude = max(1.0, float(np.abs(stacked).max()))
    return float(np.abs(batched - stacked).max()) <= AGREEMENT_TOLERANCE * magnitude
