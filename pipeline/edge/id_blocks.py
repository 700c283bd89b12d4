"""Track ids that stay unique per camera across restarts of its event stage.

Shopper ids are ``{camera}-{track id}`` and a restarted tracker would count from 1 again, so two shoppers
would share an id in the aggregator's journeys. Each live event stage therefore reserves a block of ids on
disk before using it (one small durable write per ``BLOCK`` tracks) and starts above everything reserved
before: a crash at any moment skips ids, never reuses them. Replays start at 1, as the offline runner does.

When the reservation cannot be written (a full disk), the stage does not stop: it counts from tenths of
seconds since 1970 instead, above any block a camera reserves, so a later start that reads the old file still
cannot meet these ids.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from shelfsight.pipeline.durable import write_json_durably

logger = logging.getLogger(__name__)

BLOCK = 100_000


class IdBlocks:
    """The reserved id range of one camera, kept in ``folder/ids-{camera}.json``."""

    def __init__(self, folder: Path, camera_id: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"ids-{camera_id}.json"
        self.first = self._read()
        self.top = self.first
        self.durable = True
        """False once a reservation could not be written: ids then count from the clock (module docstring)."""
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
        if not self.durable:
            return
        try:
            write_json_durably(self.path, {"reserved_below": self.top})
        except OSError as exc:
            self.durable = False
            self.first = max(self.first, int(time.time() * 10))
            self.top = self.first + BLOCK
            logger.error("cannot reserve track ids in %s (%s); counting from %d instead", self.path, exc, self.first)

    def ensure(self, next_id: int) -> None:
        """Reserve further blocks while ``next_id`` is near the top of what is reserved."""
        while next_id >= self.top - BLOCK // 10:
            self.reserve()
