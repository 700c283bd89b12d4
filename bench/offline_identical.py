"""Are two sets of ``shelfsight run-offline`` outputs byte-identical? For refactors that promise no behaviour change.

Each folder holds one sub-folder per run (e.g. per library scenario), each with ``events.jsonl``, ``tracks.txt``
and ``summary.json`` as ``run-offline --out`` writes them. Events and tracks must match byte for byte; in
``summary.json`` only ``seconds`` (wall time) may differ. Render the scenarios once (``shelfsight synth render
NAME --out R/NAME``) and run both code versions on the same files with a fixed ``--start-time``. The packages
install as ``shelfsight.<folder>`` (docs/architecture.md), so another checkout ``/tmp/old-tree`` goes ahead of the
editable install through a folder holding a ``shelfsight`` link to it:

    mkdir /tmp/old-path && ln -s /tmp/old-tree /tmp/old-path/shelfsight
    PYTHONPATH=/tmp/old-path shelfsight run-offline R/NAME/video.mp4 --config R/NAME/edge_config.yaml \\
        --start-time 1767603600 --out BEFORE/NAME

(a tree from before the namespace: ``PYTHONPATH=/tmp/old-tree`` and the ``shelfsight`` script of a venv installed
from such a tree), then

    python -m bench.offline_identical BEFORE AFTER

Exit status 0 when every run is identical, 1 otherwise (each difference is printed).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

WALL_CLOCK_FIELDS = ("seconds",)
"""``summary.json`` fields that measure the machine, not the run."""


def differences(before: Path, after: Path) -> list[str]:
    """What differs between two runs' folders (empty when identical but for wall-clock fields)."""
    found = []
    for name in ("events.jsonl", "tracks.txt"):
        old, new = before / name, after / name
        if not old.exists() or not new.exists():
            found.append(f"{name}: missing in {before if not old.exists() else after}")
        elif old.read_bytes() != new.read_bytes():
            found.append(f"{name}: differs ({old.stat().st_size} vs {new.stat().st_size} bytes)")
    old_summary, new_summary = (json.loads((d / "summary.json").read_text()) for d in (before, after))
    for field in WALL_CLOCK_FIELDS:
        old_summary.pop(field, None)
        new_summary.pop(field, None)
    if old_summary != new_summary:
        found.append(f"summary.json: {old_summary} vs {new_summary}")
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    before_root, after_root = (Path(arg) for arg in argv)
    runs = sorted({p.name for p in before_root.iterdir() if p.is_dir()} | {p.name for p in after_root.iterdir()})
    failed = 0
    for run in runs:
        if not (before_root / run).is_dir() or not (after_root / run).is_dir():
            print(f"{run}: only in one of the two folders")
            failed += 1
            continue
        found = differences(before_root / run, after_root / run)
        events = (after_root / run / "events.jsonl").read_text().count("\n")
        print(f"{run}: {'identical' if not found else 'DIFFERENT'} ({events} events)")
        for line in found:
            print(f"  {line}")
        failed += bool(found)
    print(f"{len(runs) - failed} of {len(runs)} runs identical")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
