"""`Stage`: the life of every edge stage process, written once. ``main`` sets it up, calls ``step`` until the
stage is asked to stop (SIGTERM, or the supervisor gone) or says it is done (the end of a replay), beating
between steps, then tears it down.

Why one base: each stage used to write its own loop, stop check, heartbeat and clean-up, and the supervisor's
watchdog (`shelfsight.pipeline.edge.watchdog`) relies on every stage beating from its loop. A subclass says what it does
(``setup``, ``step``, ``stopped``) and what it counts (``counters``); the base owns the order. What ``setup``
opens, it hands to ``on_teardown``, so a stage that fails half-way through its setup still closes what it had
opened.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import ClassVar

import zmq

from shelfsight.pipeline.edge.counters import StageCounters
from shelfsight.pipeline.edge.runtime import HeartbeatSender, StageKind, StageSpec, start_process


class Stage(ABC):
    """One stage process (see the module docstring). ``Stage.main`` is what the supervisor runs.

    Attributes:
        kind: Which stage a subclass is (checked against the spec it is given).
        spec: What the supervisor asked for.
        config: The edge config, loaded in this process.
        stopper: Set by SIGTERM/SIGINT or when the supervisor is gone.
        context: The process's ZeroMQ context.
        heartbeat: The beat to the supervisor.
    """

    kind: ClassVar[StageKind]
    counters: StageCounters
    """What the stage counts; sent with every heartbeat. Set by the subclass (its own counters dataclass)."""

    def __init__(self, spec: StageSpec) -> None:
        if spec.stage is not self.kind:
            raise ValueError(f"{type(self).__name__} runs {self.kind} stages, not {spec.stage}")
        self.spec = spec
        self.config, self.stopper, self.context = start_process(spec)
        self._teardown = contextlib.ExitStack()
        self.heartbeat = HeartbeatSender(spec, self.config.store_id, self.context)
        self.on_teardown(self.heartbeat.close)

    @abstractmethod
    def setup(self) -> None:
        """Open sockets, load models; register what needs closing with `on_teardown`."""

    @abstractmethod
    def step(self) -> bool:
        """One turn of the loop, short (a socket poll of about `shelfsight.pipeline.edge.runtime.POLL_MS`, one batch) or
        beating as it goes (a capture streaming its source): the watchdog sees a stage that stops beating as
        stuck. True when the stage is done for good (the end of a replay)."""

    def stopped(self) -> int:
        """Called once the stage is asked to stop (not at the end of a replay): finish what is in hand; returns
        the exit code."""
        self.beat(force=True)
        return 0

    def latencies(self) -> Mapping[str, float]:
        """Extra gauges for the heartbeat (latency quantiles), gathered only when a beat is due."""
        return {}

    def beat(self, *, force: bool = False) -> None:
        """Send a heartbeat if one is due (now, with ``force``)."""
        if force or self.heartbeat.due:
            self.heartbeat.maybe_send(self.counters, self.latencies(), force=force)

    def on_teardown(self, close: Callable[[], object]) -> None:
        """Run ``close`` at teardown (last registered, first run)."""
        self._teardown.callback(close)

    def close_socket(self, socket: zmq.Socket[bytes], linger_ms: int | None = 0) -> zmq.Socket[bytes]:
        """Close ``socket`` at teardown with ``linger_ms`` (None: the socket's own ``LINGER``); returns it."""
        self.on_teardown(lambda: socket.close(linger=linger_ms))
        return socket

    def run(self) -> int:
        """Step until done or asked to stop; returns the process's exit code."""
        while not self.stopper.stopped:
            if self.step():
                return 0
            self.beat()
        return self.stopped()

    def teardown(self) -> None:
        """Close everything registered, in reverse order."""
        self._teardown.close()

    @classmethod
    def main(cls, spec: StageSpec) -> int:
        """Entry point of the stage's process."""
        stage = cls(spec)
        try:
            stage.setup()
            return stage.run()
        finally:
            stage.teardown()
