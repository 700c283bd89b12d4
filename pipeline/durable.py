"""Small state files that survive a crash or a power cut: written whole (temporary file, fsync, rename) or not."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def write_json_durably(path: Path, data: dict[str, Any]) -> None:
    """Replace ``path`` with ``data`` as JSON atomically: a reader sees the old or the new file, never half of one.

    Raises:
        OSError: When it cannot be written (a full disk: the old file is left as it was).
    """
    temporary = path.with_suffix(path.suffix + ".tmp")
    try:
        with temporary.open("w") as out:
            json.dump(data, out)
            out.flush()
            os.fsync(out.fileno())
        temporary.replace(path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise
