"""Scoring the events of ``shelfsight run-offline`` on a real clip against its hand labels.

Rules (docs/shelf-events.md, "Real-footage regression set"):

* Times: predicted events carry epoch seconds; the run's ``start_epoch`` (``summary.json``) turns them into
  seconds of the clip, the clock of the labels.
* Shoppers: predicted shopper ids end in a tracker id; each track is given to the labelled person its boxes
  overlap (IoU >= 0.5) on the most labelled frames (``tracks.txt`` against the labelled boxes). A prediction from
  a mapped track must be of the same person; one from a track that overlaps no labelled box (a fragment living
  between labelled frames) may match anyone, and is counted as ``identity_unknown``.
* Reaches: touch, pick-up and put-back events are reaches. A labelled reach and a predicted one match when they
  are in the same shelf zone (events are per shelf: a reach given to the wrong shelf is a wrong event), of the
  same person (above) and their intervals overlap by IoU >= 0.3. One-to-one, the largest total IoU (Hungarian).
  Recall = matched / labelled reaches; precision = matched / predicted reaches.
* A pick-up is false unless it overlaps (same rules) a labelled reach that took an item or whose outcome is
  unknown; a put-back likewise needs a reach that put one. In particular every pick-up or put-back where the
  labels say nothing was taken is false.
* Dwells: matched like reaches (same floor zone, same person) at IoU >= 0.5. Labelled visits shorter than their
  zone's ``min_dwell_s`` are pass-bys: not expected, but a dwell predicted on one is not false either.
* Labels marked ``uncertain`` are neither required nor counted against a prediction that matches them; events
  of persons (and zones) the labels list under ``not_labelled`` are ignored.

Pure functions: events, tracks and labels in, dataclasses out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy.optimize import linear_sum_assignment

from shelfsight.vision.evaluation.event_metrics import associate_tracks, track_id_of
from shelfsight.vision.evaluation.footage_labels import DwellLabel, FootageLabels, ReachLabel
from shelfsight.vision.events.contract import AnyEvent
from shelfsight.vision.tracking.matching import iou_matrix
from shelfsight.vision.tracking.mot import MotTable

REACH_TYPES = ("touch", "pickup", "putback")
REACH_MIN_IOU = 0.3
DWELL_MIN_IOU = 0.5
BOX_MIN_IOU = 0.5
_NO_MATCH = 1e9


@dataclass(frozen=True)
class Predicted:
    """One predicted interval event in seconds of the clip.

    Attributes:
        type: ``touch``, ``pickup``, ``putback`` or ``dwell``.
        place: Its shelf (reaches) or floor zone (dwells).
        track_id: The tracker id at the end of its shopper id, or None.
        start_s: Interval start, seconds from the clip's first frame.
        end_s: Interval end, seconds.
    """

    type: str
    place: str
    track_id: int | None
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Truth:
    """One labelled interval (a reach or a dwell) in the form matching needs."""

    person: str
    place: str
    start_s: float
    end_s: float
    required: bool


@dataclass(frozen=True)
class Match:
    """A labelled interval (index into the truth list) paired with a predicted one."""

    truth: int
    predicted: int
    iou: float


@dataclass(frozen=True)
class IntervalScore:
    """Counts of one kind (reaches or dwells) on one clip.

    Attributes:
        labelled: Labels the pipeline must find (not uncertain; dwells: at least their zone's min_dwell_s).
        predicted: Predictions counted (those of not_labelled persons left out; those matching an uncertain or
            pass-by label too).
        matched: Required labels matched.
        ignored: Predictions left out.
        identity_unknown: Matches made by a track no labelled box identifies.
        truth: The labels (what ``Match.truth`` indexes), for reports.
        candidates: The predictions not ignored (what ``Match.predicted`` indexes), for reports.
        matches: Every match, for reports.
    """

    labelled: int
    predicted: int
    matched: int
    ignored: int
    identity_unknown: int
    truth: tuple[Truth, ...] = field(default=(), repr=False)
    candidates: tuple[Predicted, ...] = field(default=(), repr=False)
    matches: tuple[Match, ...] = field(default=(), repr=False)

    def missed(self) -> list[Truth]:
        """Required labels no prediction matched."""
        matched = {m.truth for m in self.matches}
        return [t for i, t in enumerate(self.truth) if i not in matched and t.required]

    def unmatched(self) -> list[Predicted]:
        """Predictions that matched no label: the false ones."""
        matched = {m.predicted for m in self.matches}
        return [p for j, p in enumerate(self.candidates) if j not in matched]

    @property
    def recall(self) -> float:
        return self.matched / self.labelled if self.labelled else 1.0

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 1.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "labelled": self.labelled,
            "predicted": self.predicted,
            "matched": self.matched,
            "recall": round(self.recall, 4),
            "precision": round(self.precision, 4),
            "ignored": self.ignored,
            "identity_unknown": self.identity_unknown,
        }


@dataclass(frozen=True)
class ClipScore:
    """Everything scored on one clip.

    Attributes:
        reaches: Reach recall and precision.
        false_changes: Pick-ups and put-backs no labelled reach explains.
        dwells: Dwell recall and precision.
        persons: {track id: labelled person} from the boxes.
    """

    reaches: IntervalScore
    false_changes: tuple[Predicted, ...]
    dwells: IntervalScore
    persons: dict[int, str]

    def as_dict(self) -> dict[str, object]:
        return {
            "reaches": self.reaches.as_dict(),
            "false_pickups": sum(p.type == "pickup" for p in self.false_changes),
            "false_putbacks": sum(p.type == "putback" for p in self.false_changes),
            "false_changes": [
                {
                    "type": p.type,
                    "place": p.place,
                    "track": p.track_id,
                    "start_s": round(p.start_s, 2),
                    "end_s": round(p.end_s, 2),
                }
                for p in self.false_changes
            ],
            "dwells": self.dwells.as_dict(),
            "persons": {str(track): person for track, person in sorted(self.persons.items())},
        }


def interval_iou(a_start: float, a_end: float, b_start: float, b_end: float) -> float:
    """Intersection over union of two closed intervals, seconds; two equal instants overlap fully."""
    inter = min(a_end, b_end) - max(a_start, b_start)
    if inter < 0:
        return 0.0
    union = max(a_end, b_end) - min(a_start, b_start)
    return inter / union if union > 0 else 1.0


def predicted_intervals(events: Iterable[AnyEvent], start_epoch: float) -> list[Predicted]:
    """Reach and dwell events as intervals in clip seconds (``start_epoch``: summary.json's first-frame time)."""
    out = []
    for event in events:
        if event.type not in (*REACH_TYPES, "dwell"):
            continue
        place = getattr(event, "zone_id" if event.type == "dwell" else "shelf_id", None)
        track = track_id_of(str(getattr(event, "shopper_id", "")))
        start, end = float(getattr(event, "ts_start", event.ts)), float(getattr(event, "ts_end", event.ts))
        out.append(Predicted(event.type, str(place), track, start - start_epoch, end - start_epoch))
    return out


def track_persons(labels: FootageLabels, tracks: MotTable, *, min_iou: float = BOX_MIN_IOU) -> dict[int, str]:
    """{track id: person} for tracks whose boxes overlap a labelled person's on the most labelled frames.

    ``tracks`` numbers frames from 1 (MOTChallenge, as run-offline writes them); labels from 0.
    """
    names = sorted({b.person for frame in labels.boxes for b in frame.people})
    rows = [
        [frame.at.frame + 1, names.index(b.person), b.box[0], b.box[1], b.box[2] - b.box[0], b.box[3] - b.box[1]]
        for frame in labels.boxes
        for b in frame.people
    ]
    truth = np.array(rows, np.float64).reshape(-1, 6)
    predicted = np.column_stack([tracks.frame, tracks.track_id, tracks.tlwh]).astype(np.float64)
    return {track: names[person] for track, person in associate_tracks(truth, predicted, iou_threshold=min_iou).items()}


def match_intervals(
    truth: Sequence[Truth], predicted: Sequence[Predicted], persons: Mapping[int, str], *, min_iou: float
) -> list[Match]:
    """One-to-one matches of the same place and person (when the track is identified), IoU >= ``min_iou``."""
    if not truth or not predicted:
        return []
    cost = np.full((len(truth), len(predicted)), _NO_MATCH)
    for i, t in enumerate(truth):
        for j, p in enumerate(predicted):
            person = _person_of(p, persons)
            if t.place != p.place or (person is not None and person != t.person):
                continue
            iou = interval_iou(t.start_s, t.end_s, p.start_s, p.end_s)
            if iou >= min_iou:
                cost[i, j] = -iou
    rows, cols = linear_sum_assignment(cost)
    return [Match(int(r), int(c), -float(cost[r, c])) for r, c in zip(rows, cols, strict=True) if cost[r, c] < 0]


def _person_of(event: Predicted, persons: Mapping[int, str]) -> str | None:
    return persons.get(event.track_id) if event.track_id is not None else None


def _score_intervals(
    truth: Sequence[Truth], predicted: Sequence[Predicted], persons: Mapping[int, str], *, min_iou: float, ignored: int
) -> IntervalScore:
    matches = match_intervals(truth, predicted, persons, min_iou=min_iou)
    counted = [m for m in matches if truth[m.truth].required]
    excused = len(matches) - len(counted)  # matched an uncertain or pass-by label: neither right nor wrong
    unknown = sum(predicted[m.predicted].track_id not in persons for m in counted)
    return IntervalScore(
        labelled=sum(t.required for t in truth),
        predicted=len(predicted) - excused,
        matched=len(counted),
        ignored=ignored,
        identity_unknown=unknown,
        truth=tuple(truth),
        candidates=tuple(predicted),
        matches=tuple(matches),
    )


def _split_ignored(predicted: Sequence[Predicted], keep: Callable[[Predicted], bool]) -> tuple[list[Predicted], int]:
    kept = [p for p in predicted if keep(p)]
    return kept, len(predicted) - len(kept)


def _reach_truth(reach: ReachLabel) -> Truth:
    return Truth(reach.person, reach.zone, reach.start.s, reach.end.s, required=not reach.uncertain)


def _dwell_truth(dwell: DwellLabel, min_dwell_s: Mapping[str, float]) -> Truth:
    """A visit shorter than its zone's minimum dwell is a pass-by: not required."""
    long_enough = dwell.left.s - dwell.entered.s >= min_dwell_s.get(dwell.zone, 0.0)
    return Truth(dwell.person, dwell.zone, dwell.entered.s, dwell.left.s, required=long_enough and not dwell.uncertain)


def score_clip(
    labels: FootageLabels,
    predicted: Sequence[Predicted],
    persons: Mapping[int, str],
    *,
    min_dwell_s: Mapping[str, float],
    reach_min_iou: float = REACH_MIN_IOU,
    dwell_min_iou: float = DWELL_MIN_IOU,
) -> ClipScore:
    """Score one clip's predicted intervals (`predicted_intervals`) against its labels (rules above).

    Args:
        labels: The clip's labels.
        predicted: Its predicted reach and dwell events, clip seconds.
        persons: {track id: person} (`track_persons`).
        min_dwell_s: Each floor zone's minimum dwell, seconds (from the edge config): shorter visits are pass-bys.
        reach_min_iou: Interval IoU a reach match needs.
        dwell_min_iou: Interval IoU a dwell match needs.
    """

    def labelled(kind: Literal["reaches", "dwells"]) -> Callable[[Predicted], bool]:
        return lambda p: not labels.ignores(kind, _person_of(p, persons), p.place)

    reaches, ignored_reaches = _split_ignored([p for p in predicted if p.type in REACH_TYPES], labelled("reaches"))
    reach_truth = [_reach_truth(r) for r in labels.reaches]
    reach_score = _score_intervals(reach_truth, reaches, persons, min_iou=reach_min_iou, ignored=ignored_reaches)
    dwells, ignored_dwells = _split_ignored([p for p in predicted if p.type == "dwell"], labelled("dwells"))
    dwell_truth = [_dwell_truth(d, min_dwell_s) for d in labels.dwells]
    dwell_score = _score_intervals(dwell_truth, dwells, persons, min_iou=dwell_min_iou, ignored=ignored_dwells)
    false_changes = _false_changes(labels.reaches, reaches, persons, min_iou=reach_min_iou)
    return ClipScore(reach_score, tuple(false_changes), dwell_score, dict(persons))


_EXPLAINS = {"pickup": ("taken", "unknown"), "putback": ("put", "unknown")}


def _false_changes(
    labelled: Sequence[ReachLabel], predicted: Sequence[Predicted], persons: Mapping[int, str], *, min_iou: float
) -> list[Predicted]:
    """Pick-ups and put-backs that no labelled reach able to cause them overlaps (an uncertain reach may)."""
    false = []
    for kind, outcomes in _EXPLAINS.items():
        able = [_reach_truth(r) for r in labelled if r.taken in outcomes or r.uncertain]
        for change in (p for p in predicted if p.type == kind):
            if not match_intervals(able, [change], persons, min_iou=min_iou):
                false.append(change)
    return false


@dataclass(frozen=True)
class BoxScore:
    """Labelled person boxes against detector boxes on the labelled frames.

    Attributes:
        labelled: Boxes a detector must find (not ``hard``).
        found: Of those, matched one-to-one by a detection at IoU >= 0.5.
        hard: Hard boxes (not required; a detection on one is not false either).
        detections: Detections on the labelled frames.
        unmatched: Detections matching no labelled box.
    """

    labelled: int
    found: int
    hard: int
    detections: int
    unmatched: int

    @property
    def recall(self) -> float:
        return self.found / self.labelled if self.labelled else 1.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "labelled": self.labelled,
            "found": self.found,
            "recall": round(self.recall, 4),
            "hard": self.hard,
            "detections": self.detections,
            "unmatched": self.unmatched,
        }


def person_box_recall(
    labels: FootageLabels, detections: Mapping[int, np.ndarray], *, min_iou: float = BOX_MIN_IOU
) -> BoxScore:
    """Match each labelled frame's boxes with that frame's detections (``{frame: (n, 4) xyxy pixels}``)."""
    found = hard = required = total = unmatched = 0
    for frame in labels.boxes:
        boxes = np.array([b.box for b in frame.people], np.float64)
        is_hard = np.array([b.hard is not None for b in frame.people])
        dets = np.asarray(detections.get(frame.at.frame, np.zeros((0, 4))), np.float64).reshape(-1, 4)
        iou = iou_matrix(boxes, dets)
        rows, cols = linear_sum_assignment(-iou) if iou.size else (np.zeros(0, int), np.zeros(0, int))
        hit = iou[rows, cols] >= min_iou
        found += int(np.sum(hit & ~is_hard[rows]))
        required += int(np.sum(~is_hard))
        hard += int(np.sum(is_hard))
        total += len(dets)
        unmatched += len(dets) - int(np.sum(hit))
    return BoxScore(labelled=required, found=found, hard=hard, detections=total, unmatched=unmatched)
