"""With a pose model, `shelfsight edge run --replay` gives `shelfsight run-offline`'s events, ids included, and a
live box reports what the pose model costs.

Two ways to get keypoints, both with the real models: a pose detector as the camera's ``model``
(``yolo11n_pose_640``: its keypoints must cross the detector -> track+events socket with the boxes), and a
top-down pose model in the camera's ``pose:`` section (``blazepose_landmark_lite``, run in the track+events stage
on the shoppers at shelves). On this scene a shopper takes an item and puts it back; the reaches come from the
wrists alone (a camera with keypoints reads no arm from pixels), so keypoints lost on the way would change or lose
the reach events.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from shelfsight.vision.events.codec import from_dict
from tests.cli import run_shelfsight
from tests.pipeline.edge.harness import Aggregator, EdgeBox, free_port, offline_events, wait_for, write_config

CAMERA = "endcap-cam"
SCENE = "synthetic:one_takes_and_returns"  # one shopper takes an item at a shelf, looks at it, puts it back
CASES = {
    "pose-detector": {"model": "yolo11n_pose_640"},
    "pose-model": {"pose": {"model": "blazepose_landmark_lite"}},
}


@pytest.mark.parametrize("keys", CASES.values(), ids=list(CASES))
def test_edge_replay_with_keypoints_equals_offline(
    tmp_path: Path, aggregator: Aggregator, keys: dict[str, Any]
) -> None:
    config = write_config(tmp_path, endpoint=aggregator.ingest, cameras=(CAMERA,), sources={CAMERA: SCENE},
                          camera_keys=keys)  # fmt: skip
    reference = offline_events(config, tmp_path / "offline")
    types = {event.type for event in reference.values()}
    assert "dwell" in types and types & {"touch", "pickup", "putback"}, f"the scene must produce a reach: {types}"
    sources = {getattr(event, "reach_source", None) for event in reference.values()} - {None}
    assert sources == {"pose"}, f"every reach must come from keypoints, not pixel motion: {sources}"

    box = EdgeBox(config, tmp_path, replay=True)
    assert box.wait(300) == 0, box.tail()
    assert box.spooled() == []
    stored = aggregator.events()
    assert sorted(row["event_id"] for row in stored) == sorted(reference)
    for row in stored:
        assert from_dict(row) == reference[row["event_id"]]

    posed = json.loads((tmp_path / "offline" / CAMERA / "summary.json").read_text())["pose_people"]
    finished = re.search(r"finished frames=\d+ events=\d+ pose_people=(\d+)", box.log.read_text())
    assert finished is not None, box.tail()
    if "pose" in keys:
        assert posed > 0, "the shopper at the shelf was never estimated"
    assert int(finished.group(1)) == posed, "the edge estimated other poses than the offline runner"


def test_a_live_box_reports_pose_cost_in_status_and_metrics(tmp_path: Path) -> None:
    config = write_config(tmp_path, endpoint=f"tcp://127.0.0.1:{free_port()}", cameras=(CAMERA,),
                          sources={CAMERA: SCENE}, camera_keys=CASES["pose-model"])  # fmt: skip
    box = EdgeBox(config, tmp_path, replay=False)
    stage = f"events:{CAMERA}"
    try:
        wait_for(lambda: box.counter(stage, "pose_people_total") > 0, timeout_s=180,
                 what=f"a pose estimated at the shelf: {box.stage(stage)}\n{box.tail()}")  # fmt: skip
        counters = box.stage(stage)["counters"]
        assert counters["pose_p50_ms"] >= 0 and counters["pose_p99_ms"] > 0
        metrics = box.metrics()
        assert f'shelfsight_edge_pose_people_total{{camera="{CAMERA}",stage="events"}}' in metrics
        assert f'shelfsight_edge_pose_p99_ms{{camera="{CAMERA}",stage="events"}}' in metrics
        status = run_shelfsight("edge", "status", "--url", box.health)
        assert status.returncode == 0, status.stderr
        assert "pose ms/frame" in status.stdout and "poses" in status.stdout
        box.terminate()
        assert box.wait(60) == 0, box.tail()
    finally:
        box.terminate()
