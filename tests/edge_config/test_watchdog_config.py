"""The ``watchdog:`` section: generous defaults, bounds, and `shelfsight config check` naming the key."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from shelfsight.cli import config_cmd
from shelfsight.edge_config import ConfigError, load_config_text
from shelfsight.edge_config.store import EdgeConfig
from shelfsight.edge_config.watchdog import WatchdogConfig

ConfigBuilder = Callable[..., dict[str, Any]]
WriteConfig = Callable[[dict[str, Any] | str], Path]


def _problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config_text(text)
    return [f"{p.key_path}: {p.message}" for p in caught.value.problems]


def test_defaults_leave_a_warming_detector_alone(minimal_store_config: ConfigBuilder) -> None:
    watchdog = EdgeConfig.model_validate(minimal_store_config()).watchdog
    assert watchdog == WatchdogConfig()
    assert watchdog.stuck_after_s >= 60  # stages beat once a second: a minute of silence is a hang
    assert watchdog.first_beat_within_s >= 600  # a TensorRT engine build takes minutes before the first beat


@pytest.mark.parametrize(
    ("watchdog", "key", "expected"),
    [
        ({"stuck_after_s": 1}, "watchdog.stuck_after_s", "must be >= 10"),
        ({"stuck_after_s": "60"}, "watchdog.stuck_after_s", "number"),
        ({"first_beat_within_s": 100000}, "watchdog.first_beat_within_s", "must be <= 86400"),
        ({"stuck_after_s": 300, "first_beat_within_s": 60}, "watchdog.first_beat_within_s", "shorter than"),
        ({"stuck_after": 60}, "watchdog.stuck_after", "stuck_after_s"),
    ],
)
def test_bad_values_name_the_key(
    minimal_store_config: ConfigBuilder, watchdog: dict[str, Any], key: str, expected: str
) -> None:
    problems = _problems(yaml.safe_dump(minimal_store_config({"watchdog": watchdog})))
    assert any(line.startswith(f"{key}: ") and expected in line for line in problems), problems


def test_config_check_reports_the_line(
    minimal_store_config: ConfigBuilder, write_config: WriteConfig, fake_models_dir: Path
) -> None:
    path = write_config(minimal_store_config({"watchdog": {"stuck_after_s": 9}}))
    result = CliRunner().invoke(config_cmd.app, ["check", str(path), "--models-dir", str(fake_models_dir)])
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if "watchdog.stuck_after_s: must be >= 10" in line]
    assert lines and re.match(rf"{re.escape(str(path))}:\d+: watchdog", lines[0]), result.stdout
