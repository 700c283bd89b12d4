"""Recognise a detection model's output layout from the model itself: inputs, outputs and metadata.

Never from the file name: users rename files. Ultralytics exports carry metadata (``task``, ``names``,
``kpt_shape``, ``end2end``, ``imgsz``); YOLOX exports carry none, and are told by their output shape, which
for a raw head has one row per anchor point of the stride-8/16/32 grids.
"""

from __future__ import annotations

import ast
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from shelfsight.vision.detector.labels import COCO80, PERSON

logger = logging.getLogger(__name__)

STRIDES: tuple[int, ...] = (8, 16, 32)
END2END_BOX_COLUMNS = 6  # x1, y1, x2, y2, score, class
DEFAULT_INPUT_HW = (640, 640)

Shape = Sequence[int | str | None]


class UnsupportedModelError(ValueError):
    """The model's inputs/outputs match no layout shelfsight can decode; the message says what was seen."""


class Layout(StrEnum):
    """Output layouts the detector decodes."""

    YOLOX = "yolox"  # [B, A, 5 + nc]: raw head, cx cy offsets, log w h, objectness, class scores
    ULTRALYTICS_DETECT = "ultralytics_detect"  # [B, 4 + nc, A]: cx cy w h in input pixels, class scores
    ULTRALYTICS_POSE = "ultralytics_pose"  # [B, 4 + nc + K*3, A]: as detect, then keypoints x y score
    ULTRALYTICS_END2END = "ultralytics_end2end"  # [B, N, 6 (+ K*3)]: x1 y1 x2 y2 score class, NMS done


@dataclass(frozen=True)
class ModelLayout:
    """Everything the pre- and post-processing needs to know about a model.

    Attributes:
        layout: The output layout.
        input_name: Name of the image input tensor.
        input_hw: Network input (height, width) in pixels.
        batch: Fixed batch size of the graph, or None when the batch dimension is dynamic.
        class_names: Label of each class index.
        num_keypoints: Keypoints per object (17 for COCO pose), 0 for plain detectors.
        rgb: Input channel order is RGB (Ultralytics) rather than BGR (YOLOX).
        scale: Multiplier from 0..255 pixel values to network input (1/255 or 1).
        centre_pad: Letterbox centres the image (Ultralytics) rather than placing it top-left (YOLOX).
    """

    layout: Layout
    input_name: str
    input_hw: tuple[int, int]
    batch: int | None
    class_names: tuple[str, ...]
    num_keypoints: int = 0
    rgb: bool = True
    scale: float = 1.0 / 255.0
    centre_pad: bool = True

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def person_class(self) -> int:
        """Index of the person class: by name when the model names its classes, else 0 (COCO)."""
        return self.class_names.index(PERSON) if PERSON in self.class_names else 0


