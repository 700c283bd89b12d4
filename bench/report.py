"""Writing benchmark results into bench/README.md, one marked section per benchmark, and machine facts."""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path

README = Path(__file__).parent / "README.md"


def machine_facts() -> dict[str, str]:
    """CPU model and core count: every figure in bench/ is only comparable on the same machine."""
    cpu = platform.processor() or "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        match = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        cpu = match.group(1).strip() if match else cpu
    return {"cpu": cpu, "cores": str(os.cpu_count()), "system": platform.system()}


def write_section(name: str, body: str) -> None:
    """Replace (or append) the ``<!-- bench:NAME -->`` ... ``<!-- /bench:NAME -->`` block of bench/README.md."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    text = README.read_text(encoding="utf-8") if README.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + f"\n\n{block}\n"
    README.write_text(text, encoding="utf-8")
