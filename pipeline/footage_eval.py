"""The real-footage regression set's side effects: running a labelled clip, reading what the run wrote, and the
detector on the labelled frames. The test (tests/pipeline/test_real_footage.py) and the bench
(bench/eval_footage.py) share these, so both judge the same thing; the scoring itself is pure
(`shelfsight.vision.evaluation.footage_scoring`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import yaml
from pydantic import ValidationError

from shelfsight.edge_config import load_config
from shelfsight.edge_config.problems import format_key_path
from shelfsight.edge_config.store import EdgeConfig
from shelfsight.edge_config.yaml_source import line_of, parse_yaml
from shelfsight.pipeline.assembly import build_detector, detector_key
from shelfsight.vision.evaluation.footage_labels import FootageLabels
from shelfsight.vision.evaluation.footage_scoring import ClipScore, predicted_intervals, score_clip, track_persons
from shelfsight.vision.events.codec import from_json
from shelfsight.vision.events.contract import AnyEvent
from shelfsight.vision.tracking.mot import MotTable, read_mot
from shelfsight.vision.video import iter_video, open_video

PROJECT_ROOT = Path(__file__).parents[1]
LABELS_DIR = PROJECT_ROOT / "tests" / "data" / "footage"
CLIPS = ("store_aisle_reach", "supermarket_checkout")
"""The labelled clips: ``LABELS_DIR/<name>.yaml``."""


@dataclass(frozen=True)
class OfflineOutputs:
    """What ``shelfsight run-offline`` wrote into its ``--out`` folder.

    Attributes:
        events: ``events.jsonl``, in order.
        start_epoch: ``summary.json``'s epoch seconds of the first frame (events minus this = clip seconds).
        tracks: ``tracks.txt`` (MOTChallenge, frames numbered from 1).
    """

    events: list[AnyEvent]
    start_epoch: float
    tracks: MotTable


def offline_args(labels: FootageLabels, *, footage_dir: Path, out_dir: Path) -> list[str]:
    """The ``shelfsight`` arguments that run the labelled clip with its config's camera."""
    return [
        "--log-level",
        "WARNING",
        "run-offline",
        str(footage_dir / labels.clip),
        "--config",
        str(PROJECT_ROOT / labels.config),
        "--camera",
        labels.camera,
        "--out",
        str(out_dir),
    ]


def read_offline_outputs(out_dir: Path) -> OfflineOutputs:
    """Read a finished run's events, start time and tracks."""
    lines = (out_dir / "events.jsonl").read_text(encoding="utf-8").splitlines()
    summary = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    return OfflineOutputs(
        events=[from_json(line) for line in lines if line.strip()],
        start_epoch=float(summary["start_epoch"]),
        tracks=read_mot(out_dir / "tracks.txt"),
    )


def labels_config(labels: FootageLabels) -> EdgeConfig:
    """The edge config the labels' zones come from."""
    return load_config(PROJECT_ROOT / labels.config)


def score_outputs(labels: FootageLabels, outputs: OfflineOutputs, config: EdgeConfig) -> ClipScore:
    """Score a run against the labels, with each floor zone's minimum dwell from the config."""
    camera = config.camera(labels.camera)
    min_dwell = {zone.id: config.dwell_rules_for(zone.id).min_dwell_s for zone in camera.zones}
    persons = track_persons(labels, outputs.tracks)
    predicted = predicted_intervals(outputs.events, outputs.start_epoch)
    return score_clip(labels, predicted, persons, min_dwell_s=min_dwell)


def decoded_frame_times(path: Path) -> list[float]:
    """Every frame's decoder position, seconds (the clock run-offline stamps frames with)."""
    capture, _ = open_video(path)
    return [position for _, position, _ in iter_video(capture)]


def detect_labelled_frames(
    labels: FootageLabels, config: EdgeConfig, *, footage_dir: Path, models_dir: Path | None
) -> dict[int, npt.NDArray[np.float32]]:
    """{frame: (n, 4) xyxy} person boxes the camera's detector finds on each labelled frame, at the score the
    tracker treats as a confident detection (the camera's ``conf_threshold``)."""
    camera = config.camera(labels.camera)
    key = detector_key(
        camera,
        config.tracker_for(camera.id),
        config_dir=(PROJECT_ROOT / labels.config).parent,
        models_dir=models_dir,
        max_batch=1,
    )
    detector = build_detector(key)
    wanted = {frame.at.frame for frame in labels.boxes}
    capture, _ = open_video(footage_dir / labels.clip)
    found: dict[int, npt.NDArray[np.float32]] = {}
    for index, _, image in iter_video(capture):
        if index in wanted:
            dets = detector.detect([image])[0]
            found[index] = dets.xyxy[dets.confidence >= camera.detector.conf_threshold]
    return found


class LabelFileError(ValueError):
    """A label file that cannot be used; the message names the file, line and key of every mistake."""


def load_labels(path: Path) -> FootageLabels:
    """Read and validate one label file.

    Raises:
        LabelFileError: ``FILE:LINE: key.path: what is wrong`` for each mistake (or the YAML syntax error).
    """
    try:
        document = parse_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LabelFileError(f"{path}: cannot read labels: {exc}") from exc
    try:
        return FootageLabels.model_validate(document.data)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            line = line_of(document.root, loc) if document.root is not None else 1
            key = format_key_path(loc)
            lines.append(f"{path}:{line}: {key + ': ' if key else ''}{error['msg']}")
        raise LabelFileError("bad label file:\n" + "\n".join(lines)) from None
