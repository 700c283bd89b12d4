"""``shelfsight config check`` and ``shelfsight config schema``, in-process and as the installed command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from shelfsight.cli import config_cmd
from shelfsight.edge_config.schema import SCHEMA_PATH

pytestmark = pytest.mark.integration  # starts processes, servers or a browser

DEMO = Path(__file__).parents[2] / "edge_config" / "demo.yaml"
SHELFSIGHT = Path(sys.executable).parent / "shelfsight"


def test_check_good_file_prints_summary(fake_models_dir: Path) -> None:
    result = CliRunner().invoke(config_cmd.app, ["check", str(DEMO), "--models-dir", str(fake_models_dir)])
    assert result.exit_code == 0, result.output
    assert "OK, store 'demo-store': 2 camera(s) (aisle-cam, endcap-cam), 8 zone(s)" in result.stdout


def test_check_bad_file_prints_every_problem(bad_five_copy: Path) -> None:
    result = CliRunner().invoke(config_cmd.app, ["check", str(bad_five_copy)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 5
    assert lines[0] == f"{bad_five_copy}:8: dwell.exit_grace_s: must be >= 0 seconds, got -2 (fix: use a value >= 0)"
    assert all(line.startswith(f"{bad_five_copy}:") and "(fix: " in line for line in lines)
    assert "5 problems" in result.stderr


def test_models_dir_comes_from_the_environment(fake_models_dir: Path) -> None:
    runner = CliRunner()
    assert (
        runner.invoke(
            config_cmd.app, ["check", str(DEMO)], env={"SHELFSIGHT_MODELS_DIR": str(fake_models_dir)}
        ).exit_code
        == 0
    )
    empty = str(fake_models_dir.parent / "empty")
    assert runner.invoke(config_cmd.app, ["check", str(DEMO)], env={"SHELFSIGHT_MODELS_DIR": empty}).exit_code == 1


def test_schema_check_and_write(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(config_cmd.app, ["schema", "--check"]).exit_code == 0, f"{SCHEMA_PATH} is stale"
    target = tmp_path / "schema.json"
    stale = runner.invoke(config_cmd.app, ["schema", "--check", "--output", str(target)])
    assert stale.exit_code == 1
    assert "run `shelfsight config schema`" in stale.stderr
    assert runner.invoke(config_cmd.app, ["schema", "--output", str(target)]).exit_code == 0
    assert target.read_text(encoding="utf-8") == SCHEMA_PATH.read_text(encoding="utf-8")


def test_installed_command_reports_the_five_mistakes(bad_five_copy: Path) -> None:
    assert SHELFSIGHT.is_file(), f"{SHELFSIGHT} missing: install the project (pip install -e .)"
    result = subprocess.run(
        [str(SHELFSIGHT), "config", "check", str(bad_five_copy)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(": ")[0] for line in lines] == [f"{bad_five_copy}:{n}" for n in (8, 13, 18, 32, 35)]
