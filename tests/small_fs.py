"""A small real filesystem for disk-full tests: a tmpfs with a size limit, mounted by the test itself.

Mounting needs root (CI runs as root on the same kind of machine as development). When the mount fails the
test fails and says why: it never skips, so CI cannot pass without having filled a disk.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def small_filesystem(path: Path, size_mib: int) -> Iterator[Path]:
    """Mount a ``size_mib`` MiB tmpfs at ``path`` (created) for the block; unmounted afterwards."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mib}m,mode=0755", "tmpfs", str(path)],
                             capture_output=True, text=True, check=False)  # fmt: skip
    if mounted.returncode != 0:
        why = mounted.stderr.strip() or f"exit code {mounted.returncode}"
        pytest.fail(f"cannot mount a {size_mib} MiB tmpfs at {path} for the disk-full test: {why} (it needs root, "
                    "as CI has)", pytrace=False)  # fmt: skip
    try:
        yield path
    finally:
        subprocess.run(["umount", "--lazy", str(path)], capture_output=True, check=False)


def fill(folder: Path, name: str = "filler") -> Path:
    """Write a file into ``folder`` until its filesystem has no byte left; returns the file (delete it to free)."""
    path = folder / name
    descriptor = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
    try:
        for chunk in (1 << 20, 1 << 16, 1 << 12, 1 << 9, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(descriptor, bytes(chunk))
    finally:
        os.close(descriptor)
    return path
