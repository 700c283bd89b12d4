"""`shelfsight events schema|validate`, run as the installed command."""

from __future__ import annotations

from pathlib import Path
from subprocess import CompletedProcess

import pytest

from shelfsight.vision.events.codec import to_json
from tests.cli import run_shelfsight
from tests.vision.events.event_samples import sample_event

pytestmark = pytest.mark.integration  # starts processes, servers or a browser


def _run(*args: str) -> CompletedProcess[str]:
    return run_shelfsight(*args, timeout_s=60)


def test_committed_events_schema_is_current() -> None:
    done = _run("events", "schema", "--check")
    assert done.returncode == 0, done.stderr


def test_stale_schema_is_reported(tmp_path: Path) -> None:
    stale = tmp_path / "events.schema.json"
    stale.write_text("{}\n")
    assert _run("events", "schema", "--check", "--output", str(stale)).returncode == 1
    assert _run("events", "schema", "--output", str(stale)).returncode == 0
    assert _run("events", "schema", "--check", "--output", str(stale)).returncode == 0


def test_validate_counts_types_and_names_bad_lines(tmp_path: Path) -> None:
    feed = tmp_path / "events.jsonl"
    good = [to_json(sample_event(kind)) for kind in ("dwell", "pickup", "pickup", "camera_status")]
    feed.write_text("\n".join([*good[:2], '{"schema_version": "1.0", "type": "dwel"}', *good[2:]]) + "\n")
    done = _run("events", "validate", str(feed))
    assert done.returncode == 1
    assert done.stdout.strip().startswith(f"{feed}:3: unknown event type 'dwel'")
    assert "4 valid (camera_status=1, dwell=1, pickup=2), 1 invalid" in done.stderr
