"""The hand-label files of the real-footage regression set: the committed ones load, bad ones are refused clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from shelfsight.pipeline.footage_eval import CLIPS, LABELS_DIR, LabelFileError, load_labels

GOOD = """\
clip: x.mp4
config: x.yaml
camera: cam
size: [640, 480]
frames: 50
persons:
  - {id: ann, role: shopper, looks: red coat}
boxes:
  - at: {frame: 3, s: 0.3}
    people:
      - {person: ann, box: [10, 10, 60, 200]}
reaches:
  - person: ann
    zone: top
    hand: right
    start: {frame: 10, s: 1.0}
    end: {frame: 20, s: 2.0}
    taken: none
dwells:
  - {person: ann, zone: front, entered: {frame: 0, s: 0.0}, left: {frame: 49, s: 4.9}}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "labels.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("clip", CLIPS)
def test_the_committed_label_files_load(clip: str) -> None:
    labels = load_labels(LABELS_DIR / f"{clip}.yaml")
    assert labels.reaches and labels.dwells and len(labels.boxes) >= 4
    for frame in labels.boxes:  # every visible person's box, each under a known label
        assert {b.person for b in frame.people} <= {p.id for p in labels.persons}


def test_a_good_file_loads(tmp_path: Path) -> None:
    labels = load_labels(_write(tmp_path, GOOD))
    assert labels.reaches[0].end.s == 2.0 and labels.frame_times()[49] == 4.9
    assert labels.zones() == {"top", "front"}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("hand: right", "hand: rigth"), ":15: reaches[0].hand: Input should be 'left', 'right', 'both' or 'unknown'"),
        (("taken: none", "taken: none\n    colour: red"), ":19: reaches[0].colour: Extra inputs are not permitted"),
        (("end: {frame: 20, s: 2.0}", "end: {frame: 5, s: 0.5}"), ":13: reaches[0]: Value error, ends (frame 5"),
        (("taken: none", "taken: unknown"), "taken: unknown needs `why`"),
        (("person: ann\n    zone", "person: bob\n    zone"), "reaches[0]: person 'bob' is not in persons (ann)"),
        (("left: {frame: 49", "left: {frame: 50"), "dwells[0]: frame 50 is past the clip's last frame 49"),
        (("[10, 10, 60, 200]", "[10, 10, 660, 200]"), "ann's box leaves the 640x480 frame"),
        (("[10, 10, 60, 200]", "[60, 10, 10, 200]"), "box must be x1 < x2"),
    ],
)
def test_a_bad_file_names_the_line_key_and_fault(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    path = _write(tmp_path, GOOD.replace(*change, 1))
    with pytest.raises(LabelFileError) as caught:
        load_labels(path)
    assert str(path) in str(caught.value)
    assert expected in str(caught.value)


def test_broken_yaml_is_reported_with_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("size: [640, 480]", "size: [640, 480"))
    with pytest.raises(LabelFileError, match=r"labels\.yaml: cannot read labels: while parsing"):
        load_labels(path)
