"""Anonymous track ids: an injected counter per camera, never a class global.

ByteTrack's class-level ``BaseTrack._count`` and OC_SORT's ``KalmanBoxTracker.count`` share one id space between
every tracker in a process, and resetting one clobbers the others. Here each tracker is handed its own counter,
so two cameras in one process have independent id spaces and no id is ever handed out twice by one counter.
"""

from __future__ import annotations


class IdCounter:
    """Hands out increasing integer ids, starting at ``start``; an id is never handed out twice.

    One counter per camera (pass it to that camera's tracker). Ids are anonymous sequence numbers: they carry no
    information about the person. A Python int never overflows, so the counter can run for the life of the
    process; the tracker keeps no per-id state once a track is dropped, so memory does not grow with the count.
    """

    def __init__(self, start: int = 1) -> None:
        if start < 0:
            raise ValueError(f"IdCounter start must be >= 0, got {start}")
        self._next = start

    def next_id(self) -> int:
        """A fresh id, one more than the last."""
        value = self._next
        self._next += 1
        return value

    @property
    def issued(self) -> int:
        """The next id that will be handed out (so every id below it has been used or skipped)."""
        return self._next
