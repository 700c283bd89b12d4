"""Track ids that stay unique per camera across restarts of its event stage.

Shopper ids are ``{camera}-{track id}`` and a restarted tracker would count from 1 again, so two shoppers
would share an id in the aggregator's journeys. Each live event stage therefore reserves a block of ids on
disk before using it (one small durable write per ``BLOCK`` tracks) and starts above everything reserved
before: a crash at any moment skips ids, never reuses them. Replays start at 1, as the offline runner does.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

BLOCK = 100_000


class IdBlocks:
    """The reserved id range of one camera, kept in ``folder/ids-{camera}.json``."""

    def __init__(self, folder: Path, camera_id: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"ids-{camera_id}.json"
        self.first = self._read()
        self.top = self.first
        self.reserve()

    def _read(self) -> int:
        """Where the last start's reservation ended; 1 for a new camera; for an unreadable file, a number
        above any count a camera reaches (tenths of seconds since 1970), so nothing is reused."""
        try:
            return max(1, int(json.loads(self.path.read_text())["reserved_below"]))
        except FileNotFoundError:
            return 1
        except (OSError, ValueError, KeyError, TypeError):
            return int(time.time() * 10)

    def reserve(self) -> None:
        """Claim the next block: ids below the new top are never handed out by a later start."""
        self.top += BLOCK
        temporary = self.path.with_suffix(".tmp")
        with temporary.open("w") as out:
            json.dump({"reserved_below": self.top}, out)
            out.flush()
            os.fsync(out.fileno())
        temporary.replace(self.path)

    def ensure(self, next_id: int) -> None:
        """Reserve further blocks while ``next_id`` is near the top of what is reserved."""
        while next_id >= self.top - BLOCK // 10:
            self.reserve()
