"""Which `shelfsight serve` processes run on this machine, and on which database: so `shelfsight tokens ...`
without ``--db`` works on the aggregator the user is looking at (the demo's is ``runs/demo/shelfsight.db``, not
the ``./shelfsight.db`` a bare default would create and fill with a token nobody can use).

Each server leaves one small JSON file per process in ``~/.cache/shelfsight/running/`` (owner-only: a database
URL may hold a password) and removes it when it stops; a file whose process is gone is ignored and removed.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

RUNNING_DIR = Path("~/.cache/shelfsight/running")


@dataclass(frozen=True)
class RunningAggregator:
    """One live `shelfsight serve`: its process id, database (an absolute SQLite path or a URL) and dashboard URL."""

    pid: int
    db: str
    url: str


def _folder() -> Path:
    return RUNNING_DIR.expanduser()


def absolute_db(db: str) -> str:
    """``db`` with a SQLite file path made absolute (URLs such as ``postgresql://`` are returned unchanged), so the
    record means the same file whatever directory `tokens` is run from."""
    return db if "://" in db else str(Path(db).expanduser().resolve())


def announce(db: str, url: str) -> Path | None:
    """Record this process as a running aggregator; returns the record's path (None when it cannot be written: a
    read-only home only loses the convenience, never the server)."""
    folder = _folder()
    path = folder / f"aggregator-{os.getpid()}.json"
    record = RunningAggregator(os.getpid(), absolute_db(db), url)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(asdict(record), handle)
    except OSError as exc:
        logger.info("cannot record the running aggregator in %s: %s", folder, exc)
        return None
    return path


def withdraw(path: Path | None) -> None:
    """Remove the record `announce` wrote (at the server's stop)."""
    if path is not None:
        path.unlink(missing_ok=True)


def running_aggregators() -> list[RunningAggregator]:
    """The aggregators whose process still runs, oldest record first; records of dead processes are removed."""
    found = []
    for path in sorted(_folder().glob("aggregator-*.json"), key=lambda p: p.stat().st_mtime):
        try:
            record = RunningAggregator(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            continue
        if _alive(record.pid):
            found.append(record)
        else:
            path.unlink(missing_ok=True)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
