"""Heads are pixelated in frames that leave the pipeline (issue 14, item 11): the top of each person box and,
with a pose model, the head keypoints; nothing else in the frame changes."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from shelfsight.vision.privacy import BLOCKS, HEAD_SHARE, blur_heads, head_regions
from tests.builders import make_dets

H, W = 240, 320


def _noise() -> np.ndarray:
    return np.random.default_rng(7).integers(0, 255, (H, W, 3), dtype=np.uint8)


def _distinct_rows(region: np.ndarray) -> int:
    """Distinct pixel rows: a pixelated region has about `BLOCKS`, a noisy one as many as it is tall."""
    return len({row.tobytes() for row in region})


def test_the_head_strip_is_pixelated_and_nothing_else_changes() -> None:
    image = _noise()
    dets = make_dets([[100, 40, 160, 200], [200, 50, 260, 210]], frame_size=(H, W))
    dets = replace(dets, class_id=np.array([0, 2], np.int64))  # a person and something else
    out = blur_heads(image, dets)
    head = out[40 : 40 + int(HEAD_SHARE * 160), 100:160]
    assert _distinct_rows(head) <= BLOCKS + 1 < _distinct_rows(image[40:80, 100:160])
    mask = np.ones((H, W), bool)
    mask[40 : 40 + round(HEAD_SHARE * 160), 100:160] = False
    np.testing.assert_array_equal(out[mask], image[mask])  # the body, the other class and the shelf: untouched
    np.testing.assert_array_equal(image, _noise())  # the input frame is not modified


def test_head_keypoints_are_covered_too() -> None:
    keypoints = np.zeros((1, 17, 3), np.float32)
    keypoints[0, :5] = [[130, 120, 0.9], [126, 116, 0.9], [134, 116, 0.9], [122, 118, 0.8], [138, 118, 0.8]]
    dets = replace(make_dets([[100, 100, 160, 230]], frame_size=(H, W)), keypoints=keypoints)
    regions = head_regions(dets)
    assert len(regions) == 2  # the strip and the box around the keypoints
    x1, y1, x2, y2 = regions[1]
    assert x1 <= 122 and x2 >= 138 and y1 <= 116 and y2 >= 120
    out = blur_heads(_noise(), dets)
    assert _distinct_rows(out[y1:y2, x1:x2]) <= BLOCKS + 2


def test_regions_are_clipped_to_the_frame() -> None:
    dets = make_dets([[-20, -30, 40, 100], [300, 200, 330, 260]], frame_size=(H, W))
    regions = head_regions(dets)
    assert regions[:, [0, 2]].min() >= 0 and regions[:, [0, 2]].max() <= W
    assert regions[:, [1, 3]].min() >= 0 and regions[:, [1, 3]].max() <= H
    blur_heads(_noise(), dets)  # no exception on boxes half outside
