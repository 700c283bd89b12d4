"""Room held back on the spool's disk, so that acknowledged events can still be deleted when the disk is full.

On a full disk SQLite cannot even delete: every transaction, deletes included, appends to the write-ahead
log first. The publisher would then fail on every ack, keep events the aggregator already has, and send them
again after each restart. So the publisher's spool keeps a preallocated file of `reserve_size` bytes beside
the database; when a delete fails for lack of space it gives the file back to the filesystem and deletes
again, which frees the spool's pages for new events. The file is made again once the disk has room.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
from pathlib import Path

logger = logging.getLogger(__name__)

RESERVE_MOST_BYTES = 4 * 1024 * 1024
RESERVE_SHARE = 0.05
"""At most this share of the filesystem (a 64 MiB test filesystem keeps 3.2 MiB back)."""


def reserve_size(folder: Path) -> int:
    """Bytes to hold back on ``folder``'s filesystem: 4 MiB, or 5 % of a small filesystem."""
    return int(min(RESERVE_MOST_BYTES, shutil.disk_usage(folder).total * RESERVE_SHARE))


def is_disk_full(exc: BaseException) -> bool:
    """True for the errors a full disk gives: ``ENOSPC``/``EDQUOT``, or SQLite's ``SQLITE_FULL``."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL" or "disk is full" in str(exc)


class DiskReserve:
    """One reserve file.

    Args:
        path: The file (beside the spool database).
        size: Bytes it holds when present.
    """

    def __init__(self, path: Path, size: int) -> None:
        self.path, self.size = path, size

    @property
    def held(self) -> bool:
        """The reserve is on disk (not given back)."""
        return self.path.exists()

    def ensure(self) -> bool:
        """Make the file when it is missing and the disk has room for it twice over; True when it is held."""
        if self.held:
            return True
        try:
            if shutil.disk_usage(self.path.parent).free < 2 * self.size:
                return False
            descriptor = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:  # another process made it just now
            return True
        except OSError as exc:
            logger.warning("cannot make the spool's disk reserve %s: %s", self.path, exc)
            return False
        try:
            os.posix_fallocate(descriptor, 0, self.size)  # real blocks, not a sparse file
            os.fsync(descriptor)
        except OSError as exc:
            logger.warning("cannot fill the spool's disk reserve %s: %s", self.path, exc)
            os.close(descriptor)
            self.release()
            return False
        os.close(descriptor)
        logger.info("spool disk reserve held: %s (%d bytes)", self.path, self.size)
        return True

    def release(self) -> bool:
        """Give the reserve's space back to the filesystem; True when there was one to give."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
            logger.warning("disk full: released the spool's disk reserve (%d bytes) to delete acked events", self.size)
            return True
        return False
