"""Layout recognition from graph signature and metadata: a table of models, and the errors."""

from __future__ import annotations

import pytest

from shelfsight.vision.detector.labels import COCO80
from shelfsight.vision.detector.layouts import Layout, UnsupportedModelError, grid_anchor_count, recognise_layout

U_META = {
    "author": "Ultralytics",
    "task": "detect",
    "names": str(dict(enumerate(COCO80))),
    "end2end": "False",
}
POSE_META = {**U_META, "task": "pose", "names": "{0: 'person'}", "kpt_shape": "[17, 3]"}


@pytest.mark.parametrize(
    ("input_shape", "output_shape", "metadata", "layout", "keypoints", "batch"),
    [
        ([1, 3, 416, 416], [1, 3549, 85], {}, Layout.YOLOX, 0, 1),
        (["N", 3, 416, 416], ["N", 3549, 85], {}, Layout.YOLOX, 0, None),
        ([1, 3, 640, 640], [1, 84, 8400], U_META, Layout.ULTRALYTICS_DETECT, 0, 1),
        ([1, 3, 640, 640], [1, 84, 8400], {}, Layout.ULTRALYTICS_DETECT, 0, 1),  # metadata stripped
        ([1, 3, 320, 320], [1, 300, 6], {**U_META, "end2end": "True"}, Layout.ULTRALYTICS_END2END, 0, 1),
        ([1, 3, 640, 640], [1, 300, 6], {}, Layout.ULTRALYTICS_END2END, 0, 1),
        ([1, 3, 640, 640], [1, 56, 8400], POSE_META, Layout.ULTRALYTICS_POSE, 17, 1),
        ([1, 3, 640, 640], [1, 300, 57], {**POSE_META, "end2end": "True"}, Layout.ULTRALYTICS_END2END, 17, 1),
        (
            ["b", 3, "h", "w"],
            ["b", 84, "a"],
            {**U_META, "imgsz": "[480, 640]"},
            Layout.ULTRALYTICS_DETECT,
            0,
            None,
        ),
    ],
)
def test_recognises_layout(input_shape, output_shape, metadata, layout, keypoints, batch) -> None:  # type: ignore[no-untyped-def]
    result = recognise_layout([("images", input_shape)], [("output0", output_shape)], metadata)
    assert result.layout is layout
    assert result.num_keypoints == keypoints
    assert result.batch == batch
    assert result.person_class == 0


def test_yolox_preprocessing_differs_from_ultralytics() -> None:
    yolox = recognise_layout([("images", [1, 3, 416, 416])], [("output", [1, 3549, 85])], {})
    ultra = recognise_layout([("images", [1, 3, 640, 640])], [("output0", [1, 84, 8400])], U_META)
    assert (yolox.rgb, yolox.scale, yolox.centre_pad) == (False, 1.0, False)
    assert (ultra.rgb, ultra.scale, ultra.centre_pad) == (True, 1 / 255, True)
    assert yolox.class_names == COCO80


def test_person_class_found_by_name() -> None:
    meta = {**U_META, "names": "{0: 'cart', 1: 'person'}"}
    layout = recognise_layout([("images", [1, 3, 640, 640])], [("output0", [1, 6, 8400])], meta)
    assert layout.person_class == 1


@pytest.mark.parametrize(
    ("inputs", "output_shape", "metadata", "message"),
    [
        ([("a", [1, 3, 64, 64]), ("b", [1])], [1, 84, 8400], {}, "one image input"),
        ([("images", [1, 1, 640, 640])], [1, 84, 8400], {}, "3-channel"),
        ([("images", [1, 3, 640, 640])], [1, 1000], {}, "3-d"),
        ([("images", [1, 3, 640, 640])], [1, 100, 100], {}, "matches no known layout"),
        ([("images", [1, 3, 640, 640])], [1, 116, 8400], {**U_META, "task": "segment"}, "segment"),
        ([("images", [1, 3, 640, 640])], [1, 90, 8400], U_META, "expected 84, got 90"),
    ],
)
def test_rejects_unknown_layouts(inputs, output_shape, metadata, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnsupportedModelError, match=message):
        recognise_layout(inputs, [("out", output_shape)], metadata)


def test_anchor_count_of_standard_sizes() -> None:
    assert grid_anchor_count((416, 416)) == 3549
    assert grid_anchor_count((640, 640)) == 8400
    assert grid_anchor_count((320, 320)) == 2100
