"""Running the installed `shelfsight` command from tests, as a user would: a real subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SHELFSIGHT = str(Path(sys.executable).parent / "shelfsight")


def run_shelfsight(*args: str, timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``shelfsight ARGS``; returns the finished process with text stdout/stderr (never raises on failure)."""
    return subprocess.run([SHELFSIGHT, *args], capture_output=True, text=True, timeout=timeout_s, check=False)
