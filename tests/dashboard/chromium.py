"""Headless Chromium (Debian's ``chromium`` package) driven from its command line, for the page screenshots.

Each call is one browser process; calls share a profile folder, so the cookie the sign-in link sets is sent by
the later calls, as in one user's browser. ``--virtual-time-budget`` lets scripts (plotly, the sign-in form)
run before the DOM is dumped or the screenshot taken.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser")
SCRIPT_TIME_MS = 5000
"""Virtual milliseconds pages get to run scripts (plotly draws in well under one)."""
CALL_TIMEOUT_S = 90.0


def chromium_path() -> str:
    """The browser, or a test failure that says how to get it (never a skip: CI must run the browser test)."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("chromium is not installed: `bash .ci/chromium.sh` installs it (`make test` and CI do)", pytrace=False)


@dataclass(frozen=True)
class Browser:
    """One user's headless browser: a binary and a profile folder (cookies persist between calls)."""

    binary: str
    profile: Path

    def _run(self, url: str, *options: str) -> str:
        command = [self.binary, "--headless", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                   "--disable-extensions", "--disable-dev-shm-usage", f"--user-data-dir={self.profile}",
                   f"--virtual-time-budget={SCRIPT_TIME_MS}", *options]  # fmt: skip
        if os.geteuid() == 0:
            command.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox (CI containers).
        done = subprocess.run([*command, url], capture_output=True, text=True, timeout=CALL_TIMEOUT_S, check=False)
        assert done.returncode == 0, f"chromium exited with {done.returncode}: {done.stderr[-2000:]}"
        return done.stdout

    def dom(self, url: str) -> str:
        """The page's DOM after its scripts ran (redirects and form submits followed)."""
        return self._run(url, "--dump-dom")

    def screenshot(self, url: str, path: Path, *, width: int, height: int) -> Path:
        """A PNG of the first ``width`` x ``height`` CSS pixels of the page."""
        self._run(url, f"--screenshot={path}", f"--window-size={width},{height}")
        assert path.is_file(), f"chromium wrote no screenshot to {path}"
        return path
