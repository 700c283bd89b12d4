"""A zone's display ``name:`` and the store's ``timezone:``: accepted when sensible, refused with the line and a fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from shelfsight.edge_config.loader import ConfigError, check_config, load_config, load_config_text

BASE = """\
store_id: s1
{timezone}cameras:
  - id: cam-1
    source: "synthetic:one_dwells"
    zones:
      - id: shelf-1
        kind: shelf
{name}        polygon: [[0.1, 0.1], [0.4, 0.1], [0.4, 0.4], [0.1, 0.4]]
"""


def _text(*, timezone: str = "", name: str = "") -> str:
    return BASE.format(
        timezone=f"timezone: {timezone}\n" if timezone else "", name=f"        name: {name}\n" if name else ""
    )


def test_defaults_are_utc_and_no_name() -> None:
    config = load_config_text(_text())
    assert config.timezone == "UTC"
    assert config.zone("shelf-1").name is None


def test_a_name_and_a_time_zone_are_kept() -> None:
    config = load_config_text(_text(timezone="Europe/Paris", name='"Céréales, rayon 3"'))
    assert config.timezone == "Europe/Paris"
    assert config.zone("shelf-1").name == "Céréales, rayon 3"


@pytest.mark.parametrize(
    ("timezone", "name", "key", "line", "message"),
    [
        ("Europe/Pariss", "", "timezone", 2, "unknown time zone 'Europe/Pariss'"),
        ("../../etc/passwd", "", "timezone", 2, "unknown time zone"),
        ("", '"   "', "cameras[0].zones[0].name", 8, "name is only spaces"),
        ("", '"tab\\there"', "cameras[0].zones[0].name", 8, "holds a control character"),
        ("", '"' + "x" * 81 + '"', "cameras[0].zones[0].name", 8, "at most 80 characters"),
        ("", "42", "cameras[0].zones[0].name", 8, "must be text"),
    ],
)
def test_bad_values_are_refused_at_their_line(
    tmp_path: Path, timezone: str, name: str, key: str, line: int, message: str
) -> None:
    path = tmp_path / "store.yaml"
    path.write_text(_text(timezone=timezone, name=name))
    problems = check_config(path, models_dir=tmp_path)
    found = [p for p in problems if p.key_path == key]
    assert found, problems
    assert found[0].line == line and message in found[0].message, found[0]
    assert found[0].fix
    with pytest.raises(ConfigError):
        load_config_text(path.read_text())


def test_the_demo_names_its_shelves_and_sets_a_time_zone() -> None:
    demo = load_config(Path(__file__).parents[2] / "edge_config" / "demo.yaml")
    assert demo.timezone == "Europe/London"
    shelves = [zone for _, zone in demo.iter_zones() if zone.kind == "shelf"]
    assert shelves and all(zone.name for zone in shelves)
