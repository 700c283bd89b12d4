"""`shelfsight eval ...`: accuracy against ground truth: `tracks` (TrackEval on MOTChallenge files), `events`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from shelfsight.cli.options import fail
from shelfsight.vision.evaluation.event_metrics import associate_tracks, score_events, shopper_mapping
from shelfsight.vision.evaluation.track_metrics import evaluate_tracks
from shelfsight.vision.events.codec import EventDecodeError, from_json
from shelfsight.vision.events.contract import AnyEvent
from shelfsight.vision.tracking.mot import MotFormatError, read_mot

app = typer.Typer(
    help="Accuracy against ground truth: tracks (HOTA, IDF1, MOTA) and events (precision, recall, F1).",
    no_args_is_help=True,
)

ExistingFile = Annotated[Path, typer.Option(exists=True, dir_okay=False)]

ROWS = (
    ("HOTA", "hota"),
    ("DetA", "deta"),
    ("AssA", "assa"),
    ("IDF1", "idf1"),
    ("MOTA", "mota"),
    ("MOTP", "motp"),
    ("ID switches", "id_switches"),
    ("Fragmentations", "fragmentations"),
    ("Mostly tracked", "mostly_tracked"),
    ("Mostly lost", "mostly_lost"),
    ("False positives", "false_positives"),
    ("False negatives", "false_negatives"),
    ("GT ids", "gt_ids"),
    ("Predicted ids", "pred_ids"),
    ("Frames", "frames"),
)


@app.command()
def tracks(
    gt: Annotated[Path, typer.Option(help="Ground truth, MOTChallenge gt.txt.", exists=True, dir_okay=False)],
    pred: Annotated[Path, typer.Option(help="Tracker results, MOTChallenge.", exists=True, dir_okay=False)],
    min_visibility: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Ground-truth boxes less visible than this are 'don't care'.")
    ] = 0.25,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")] = False,
) -> None:
    """Score tracker results against ground truth: HOTA, IDF1, MOTA, ID switches, fragmentation (TrackEval)."""
    try:
        metrics = evaluate_tracks(read_mot(gt), read_mot(pred), min_visibility=min_visibility)
    except (MotFormatError, ValueError) as exc:
        fail(exc, code=2)
    values = metrics.as_dict()
    if as_json:
        typer.echo(json.dumps(values))
        return
    for label, key in ROWS:
        value = values[key]
        typer.echo(f"{label:<16} {value:.4f}" if isinstance(value, float) else f"{label:<16} {value}")


def _read_events(path: Path) -> list[AnyEvent]:
    try:
        return [from_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except EventDecodeError as exc:
        fail(f"{path}: {exc}", code=2)


def _mot_rows(path: Path) -> np.ndarray:
    table = read_mot(path)
    return np.column_stack([table.frame, table.track_id, table.tlwh])


@app.command()
def events(
    gt: Annotated[Path, typer.Option(help="True events, JSON lines.", exists=True, dir_okay=False)],
    pred: Annotated[Path, typer.Option(help="Predicted events, JSON lines.", exists=True, dir_okay=False)],
    gt_tracks: Annotated[
        Path | None, typer.Option(help="True tracks (MOTChallenge), to match shoppers.", exists=True, dir_okay=False)
    ] = None,
    pred_tracks: Annotated[
        Path | None, typer.Option(help="Predicted tracks (MOTChallenge), same frame numbering.", exists=True)
    ] = None,
    tolerance_s: Annotated[float, typer.Option(min=0.0, help="Largest start/end time difference, s.")] = 3.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object keyed by event type.")] = False,
) -> None:
    """Score events against true events: precision, recall, F1 per type and the dwell-time error.

    Shoppers are compared only when both track files are given (see docs/evaluation.md for the rules).
    """
    truth, predicted = _read_events(gt), _read_events(pred)
    shoppers = None
    if gt_tracks is not None and pred_tracks is not None:
        try:
            association = associate_tracks(_mot_rows(gt_tracks), _mot_rows(pred_tracks))
        except (MotFormatError, ValueError) as exc:
            fail(exc, code=2)
        shoppers = shopper_mapping(association, truth, predicted)
    scores = score_events(truth, predicted, shoppers=shoppers, time_tolerance_s=tolerance_s)
    values = scores.as_dict()
    if as_json:
        typer.echo(json.dumps(values))
        return
    typer.echo(
        f"{'type':<8} {'true':>5} {'pred':>5} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>7} {'F1':>6}"
    )
    for kind, row in values.items():
        typer.echo(
            f"{kind:<8} {row['true']:>5} {row['predicted']:>5} {row['tp']:>4} {row['fp']:>4} {row['fn']:>4} "
            f"{row['precision']:>9.3f} {row['recall']:>7.3f} {row['f1']:>6.3f}"
        )
    dwell = values["dwell"]
    typer.echo(f"dwell error: median {dwell['dwell_error_median_s']} s, p90 {dwell['dwell_error_p90_s']} s")
