"""Event accuracy on synthetic scenarios: render, run the offline pipeline, score against the truth.

For each scenario (a library name or ``random-SEED``): the synthetic store writes the video, the edge config,
the MOT truth and the true events; ``run_offline`` produces events and tracks with the pipeline an edge box runs
(the camera's detector and tracker settings, ReID, and a pose model: BlazePose full by default, ``--pose none``
for the motion fallback); predicted shoppers are mapped to true ones through the track association; then
precision, recall and F1 per event type and the dwell-duration error.

Random scenarios come through a real store camera's faults, drawn from each seed (jitter and drift, H.264 at
a CCTV bitrate, noise, exposure steps, motion blur, dense packaging, shoppers in place at the start, and the
view: see docs/synthetic.md); ``--clean`` renders them with a perfect camera instead, as before the faults.

    python -m bench.eval_events one_takes_item one_takes_and_returns      # tuning set
    python -m bench.eval_events --random 20 --first-seed 5000 --write --jobs 2   # a held-out set, results to bench/
    python -m bench.eval_events --random 20 --first-seed 5000 --clean     # the same crowds, a perfect camera
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from bench.report import write_section
from shelfsight.edge_config import load_config
from shelfsight.edge_config.pose import DEFAULT_POSE_MODEL, PoseConfig
from shelfsight.pipeline.assembly import DetectorKey, build_detector, build_pose, build_tracker, detector_key
from shelfsight.pipeline.offline import OfflineRun, run_offline
from shelfsight.pipeline.sources import open_file
from shelfsight.vision.detector.onnx import OnnxDetector
from shelfsight.vision.evaluation.event_metrics import EventScores, associate_tracks, score_events, shopper_mapping
from shelfsight.vision.events.codec import from_json
from shelfsight.vision.events.contract import AnyEvent
from shelfsight.vision.synthetic.library import resolve_scenario
from shelfsight.vision.synthetic.random_scenario import random_scenario
from shelfsight.vision.synthetic.scenario import Scenario
from shelfsight.vision.synthetic.story import build_story
from shelfsight.vision.synthetic.writer import write_outputs

DEFAULT_POSE = DEFAULT_POSE_MODEL
"""The harness measures what an edge box with a pose model does (``--pose none``: the motion fallback)."""

TYPES = ("dwell", "touch", "pickup", "putback")


def _events(path: Path) -> list[AnyEvent]:
    return [from_json(line) for line in path.read_text().splitlines() if line.strip()]


def _mot(path: Path) -> np.ndarray:
    rows = [[float(v) for v in line.split(",")[:6]] for line in path.read_text().splitlines() if line.strip()]
    return np.array(rows, float).reshape(-1, 6)


def scenario_for(ref: str, *, clean: bool) -> Scenario:
    """The scenario ``ref`` names; with ``clean``, a random one without the camera's faults."""
    match = re.fullmatch(r"random-(\d+)", ref)
    if clean and match:
        return random_scenario(int(match.group(1)), clean=True)
    if clean and ref.startswith("random?"):
        return resolve_scenario(f"{ref}&clean=1")
    return resolve_scenario(ref)


def evaluate(
    ref: str,
    folder: Path,
    detectors: dict[DetectorKey, OnnxDetector],
    *,
    clean: bool = False,
    pose: str | None = DEFAULT_POSE,
) -> EventScores:
    """Render scenario ``ref`` into ``folder`` (a random one without faults when ``clean``), run the pipeline as an
    edge box would (the camera's tracker settings, ReID, the pose model ``pose`` or none), and score it."""
    outputs = write_outputs(build_story(scenario_for(ref, clean=clean)), folder / "truth")
    config = load_config(outputs.edge_config)
    camera = config.cameras[0]
    if pose is not None:
        camera = camera.model_copy(update={"pose": PoseConfig(model=pose)})
    tracker_config = config.tracker_for(camera.id)
    key = detector_key(camera, tracker_config, config_dir=outputs.edge_config.parent, models_dir=None)
    detector = detectors.get(key) or detectors.setdefault(key, build_detector(key))
    tracker = build_tracker(camera, tracker_config, models_dir=None)
    start = json.loads(outputs.truth_json.read_text())["start_epoch_s"]
    assert outputs.video is not None
    source = open_file(camera.id, outputs.video, replay=True, start_epoch=start)
    pose_model = build_pose(camera, config_dir=outputs.edge_config.parent, models_dir=None)
    run = OfflineRun(source, outputs.video.name, config, camera, detector, tracker, folder / "pred", pose=pose_model)
    result = run_offline(run)
    truth, predicted = _events(outputs.events), _events(result.events_path)
    association = associate_tracks(_mot(outputs.gt), _mot(result.tracks_path))
    return score_events(truth, predicted, shoppers=shopper_mapping(association, truth, predicted))


