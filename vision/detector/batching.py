"""Give a fixed-batch-1 ONNX detector a dynamic batch dimension, so one ``run`` serves several cameras.

Most exported detectors (YOLOX releases, Ultralytics without ``dynamic=True``) fix the batch at 1, often by
baking ``1`` into Reshape targets. This rewrite marks the batch dimension symbolic and turns a leading ``1`` of
every activation Reshape target into ``0`` ("copy the input's dimension"). It is only trusted after a numeric
check against per-frame runs (``outputs_agree``): models whose maths mixes batch items (dynamic int8
quantisation computes one scale over the whole batch) fail the check and keep per-frame runs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime as ort
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


def dynamic_batch_session(
    model_bytes: bytes,
    single: ort.InferenceSession,
    *,
    probe: npt.NDArray[np.float32],
    input_name: str,
    options: ort.SessionOptions,
    providers: Sequence[str],
    label: str,
) -> ort.InferenceSession | None:
    """A session of the model with a dynamic batch, trusted only when it gives what per-item runs give.

    Args:
        model_bytes: The serialized fixed-batch-1 model (the one ``single`` runs).
        single: The batch-1 session, to compute the reference outputs.
        probe: (B >= 2, ...) input batch to compare on (random data exercises every path of a CNN).
        input_name: The model's input.
        options: Session options of the new session (threads as ``single``'s).
        providers: Execution providers of the new session.
        label: What to call the model in the log.

    Returns:
        The batched session, or None when the rewrite fails or any output differs beyond float noise (the
        caller keeps running one item at a time).
    """
    singles = [single.run(None, {input_name: probe[i : i + 1]}) for i in range(len(probe))]
    try:
        session = ort.InferenceSession(dynamic_batch_model(model_bytes), options, providers=list(providers))
        batched = session.run(None, {input_name: probe})
    except Exception as exc:  # any graph the rewrite cannot serve: fall back, never fail
        logger.info("model %s keeps batch 1 (rewrite failed: %s)", label, exc)
        return None
    if all(outputs_agree(out, [s[k] for s in singles]) for k, out in enumerate(batched)):
        return session
    logger.info("model %s keeps batch 1: batched outputs differ from per-item ones", label)
    return None
