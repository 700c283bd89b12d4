"""Person appearance embeddings with ONNX Runtime, for re-linking track fragments.

The model (OpenVINO ``person-reidentification-retail-0287``; manifest name ``reid_retail_0287``) maps a person
crop resized to 256x128, NHWC, BGR 0..255 float, to a 256-d vector; two crops of one person have a higher
cosine similarity than crops of two people (about 0.56 against 0.36 on pedestrian samples).

Privacy: embeddings and crops are used only inside the tracker process, to decide whether a new track
continues a lost one. They are never written, logged or published, and are dropped with the track. They are
not derived from a face (whole-body crops from overhead or oblique cameras), and they are not comparable
across stores or days, since nothing is kept.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np
import numpy.typing as npt
import onnxruntime as ort

logger = logging.getLogger(__name__)

Crops = npt.NDArray[np.uint8]
Embeddings = npt.NDArray[np.float32]

REID_INPUT_HW = (256, 128)


class AppearanceModel(Protocol):
    """Anything that turns person crops into unit-length appearance vectors."""

    @property
    def input_hw(self) -> tuple[int, int]:
        """(height, width) that crops are resized to."""
        ...

    def embed(self, crops: Crops) -> Embeddings:
        """(k, H, W, 3) uint8 BGR crops to (k, D) float32 L2-normalised vectors."""
        ...


def cut_crops(image: npt.NDArray[np.uint8], xyxy: npt.NDArray[np.floating], hw: tuple[int, int]) -> Crops:
    """(k, H, W, 3) uint8 crops of ``image`` at (k, 4) xyxy boxes (clipped to the frame), each resized to ``hw``.

    A box with no area inside the frame gives a black crop (its embedding is then meaningless but harmless:
    it will not pass the similarity threshold).
    """
    height, width = image.shape[:2]
    out = np.zeros((len(xyxy), hw[0], hw[1], 3), np.uint8)
    for i, box in enumerate(np.asarray(xyxy, np.float64)):
        x1, y1 = int(max(0.0, np.floor(box[0]))), int(max(0.0, np.floor(box[1])))
        x2, y2 = int(min(float(width), np.ceil(box[2]))), int(min(float(height), np.ceil(box[3])))
        if x2 - x1 >= 2 and y2 - y1 >= 2:
            out[i] = cv2.resize(image[y1:y2, x1:x2], (hw[1], hw[0]), interpolation=cv2.INTER_LINEAR)
    return out


def cosine_similarity(a: Embeddings, b: Embeddings) -> npt.NDArray[np.float32]:
    """(n, m) cosine similarity of L2-normalised (n, D) and (m, D) vectors."""
    return np.asarray(a @ b.T, np.float32)


class OnnxReid:
    """The ReID network on ONNX Runtime (CPU, one thread by default: it runs only when a track was lost).

    Args:
        model_path: The ``.onnx`` file (``resolve_model("reid_retail_0287")``).
        intra_op_threads: ONNX Runtime threads inside one operator.

    Raises:
        ValueError: If the model's input is not (N, H, W, 3) or its output is not (N, D).
    """

    def __init__(self, model_path: Path | str, *, intra_op_threads: int = 1) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = intra_op_threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        model_input = self.session.get_inputs()[0]
        shape = model_input.shape
        if len(shape) != 4 or shape[3] != 3 or not isinstance(shape[1], int) or not isinstance(shape[2], int):
            raise ValueError(f"ReID model {model_path} must take (N, H, W, 3) NHWC crops, got input shape {shape}")
        self._input_name = model_input.name
        self._input_hw = (int(shape[1]), int(shape[2]))
        self._fixed_batch = shape[0] if isinstance(shape[0], int) else None
        output_shape = self.session.get_outputs()[0].shape
        if len(output_shape) != 2:
            raise ValueError(f"ReID model {model_path} must output (N, D) vectors, got output shape {output_shape}")
        logger.info("reid model %s: input %s, batch %s", Path(model_path).name, self._input_hw, self._fixed_batch)

    @property
    def input_hw(self) -> tuple[int, int]:
        """(height, width) the model takes."""
        return self._input_hw

    def embed(self, crops: Crops) -> Embeddings:
        """(k, H, W, 3) uint8 BGR crops to (k, D) float32 unit vectors (k may be 0)."""
        if len(crops) == 0:
            dim = self.session.get_outputs()[0].shape[1]
            return np.zeros((0, int(dim) if isinstance(dim, int) else 0), np.float32)
        blob = crops.astype(np.float32)
        step = self._fixed_batch or len(blob)
        parts = [self.session.run(None, {self._input_name: blob[i : i + step]})[0] for i in range(0, len(blob), step)]
        vectors = np.concatenate(parts, axis=0).astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.asarray(vectors / np.maximum(norms, 1e-12), np.float32)
