"""The README's examples work as written once `make demo` has found the models (issue 15: `config check`,
`detect` and `models list` all failed right after it, reading another models folder than `make`)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration  # starts processes, servers or a browser

ROOT = Path(__file__).resolve().parents[1]
SHELFSIGHT = str(Path(sys.executable).parent / "shelfsight")


def _examples() -> list[list[str]]:
    """The `shelfsight` lines of the README's Examples block, as argument lists (comments dropped)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Examples\n.*?```bash\n(.*?)```", text, re.DOTALL)
    assert block is not None, "README.md has no Examples block"
    lines = [line.split("#", 1)[0].strip() for line in block.group(1).splitlines()]
    return [shlex.split(line) for line in lines if line.startswith(".venv/bin/shelfsight ")]


def test_readme_examples_run_with_the_models_folder_of_make_demo(
    models_dir: Path, footage_dir: Path, tmp_path: Path
) -> None:
    examples = _examples()
    assert [e[1] for e in examples] == ["config", "models", "detect", "tokens"]
    # As after `make demo`: the models are in the folder every command reads (here the setting, as CI sets it).
    env = {**os.environ, "SHELFSIGHT_MODELS_DIR": str(models_dir), "COLUMNS": "200"}  # the table unwrapped
    for example in examples[:3]:  # `tokens create` needs a running aggregator: tests/dashboard/test_tokens_running.py
        command = [SHELFSIGHT, *example[1:]]
        command = [arg.replace("../shared/footage", str(footage_dir)) for arg in command]
        command = [str(tmp_path / "detect") if arg == "runs/detect" else arg for arg in command]
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, f"{shlex.join(example)}: {done.stdout}{done.stderr}"
        if example[1] == "models":
            rows = {line.split("│")[1].strip(): line for line in done.stdout.splitlines() if line.count("│") > 3}
            assert "yes" in rows["yolox_nano_416"] and "yes" in rows["reid_retail_0287"], done.stdout
    assert list((tmp_path / "detect").iterdir()), "detect wrote nothing"