_WORKER_DETECTORS: dict[DetectorKey, OnnxDetector] = {}
"""Each worker process's detectors, kept across the scenarios it evaluates."""


def _evaluate_in_worker(ref: str, root: Path, clean: bool, pose: str | None) -> EventScores:
    """``evaluate`` in a pool process (its detectors live as long as the process)."""
    return evaluate(ref, root / ref, _WORKER_DETECTORS, clean=clean, pose=pose)


def _row(name: str, scores: EventScores) -> str:
    cells = []
    for kind in TYPES:
        s = scores.by_type[kind]
        true, pred = s.true_positives + s.false_negatives, s.true_positives + s.false_positives
        cells.append(f"{s.f1:.2f} ({s.true_positives}/{true}/{pred})" if true or pred else "-")
    median = scores.dwell_error_median_s
    return f"| {name} | " + " | ".join(cells) + f" | {'-' if median is None else f'{median:.2f}'} |"


def pooled(all_scores: Sequence[EventScores]) -> EventScores:
    """Scores summed over scenarios (micro-average), dwell errors pooled."""
    from shelfsight.vision.evaluation.event_metrics import TypeScore

    by_type = {
        kind: TypeScore(
            sum(s.by_type[kind].true_positives for s in all_scores),
            sum(s.by_type[kind].false_positives for s in all_scores),
            sum(s.by_type[kind].false_negatives for s in all_scores),
        )
        for kind in TYPES
    }
    return EventScores(by_type, tuple(e for s in all_scores for e in s.dwell_errors_s))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="*", help="Library names or random-SEED.")
    parser.add_argument("--random", type=int, default=0, help="Add this many random scenarios.")
    parser.add_argument("--first-seed", type=int, default=5000)
    parser.add_argument("--keep", type=Path, help="Keep the rendered and predicted files here.")
    parser.add_argument("--write", action="store_true", help="Write bench/results/events_accuracy.json and a table.")
    parser.add_argument(
        "--clean", action="store_true", help="Random scenarios with a perfect camera (no faults), as before."
    )
    parser.add_argument(
        "--pose", default=DEFAULT_POSE, help="Pose model of the camera (a manifest name or path); 'none': motion."
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="Scenarios evaluated at once, a process each (the pipeline uses one core)."
    )
    args = parser.parse_args()
    refs = list(args.scenarios) + [f"random-{args.first_seed + i}" for i in range(args.random)]
    pose = None if args.pose == "none" else args.pose
    lines = ["| scenario | dwell F1 (tp/true/pred) | touch F1 | pickup F1 | putback F1 | dwell err median s |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    all_scores = []
    with tempfile.TemporaryDirectory() as tmp, ProcessPoolExecutor(max(1, args.jobs)) as pool:
        root = args.keep or Path(tmp)
        n = len(refs)
        # Rows come back in scenario order whatever finishes first, so the table is the same for any --jobs.
        scored = pool.map(_evaluate_in_worker, refs, [root] * n, [args.clean] * n, [pose] * n)
        for ref, scores in zip(refs, scored, strict=True):
            all_scores.append(scores)
            lines.append(_row(ref, scores))
            print(lines[-1], flush=True)
    total = pooled(all_scores)
    lines.append(_row("**all (pooled)**", total))
    p90 = total.dwell_error_p90_s
    camera = "a perfect camera (--clean)" if args.clean else "the camera faults drawn from each seed"
    camera += f"; pose model: {args.pose}"
    table = (
        "\n".join(lines)
        + f"\n\nDwell duration error: median {total.dwell_error_median_s} s, p90 {p90} s. Random scenarios: {camera}."
    )
    print(table)
    if args.write:
        out = Path(__file__).parent / "results" / "events_accuracy.json"
        out.parent.mkdir(exist_ok=True)
        results = {"scenarios": refs, "clean": args.clean, "pose": args.pose, "pooled": total.as_dict()}
        out.write_text(json.dumps(results, indent=2) + "\n")
        write_section("events_accuracy", table)


if __name__ == "__main__":
    main()
