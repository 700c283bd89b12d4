"""Saving one camera's zones into a config file: the rest of the file is kept, bad zones are refused with the
messages of `shelfsight config check`, and a refused save leaves the file as it was."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shelfsight.edge_config.loader import check_config, load_config
from shelfsight.edge_config.zone_edit import ZoneDraft, ZoneEditError, apply_zones, save_zones

DEMO = Path(__file__).parents[2] / "edge_config" / "demo.yaml"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "store.yaml"
    shutil.copy(DEMO, path)
    return path


def test_an_edit_keeps_comments_other_cameras_and_a_kept_zones_other_keys(config: Path, models_dir: Path) -> None:
    before = config.read_text()
    drafts = [
        ZoneDraft(id="endcap-floor-bottom", kind="aisle", polygon=[(0.1, 0.6), (0.5, 0.6), (0.5, 0.9)]),
        ZoneDraft(id="endcap-new", kind="checkout", polygon=[(0.6, 0.6), (0.912345678, 0.6), (0.9, 0.9)]),
    ]
    assert save_zones(config, "endcap-cam", drafts, models_dir=models_dir) == []
    after = config.read_text()
    assert check_config(config, models_dir=models_dir) == []
    comments = [line for line in before.splitlines() if line.strip().startswith("#")]
    assert [line for line in comments if line not in after] == []  # every comment survives, where it was
    assert after.split("  - id: endcap-cam")[0] == before.split("  - id: endcap-cam")[0]  # other cameras untouched
    loaded = load_config(config)
    aisle, endcap = loaded.cameras
    assert [z.id for z in aisle.zones] == [z.id for z in load_config(DEMO).cameras[0].zones]
    assert [z.id for z in endcap.zones] == ["endcap-floor-bottom", "endcap-new"]
    assert endcap.zones[0].dwell is not None and endcap.zones[0].dwell.min_dwell_s == 3  # its dwell: override kept
    assert endcap.zones[0].shelf_id is None  # an aisle names no shelf: the old shelf_id went with the old kind
    assert endcap.zones[1].polygon[1] == (0.9123, 0.6)  # 4 decimals
    assert "polygon: [[0.6, 0.6], [0.9123, 0.6], [0.9, 0.9]]" in after  # one line, as people write them
    # The comment heading the next section stays before it, not inside the appended zone.
    assert after.index("      - id: endcap-new") < after.index("# Where events go.") < after.index("aggregator:")


def test_a_bad_zone_is_refused_with_config_checks_messages_and_the_file_is_unchanged(
    config: Path, models_dir: Path
) -> None:
    before = config.read_bytes()
    bow_tie = [(0.1, 0.6), (0.5, 0.9), (0.5, 0.6), (0.1, 0.9)]
    drafts = [
        ZoneDraft(id="endcap-floor-top", kind="standing", polygon=bow_tie, shelf_id="no-such-shelf"),
        ZoneDraft(id="aisle-shelf-left", kind="shelf", polygon=[(0.1, 0.1), (0.4, 0.1), (0.4, 0.4)]),  # taken id
    ]
    problems = save_zones(config, "endcap-cam", drafts, models_dir=models_dir)
    assert config.read_bytes() == before
    assert not list(config.parent.glob(".store.yaml.*")), "the checked copy must not be left behind"
    # The same problems `config check` reports for the same text, under the real file's name.
    same = config.parent / "same.yaml"
    same.write_text(apply_zones(before.decode(), "endcap-cam", drafts))
    expected = [str(p).replace(str(same), str(config)) for p in check_config(same, models_dir=models_dir)]
    assert [str(p) for p in problems] == expected
    text = "\n".join(expected)
    assert "cross each other (a bow-tie outline)" in text
    assert "no-such-shelf" in text and "aisle-shelf-left" in text
    assert all(p.path == str(config) and p.line is not None for p in problems)


def test_a_repeated_id_is_refused_not_merged(config: Path, models_dir: Path) -> None:
    before = config.read_bytes()
    outline = [(0.1, 0.1), (0.2, 0.1), (0.2, 0.2)]
    drafts = [ZoneDraft(id="endcap-shelf-top", kind="shelf", polygon=outline)] * 2
    problems = save_zones(config, "endcap-cam", drafts, models_dir=models_dir)
    assert any("endcap-shelf-top" in p.message for p in problems), problems
    assert config.read_bytes() == before


def test_an_unknown_camera_or_a_file_that_is_not_yaml_is_an_edit_error(config: Path) -> None:
    draft = ZoneDraft(id="z", kind="aisle", polygon=[(0.1, 0.1), (0.2, 0.1), (0.2, 0.2)])
    with pytest.raises(ZoneEditError, match="no camera 'nope'"):
        save_zones(config, "nope", [draft])
    config.write_text("cameras: [\n")
    with pytest.raises(ZoneEditError, match="not valid YAML"):
        save_zones(config, "endcap-cam", [draft])
