"""Tracks of a real aisle frame get BlazePose keypoints only where a shopper is at the shelf."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from shelfsight.vision.pose.annotate import PoseAnnotator
from shelfsight.vision.pose.blazepose import BlazePoseEstimator
from shelfsight.vision.pose.keypoints import layout_for
from shelfsight.vision.pose.selection import SelectionSettings
from shelfsight.vision.video import iter_video, open_video
from shelfsight.vision.zones import Zone
from tests.builders import make_tracks

# store_aisle_reach_480x270.gif frame 33: the shelves on the right and the three shoppers (YOLOX-Nano boxes)
RIGHT_SHELVES = Zone("right-shelves", "shelf", np.array([[340, 0], [480, 0], [480, 270], [430, 270]], np.float32),
                     (270, 480))  # fmt: skip
MAN = [265.7, 63.7, 330.7, 242.3]
WOMAN_IN_BROWN = [336.9, 145.5, 438.5, 269.5]
WOMAN_IN_TEAL = [343.3, 79.8, 392.7, 198.9]


def test_only_shoppers_at_the_shelf_get_keypoints(models_dir: Path, footage_dir: Path) -> None:
    capture, _ = open_video(footage_dir / "store_aisle_reach_480x270.gif")
    image = next(frame for index, _, frame in iter_video(capture) if index == 33)
    estimator = BlazePoseEstimator(models_dir / "pose" / "blazepose_landmark_full.onnx")
    annotator = PoseAnnotator(estimator, shelves=[RIGHT_SHELVES], standing={}, selection=SelectionSettings())
    tracks = make_tracks([MAN, WOMAN_IN_BROWN, WOMAN_IN_TEAL], [1, 2, 3])
    tracks = replace(tracks, keypoints=np.ones((3, 17, 3), np.float32))  # a pose detector's: replaced

    out = annotator.annotate(tracks, image)

    assert out.keypoints is not None and out.keypoints.shape == (3, 33, 3)
    assert layout_for(out.keypoints.shape[1]).name == "blazepose33"
    assert not out.keypoints[0].any(), "the man stands left of the shelves: no pose"
    assert (out.keypoints[1:, :, 2] > 0).any(axis=1).all(), "both women touch the shelves"
    np.testing.assert_array_equal(out.tracker_id, tracks.tracker_id)
    np.testing.assert_array_equal(out.xyxy, tracks.xyxy)
    assert annotator.last.people == 2 and annotator.last.seconds > 0

    hidden = replace(tracks, data={**tracks.data, "detection_index": np.array([0, -1, 2], np.int64)})
    assert not annotator.annotate(hidden, image).keypoints[1].any(), "a hidden track's predicted box is not posed"
    assert annotator.last.people == 1
