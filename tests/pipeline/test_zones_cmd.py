"""`shelfsight zones preview`: the camera's picture from its own source, with its zones drawn, as a PNG."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from shelfsight.edge_config.loader import load_config
from shelfsight.vision.draw import ZONE_COLOURS
from tests.cli import run_shelfsight

pytestmark = pytest.mark.integration  # starts processes, servers or a browser

DEMO = Path(__file__).parents[2] / "edge_config" / "demo.yaml"


def test_preview_writes_the_picture_with_the_zones(tmp_path: Path, models_dir: Path) -> None:
    config = tmp_path / "store.yaml"
    shutil.copy(DEMO, config)
    out = tmp_path / "endcap.png"
    done = run_shelfsight("zones", "preview", str(config), "--camera", "endcap-cam", "--output", str(out),
                          "--seconds", "2", "--models-dir", str(models_dir))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"wrote {out}: 640x480, 4 zone(s)" in done.stdout
    image = cv2.imread(str(out))
    assert image is not None and image.shape == (480, 640, 3)
    camera = load_config(config).cameras[1]
    for zone in camera.zones:  # each outline is drawn in its kind's colour, along its first edge
        (x0, y0), (x1, y1) = zone.polygon[0], zone.polygon[1]
        colour = np.array(ZONE_COLOURS[zone.kind.value])
        along = [image[round((y0 + (y1 - y0) * f) * 480), round((x0 + (x1 - x0) * f) * 640)] for f in (0.3, 0.5, 0.7)]
        assert all(np.abs(pixel.astype(int) - colour).max() < 40 for pixel in along), (zone.id, along)
    # Away from the zones it is the store, not the checkerboard: a synthetic store's first seconds have no shopper.
    assert image[20:60, 20:620].std() < 30 and image[20:60, 20:620].mean() > 150  # the plain back wall


def test_preview_names_the_cameras_when_one_is_unknown(tmp_path: Path) -> None:
    done = run_shelfsight("zones", "preview", str(DEMO), "--camera", "nope", "--output", str(tmp_path / "x.png"))
    assert done.returncode == 2
    assert "camera 'nope' is not in" in done.stderr and "aisle-cam, endcap-cam" in done.stderr
