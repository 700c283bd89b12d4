"""The real-footage regression set, every figure: `shelfsight run-offline` on each hand-labelled clip, scored
against its labels (tests/data/footage/*.yaml; rules in docs/shelf-events.md).

Per clip: reaches labelled / predicted / matched, recall and precision (interval IoU >= 0.3, same shelf and
person), the pick-ups and put-backs no labelled reach explains, dwells (IoU >= 0.5), the tracks identified by the
labelled boxes, and the detector's recall of the labelled person boxes.

    python -m bench.eval_footage            # print
    python -m bench.eval_footage --write    # and write bench/results/footage.json and its bench/README.md table
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.report import machine_facts, write_section
from shelfsight.models.registry import models_folder
from shelfsight.pipeline.footage_eval import (
    CLIPS,
    LABELS_DIR,
    detect_labelled_frames,
    labels_config,
    load_labels,
    offline_args,
    read_offline_outputs,
    score_outputs,
)
from shelfsight.vision.evaluation.footage_scoring import BoxScore, ClipScore, Predicted, person_box_recall

SHELFSIGHT = str(Path(sys.executable).parent / "shelfsight")
FOOTAGE_ENV = "SHELFSIGHT_FOOTAGE_DIR"


@dataclass(frozen=True)
class ClipFigures:
    """Every figure of one clip."""

    name: str
    clip: str
    frames: int
    detect_fps: float
    score: ClipScore
    boxes: BoxScore
    events: dict[str, int]

    def as_dict(self) -> dict[str, object]:
        return {
            "clip": self.clip, "frames": self.frames, "detect_fps": self.detect_fps, **self.score.as_dict(),
            "person_boxes": self.boxes.as_dict(), "events": self.events,
        }  # fmt: skip


def evaluate(name: str, footage_dir: Path, out_dir: Path) -> ClipFigures:
    """Run one labelled clip through run-offline and score it."""
    labels = load_labels(LABELS_DIR / f"{name}.yaml")
    done = subprocess.run(
        [SHELFSIGHT, *offline_args(labels, footage_dir=footage_dir, out_dir=out_dir)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"run-offline failed on {labels.clip}:\n{done.stderr}")
    config = labels_config(labels)
    outputs = read_offline_outputs(out_dir)
    found = detect_labelled_frames(labels, config, footage_dir=footage_dir, models_dir=models_folder())
    return ClipFigures(
        name=name, clip=labels.clip, frames=int(json.loads((out_dir / "summary.json").read_text())["frames"]),
        detect_fps=config.camera(labels.camera).detect_fps, score=score_outputs(labels, outputs, config),
        boxes=person_box_recall(labels, found), events=dict(sorted(Counter(e.type for e in outputs.events).items())),
    )  # fmt: skip


def table(results: list[ClipFigures]) -> str:
    """The README table: one row per clip, then the false pick-ups and put-backs one by one."""
    head = ("| clip | frames (detect fps) | reaches labelled / predicted / matched | reach recall | reach precision "
            "| false pick-ups / put-backs | dwells labelled / predicted / matched | dwell recall | dwell precision "
            "| tracks identified | person boxes found / labelled (recall) |")  # fmt: skip
    lines, notes = [head, "|" + "---|" * 11], []
    for r in results:
        reach, dwell, box, changes = r.score.reaches, r.score.dwells, r.boxes, r.score.false_changes
        pickups = sum(c.type == "pickup" for c in changes)
        lines.append(
            f"| {r.name} | {r.frames} ({r.detect_fps:g}) | {reach.labelled} / {reach.predicted} / {reach.matched} "
            f"| {reach.recall:.2f} | {reach.precision:.2f} | {pickups} / {len(changes) - pickups} | "
            f"{dwell.labelled} / {dwell.predicted} / {dwell.matched} | {dwell.recall:.2f} | {dwell.precision:.2f} "
            f"| {len(r.score.persons)} | {box.found} / {box.labelled} ({box.recall:.2f}) |"
        )
        notes += [f"- {r.name}: missed {kind} of {t.person} in {t.place}, {t.start_s:.2f}-{t.end_s:.2f} s"
                  for kind, score in (("reach", reach), ("dwell", dwell)) for t in score.missed()]  # fmt: skip
        notes += [f"- {r.name}: false {p.type} in {p.place} by {_who(r, p)}, {p.start_s:.2f}-{p.end_s:.2f} s"
                  for score in (reach, dwell) for p in score.unmatched()]  # fmt: skip
        notes += [f"- {r.name}: {c.type} where nothing was taken, on {c.place} by {_who(r, c)}, "
                  f"{c.start_s:.2f}-{c.end_s:.2f} s" for c in changes]  # fmt: skip
    return "\n".join([*lines, "", *notes])


def _who(figures: ClipFigures, event: Predicted) -> str:
    person = figures.score.persons.get(event.track_id) if event.track_id is not None else None
    return f"track {event.track_id} ({person or 'unidentified'})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="Write bench/results/footage.json and the table.")
    parser.add_argument("--keep", type=Path, help="Keep each run's events, tracks and summary here.")
    args = parser.parse_args()
    footage = os.environ.get(FOOTAGE_ENV)
    if not footage:
        raise SystemExit(f"set {FOOTAGE_ENV} to the shared footage folder (the Makefile does)")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        for name in CLIPS:
            results.append(evaluate(name, Path(footage), root / name))
            print(json.dumps({name: results[-1].as_dict()}, indent=1), flush=True)
    text = table(results)
    print(text)
    if args.write:
        out = Path(__file__).parent / "results" / "footage.json"
        data = {"machine": machine_facts(), "clips": {r.name: r.as_dict() for r in results}}
        out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        write_section("footage", text)


if __name__ == "__main__":
    main()
