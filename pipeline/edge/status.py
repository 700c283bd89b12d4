"""The edge box's state as the supervisor sees it: one typed snapshot for ``/status``, ``/metrics``, ``/healthz``
and ``shelfsight edge status``, and the one rule that says what is wrong with the box.

The snapshot crosses a process boundary (the health endpoint's JSON, read back by ``edge status`` and the
demo), so it is a pydantic model: the supervisor builds it, ``model_dump`` gives the JSON, and
``model_validate`` reads it back with a clear error when a box answers with something else.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shelfsight.pipeline.edge.runtime import StageKind


class StageStatus(BaseModel):
    """One supervised stage.

    Attributes:
        name: ``stage`` or ``stage:camera`` (unique on the box).
        stage: Which stage it is.
        camera: Its camera, ``*`` for the box-wide stages.
        pid: The current process, None before the first start.
        alive: The process runs.
        done: Finished for good (a replay's end, or the box stopped).
        restarts: Starts after the first, whatever the cause.
        stuck_restarts: Of those, how many followed a hang (no heartbeat for ``watchdog.stuck_after_s``).
        last_exit: How the last process ended (``exit code 1``, ``killed by SIGKILL``, ``stuck: ...``).
        heartbeat_age_s: Seconds since the current process's last heartbeat; None before its first.
        counters: The last heartbeat's counters, by name (totals end in ``_total``).
    """

    model_config = ConfigDict(extra="ignore")

    name: str
    stage: StageKind
    camera: str = "*"
    pid: int | None = None
    alive: bool
    done: bool = False
    restarts: int = Field(default=0, ge=0)
    stuck_restarts: int = Field(default=0, ge=0)
    last_exit: str | None = None
    heartbeat_age_s: float | None = None
    counters: dict[str, float] = Field(default_factory=dict)

    @property
    def down(self) -> bool:
        """Should run and does not."""
        return not (self.alive or self.done)

    @property
    def disk_full(self) -> bool:
        """Its spool cannot store events (or keep its reserve): frames are being dropped."""
        return self.counters.get("disk_full", 0) > 0

    def state(self) -> str:
        """``up``, ``done`` or ``DOWN (how it ended)``, with ``, DISK FULL`` when so."""
        text = "up" if self.alive else ("done" if self.done else f"DOWN ({self.last_exit})")
        return text + (", DISK FULL" if self.disk_full else "")


class EdgeStatus(BaseModel):
    """The whole box: what ``GET /status`` answers.

    Attributes:
        store_id: The box's store.
        config: Path of the edge config it runs.
        replay: Whether it replays files (and exits at their end).
        uptime_s: Seconds since the supervisor started.
        bad_heartbeats: Heartbeats the supervisor dropped as malformed or from an unknown stage.
        errors: Times the supervisor's own loop failed (and went on).
        stages: Every stage, in start order.
    """

    model_config = ConfigDict(extra="ignore")

    store_id: str
    config: str = ""
    replay: bool = False
    uptime_s: float = 0.0
    bad_heartbeats: int = Field(default=0, ge=0)
    errors: int = Field(default=0, ge=0)
    stages: list[StageStatus] = Field(default_factory=list)


def problems(state: EdgeStatus) -> list[str]:
    """What is wrong with the box, one line each: a stage that should run and does not, a spool that cannot
    store events or delete acknowledged ones because its disk is full."""
    found = []
    for stage in state.stages:
        if stage.down:
            found.append(f"{stage.name} is down ({stage.last_exit})")
        if stage.disk_full:
            found.append(f"{stage.name}: the spool's disk is full (frames are dropped until it has room)")
    return found


def healthy(state: EdgeStatus) -> bool:
    """Nothing in `problems`."""
    return not problems(state)
