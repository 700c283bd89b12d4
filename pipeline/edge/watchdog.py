"""Is a stage whose process still runs stuck? The supervisor's rule, kept pure so it is tested without processes.

Like Frigate's watchdog, a stage is judged by what it last said, not by whether its process exists: every stage
beats about once a second from its loop (`shelfsight.pipeline.edge.runtime.HeartbeatSender`), so a process that runs but
has not beaten for ``watchdog.stuck_after_s`` is hung somewhere (a driver, a deadlock, a call that never
returns). Before its first beat a stage is loading and warming up its models, which may take minutes, so it
gets ``watchdog.first_beat_within_s`` instead. An idle stage is not stuck: its loop polls and beats anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

from shelfsight.edge_config.watchdog import WatchdogConfig

STOP_GRACE_S = 5.0
"""Seconds a stuck stage has to stop on SIGTERM (its handler only sets a flag that a hung loop never reads)
before it is killed."""


@dataclass(frozen=True)
class Silence:
    """How long a stage has said nothing, and how long it was allowed to.

    Attributes:
        silent_s: Seconds since its last heartbeat (since its start, before the first one).
        allowed_s: The watchdog setting that applies.
        started: Whether it had sent a first heartbeat.
    """

    silent_s: float
    allowed_s: float
    started: bool

    @property
    def stuck(self) -> bool:
        return self.silent_s > self.allowed_s

    def describe(self) -> str:
        """``stuck: no heartbeat for 121 s`` (or ``... since it started``), for logs and ``last_exit``."""
        what = "no heartbeat" if self.started else "no first heartbeat"
        return f"stuck: {what} for {self.silent_s:.0f} s (limit {self.allowed_s:g} s)"


def silence(*, now: float, started_at: float, heard_at: float | None, settings: WatchdogConfig) -> Silence:
    """The stage's silence at ``now``; all times ``time.monotonic()`` seconds of the supervisor.

    Args:
        now: The current time.
        started_at: When its process was started.
        heard_at: When its last heartbeat arrived, None before the first.
        settings: The edge config's ``watchdog`` section.
    """
    if heard_at is None:
        return Silence(now - started_at, settings.first_beat_within_s, started=False)
    return Silence(now - heard_at, settings.stuck_after_s, started=True)
