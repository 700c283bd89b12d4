"""Track ids of a live camera are never reused across restarts of its event stage."""

from __future__ import annotations

from pathlib import Path

from shelfsight.pipeline.edge.id_blocks import BLOCK, IdBlocks


def test_each_start_begins_above_everything_reserved_before(tmp_path: Path) -> None:
    first = IdBlocks(tmp_path, "cam-1")
    assert first.first == 1 and first.top == 1 + BLOCK
    first.ensure(BLOCK)  # near the top: another block is claimed before the ids run out
    assert first.top == 1 + 2 * BLOCK
    second = IdBlocks(tmp_path, "cam-1")  # a restart, even one that used none of its ids
    assert second.first == first.top
    assert IdBlocks(tmp_path, "cam-2").first == 1  # per camera


def test_a_damaged_file_skips_far_ahead_rather_than_reuse(tmp_path: Path) -> None:
    (tmp_path / "ids-cam-1.json").write_text("{not json")
    assert IdBlocks(tmp_path, "cam-1").first > 10**10