def grid_anchor_count(input_hw: tuple[int, int], strides: Sequence[int] = STRIDES) -> int:
    """Number of anchor points of a stride-8/16/32 head for an input of (height, width) pixels."""
    height, width = input_hw
    return sum((height // stride) * (width // stride) for stride in strides)


def recognise_layout(
    inputs: Sequence[tuple[str, Shape]],
    outputs: Sequence[tuple[str, Shape]],
    metadata: Mapping[str, str],
) -> ModelLayout:
    """Work out a detection model's layout from its graph signature and metadata.

    Args:
        inputs: (name, shape) of each graph input, as ONNX Runtime reports them (strings for dynamic dims).
        outputs: (name, shape) of each graph output.
        metadata: The model's custom metadata map (Ultralytics writes ``task``, ``names``, ...).

    Returns:
        The recognised layout.

    Raises:
        UnsupportedModelError: For anything else, naming the shapes and metadata that were seen.
    """
    if len(inputs) != 1:
        raise UnsupportedModelError(f"expected one image input, got {len(inputs)}: {list(inputs)}")
    input_name, input_shape = inputs[0]
    if len(input_shape) != 4 or input_shape[1] not in (3, "3"):
        raise UnsupportedModelError(f"expected an NCHW 3-channel image input, got {input_name} {input_shape}")
    if not outputs:
        raise UnsupportedModelError("the model has no outputs")
    output_shape = outputs[0][1]
    input_hw = _input_hw(input_shape, metadata)
    batch = input_shape[0] if isinstance(input_shape[0], int) else None
    if "task" in metadata or metadata.get("author", "").lower() == "ultralytics":
        return _ultralytics_layout(input_name, input_hw, batch, output_shape, metadata)
    return _layout_from_shape(input_name, input_hw, batch, output_shape)


def _input_hw(input_shape: Shape, metadata: Mapping[str, str]) -> tuple[int, int]:
    height, width = input_shape[2], input_shape[3]
    if isinstance(height, int) and isinstance(width, int):
        return height, width
    if "imgsz" in metadata:
        size = ast.literal_eval(metadata["imgsz"])
        return (int(size[0]), int(size[1])) if isinstance(size, list | tuple) else (int(size), int(size))
    logger.warning("model input size is dynamic and not in its metadata; using %s", DEFAULT_INPUT_HW)
    return DEFAULT_INPUT_HW


def _ultralytics_layout(
    input_name: str,
    input_hw: tuple[int, int],
    batch: int | None,
    output_shape: Shape,
    metadata: Mapping[str, str],
) -> ModelLayout:
    task = metadata.get("task", "detect")
    names_raw = ast.literal_eval(metadata["names"]) if "names" in metadata else dict(enumerate(COCO80))
    class_names = tuple(str(names_raw[i]) for i in sorted(names_raw))
    end2end = metadata.get("end2end", "False") == "True"
    num_keypoints = 0
    if task == "pose":
        kpt_shape = ast.literal_eval(metadata.get("kpt_shape", "[17, 3]"))
        if int(kpt_shape[1]) != 3:
            raise UnsupportedModelError(f"pose model keypoints must be (x, y, score); kpt_shape is {kpt_shape}")
        num_keypoints = int(kpt_shape[0])
    elif task != "detect":
        raise UnsupportedModelError(f"Ultralytics task {task!r} is not supported; export a detect or pose model")
    if len(output_shape) != 3:
        raise UnsupportedModelError(f"expected a 3-d output for an Ultralytics {task} model, got {output_shape}")
    columns = 4 + len(class_names) + 3 * num_keypoints
    if end2end:
        layout = Layout.ULTRALYTICS_END2END
        _expect_dim(output_shape, 2, END2END_BOX_COLUMNS + 3 * num_keypoints, "end-to-end output columns")
    else:
        layout = Layout.ULTRALYTICS_POSE if num_keypoints else Layout.ULTRALYTICS_DETECT
        _expect_dim(output_shape, 1, columns, f"{task} output channels (4 + classes + 3 * keypoints)")
    return ModelLayout(layout, input_name, input_hw, batch, class_names, num_keypoints)


def _expect_dim(shape: Shape, axis: int, expected: int, what: str) -> None:
    if isinstance(shape[axis], int) and shape[axis] != expected:
        raise UnsupportedModelError(f"{what}: expected {expected}, got {shape[axis]} (output shape {shape})")


def _layout_from_shape(input_name: str, input_hw: tuple[int, int], batch: int | None, shape: Shape) -> ModelLayout:
    """No metadata: tell the layout by where the anchor count sits."""
    if len(shape) != 3:
        raise UnsupportedModelError(f"expected a 3-d detection output, got shape {shape}")
    anchors = grid_anchor_count(input_hw)
    _, dim1, dim2 = shape
    if dim1 == anchors and isinstance(dim2, int) and dim2 > 5:
        return ModelLayout(
            Layout.YOLOX,
            input_name,
            input_hw,
            batch,
            _names(dim2 - 5),
            rgb=False,
            scale=1.0,
            centre_pad=False,
        )
    if dim2 == anchors and isinstance(dim1, int) and dim1 > 4:
        return ModelLayout(Layout.ULTRALYTICS_DETECT, input_name, input_hw, batch, _names(dim1 - 4))
    if dim2 == END2END_BOX_COLUMNS:
        return ModelLayout(Layout.ULTRALYTICS_END2END, input_name, input_hw, batch, COCO80)
    raise UnsupportedModelError(
        f"output shape {list(shape)} matches no known layout for input {input_hw}: expected [B, {anchors}, 5+nc] "
        f"(YOLOX raw head), [B, 4+nc, {anchors}] (Ultralytics detect) or [B, N, 6] (end-to-end)"
    )


def _names(num_classes: int) -> tuple[str, ...]:
    return COCO80 if num_classes == len(COCO80) else tuple(str(i) for i in range(num_classes))
