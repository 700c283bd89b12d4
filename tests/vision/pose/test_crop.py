"""Square crops around person boxes: where they lie, and points mapped there and back."""

from __future__ import annotations

import numpy as np
import pytest

from shelfsight.vision.pose.crop import CropSettings, crop_transforms, grow_boxes_up


def test_crop_is_a_square_around_the_box_grown_upwards() -> None:
    box = np.array([[100, 200, 160, 400]], np.float32)  # 60 x 200 px
    transforms = crop_transforms(box, CropSettings(grow_up=0.15, scale=1.5), size=256)
    # grown box: top 200 - 30 = 170, so 60 x 230 px centred at (130, 285); square side 1.5 * 230 = 345 px
    assert transforms.scale[0] == pytest.approx(256 / 345)
    corners = transforms.to_frame(np.array([[[0, 0], [256, 256]]], np.float32))[0]
    np.testing.assert_allclose(corners, [[130 - 172.5, 285 - 172.5], [130 + 172.5, 285 + 172.5]], atol=1e-3)


def test_points_survive_the_round_trip_through_the_crop_matrices() -> None:
    rng = np.random.default_rng(3)
    boxes = np.sort(rng.uniform(0, 600, (5, 2, 2)), axis=1).reshape(5, 4)[:, [0, 2, 1, 3]].astype(np.float32)
    transforms = crop_transforms(boxes, CropSettings(), size=256)
    points = rng.uniform(0, 640, (5, 7, 2)).astype(np.float32)
    matrices = transforms.matrices()
    in_crop = np.einsum("nij,nkj->nki", matrices[:, :, :2], points) + matrices[:, None, :, 2]
    np.testing.assert_allclose(transforms.to_frame(in_crop.astype(np.float32)), points, rtol=1e-5, atol=1e-3)


def test_grow_up_moves_only_the_top_and_a_degenerate_box_does_not_divide_by_zero() -> None:
    boxes = np.array([[10, 100, 30, 200], [50, 50, 50, 50]], np.float32)
    np.testing.assert_allclose(grow_boxes_up(boxes, 0.3), [[10, 70, 30, 200], [50, 50, 50, 50]])
    assert np.isfinite(crop_transforms(boxes, CropSettings(), size=256).scale).all()


@pytest.mark.parametrize(("grow_up", "scale"), [(-0.1, 1.5), (1.5, 1.5), (0.1, 0.9), (0.1, 3.5)])
def test_crop_settings_out_of_range_are_refused(grow_up: float, scale: float) -> None:
    with pytest.raises(ValueError, match="CropSettings"):
        CropSettings(grow_up=grow_up, scale=scale)
