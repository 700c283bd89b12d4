"""Decoding raw outputs with hand-placed values: the boxes that must come out are known exactly."""

from __future__ import annotations

import numpy as np
import pytest

from shelfsight.vision.detector.decode import Decoder, yolox_grids
from shelfsight.vision.detector.labels import COCO80
from shelfsight.vision.detector.layouts import Layout, ModelLayout
from shelfsight.vision.detector.letterbox import letterbox_batch


def _layout(kind: Layout, hw: tuple[int, int] = (320, 320), keypoints: int = 0, names=COCO80) -> ModelLayout:  # type: ignore[no-untyped-def]
    return ModelLayout(kind, "images", hw, 1, tuple(names), keypoints)


def test_yolox_anchor_decodes_to_known_box() -> None:
    layout = _layout(Layout.YOLOX, (416, 416))
    out = np.zeros((1, 3549, 85), np.float32)
    grid, stride = yolox_grids((416, 416))
    anchor = 52 * 52 + 10 * 26 + 7  # stride-16 level, row 10, column 7
    assert tuple(grid[anchor]) == (7, 10) and stride[anchor, 0] == 16
    out[0, anchor, :4] = [0.5, 0.25, np.log(4.0), np.log(8.0)]  # offsets, log(w/stride), log(h/stride)
    out[0, anchor, 4] = 0.9  # objectness
    out[0, anchor, 5] = 0.8  # person
    out[0, anchor, 7] = 0.95  # car: filtered out by the class filter
    (cand,) = Decoder(layout, 0.3, (0,))(out)
    cx, cy, w, h = (7.5 * 16, 10.25 * 16, 64, 128)
    np.testing.assert_allclose(cand.xyxy, [[cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]], rtol=1e-6)
    np.testing.assert_allclose(cand.score, [0.72], rtol=1e-6)
    assert cand.class_id.tolist() == [0]
    (all_classes,) = Decoder(layout, 0.3, None)(out)
    assert all_classes.class_id.tolist() == [2]


def test_ultralytics_detect_and_pose_columns() -> None:
    layout = _layout(Layout.ULTRALYTICS_POSE, keypoints=17, names=("person",))
    out = np.zeros((1, 4 + 1 + 51, 2100), np.float32)
    out[0, 0:4, 5] = [100, 50, 20, 40]  # cx cy w h
    out[0, 4, 5] = 0.6
    out[0, 4, 6] = 0.2  # below threshold
    out[0, 5:, 5] = np.arange(51)
    (cand,) = Decoder(layout, 0.3, (0,))(out)
    np.testing.assert_allclose(cand.xyxy, [[90, 30, 110, 70]])
    assert cand.keypoints is not None and cand.keypoints.shape == (1, 17, 3)
    np.testing.assert_allclose(cand.keypoints[0, 9], [27, 28, 29])  # left wrist: the 10th (x, y, score)


def test_end2end_rows_filtered_by_score_and_class() -> None:
    layout = _layout(Layout.ULTRALYTICS_END2END)
    out = np.zeros((2, 300, 6), np.float32)
    out[0, 0] = [1, 2, 3, 4, 0.9, 0]
    out[0, 1] = [5, 6, 7, 8, 0.8, 2]
    out[1, 0] = [9, 9, 19, 29, 0.1, 0]
    first, second = Decoder(layout, 0.3, (0,))(out)
    np.testing.assert_allclose(first.xyxy, [[1, 2, 3, 4]])
    assert len(second.xyxy) == 0


def test_class_filter_outside_the_model_is_an_error() -> None:
    with pytest.raises(ValueError, match="keeps none"):
        Decoder(_layout(Layout.YOLOX), 0.3, (500,))


@pytest.mark.parametrize("centre", [True, False])
@pytest.mark.parametrize("frame_hw", [(720, 1280), (1080, 810), (100, 100)])
def test_letterbox_maps_boxes_back_to_frame(centre: bool, frame_hw: tuple[int, int]) -> None:
    image = np.zeros((*frame_hw, 3), np.uint8)
    blob, transform = letterbox_batch([image], (416, 416), centre=centre, rgb=True, scale=1 / 255)
    assert blob.shape == (1, 3, 416, 416) and blob.dtype == np.float32
    frame_box = np.array([[10, 20, frame_hw[1] / 2, frame_hw[0] - 1]], np.float32)
    input_box = frame_box * transform.scale[0] + np.tile(transform.offset[0], 2)
    np.testing.assert_allclose(transform.boxes_to_frame(0, input_box), frame_box, atol=1e-3)
    if not centre:
        assert tuple(transform.offset[0]) == (0, 0)


def test_letterbox_pads_with_grey_and_swaps_channels() -> None:
    image = np.zeros((100, 200, 3), np.uint8)
    image[..., 0] = 255  # pure blue in BGR
    blob, _ = letterbox_batch([image], (64, 64), centre=True, rgb=True, scale=1.0)
    assert blob[0, 2, 32, 32] == 255 and blob[0, 0, 32, 32] == 0  # blue lands in the last (B of RGB) plane
    assert blob[0, 0, 0, 0] == 114  # padding row above the image


def test_letterbox_rejects_non_bgr_frames() -> None:
    with pytest.raises(ValueError, match="uint8 BGR"):
        letterbox_batch([np.zeros((10, 10), np.uint8)], (64, 64), centre=True, rgb=True, scale=1.0)
