"""The formatter owns the layout of the product code (issue 16): no ``# fmt: skip`` / ``# fmt: off`` in the
packages it covers, so `ruff format` lays out every line."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("vision", "pipeline", "dashboard", "edge_config", "models", "cli", "transport")
SUPPRESSION = re.compile(r"#\s*fmt:\s*(skip|off)\b")


def test_no_formatter_suppressions_in_product_code() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SUPPRESSION.search(line)
    ]
    assert sum(1 for _ in (ROOT / "vision").rglob("*.py")) > 10  # the packages are where this test looks
    assert not found, f"remove these and let `ruff format` lay the lines out: {found}"
