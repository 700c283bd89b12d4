"""The supervisor: starts every stage of the box as its own process, restarts the ones that die, and stops
them in order.

Stages (one process each): a capture per camera, one detector, a track+events stage per camera, one
publisher. A stage that exits when it should not (crash, ``kill -9``, out of memory) is restarted after a
backoff (0.5 s doubling to 30 s; reset once it has run a minute), and the log says how it ended. A stage
whose process runs but whose heartbeats stopped (hung) is stopped and restarted the same way: the watchdog
(`shelfsight.pipeline.edge.watchdog`, the config's ``watchdog:``). Heartbeats from the stages are kept for the health
endpoint (`shelfsight.pipeline.edge.health`) as a typed snapshot (`shelfsight.pipeline.edge.status`).

Shutdown (SIGTERM, SIGINT, or the end of a replay) goes upstream first: captures stop reading, the event
stages take what is still queued, close open visits and spool them, then the detector and the publisher
stop. Replay ends when every event stage has finished and the spool has drained to the aggregator (or the
drain timeout passed: the events stay on disk for the next run).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.process
import os
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import zmq

from shelfsight.edge_config import load_config
from shelfsight.pipeline.edge import capture, detect, events, publish
from shelfsight.pipeline.edge.counters import PublisherCounters
from shelfsight.pipeline.edge.runtime import MAX_SMALL_MESSAGE_BYTES, EdgeLayout, StageKind, StageSpec, stage_name
from shelfsight.pipeline.edge.status import EdgeStatus, StageStatus
from shelfsight.pipeline.edge.watchdog import STOP_GRACE_S, silence
from shelfsight.transport.envelope import MessageError, decode, shown
from shelfsight.transport.messages import Heartbeat

logger = logging.getLogger(__name__)

STAGE_MAINS: dict[StageKind, Callable[[StageSpec], int]] = {
    StageKind.CAPTURE: capture.main,
    StageKind.DETECTOR: detect.main,
    StageKind.EVENTS: events.main,
    StageKind.PUBLISHER: publish.main,
}
MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": "131072", "MALLOC_ARENA_MAX": "2"}
"""glibc settings for the stage processes: frame-sized buffers (about 1 MB) always come from mmap and go back
to the system when freed, and ZeroMQ's I/O threads share two heaps, so weeks of frames cannot fragment the
heap into ever more resident memory."""
RESTART_FIRST_S = 0.5
RESTART_MAX_S = 30.0
HEALTHY_RUN_S = 60.0
"""A stage that ran this long before dying starts its backoff afresh."""


def _stage_entry(spec: StageSpec) -> None:
    """What a stage process runs (module level, so the spawn start method can import it)."""
    raise SystemExit(STAGE_MAINS[spec.stage](spec))


@dataclass(frozen=True)
class EdgeOptions:
    """How ``shelfsight edge run`` runs (see `StageSpec` for the per-stage ones)."""

    replay: bool = False
    models_dir: Path | None = None
    spool_dir: Path | None = None
    detector_threads: int = 1
    max_batch: int = 4
    reid: bool = True
    log_level: str = "INFO"
    drain_timeout_s: float = 60.0
    run_dir: Path | None = None
    spool_audit: bool = False


@dataclass
class StageProcess:
    """A supervised stage: its spec, current process, restarts, and the last heartbeat it sent.

    Times: ``started_at``, ``restart_at``, ``heard_at`` and ``stopping_since`` are the supervisor's
    ``time.monotonic()`` seconds; ``beat_at`` is the heartbeat's own send time (epoch seconds).
    """

    spec: StageSpec
    process: multiprocessing.process.BaseProcess | None = None
    restarts: int = 0
    stuck_restarts: int = 0
    started_at: float = 0.0
    restart_at: float | None = None
    backoff_s: float = RESTART_FIRST_S
    last_exit: str | None = None
    done: bool = False
    beat_at: float | None = None
    heard_at: float | None = None
    counters: dict[str, float] = field(default_factory=dict)
    stuck: str | None = None
    """Why the watchdog is stopping the current process (it stopped beating); None otherwise."""
    stopping_since: float | None = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    def snapshot(self, now: float) -> StageStatus:
        """Its state at ``now`` (epoch seconds)."""
        return StageStatus(
            name=self.spec.name,
            stage=self.spec.stage,
            camera=self.spec.camera_id,
            pid=self.process.pid if self.process is not None else None,
            alive=self.alive,
            done=self.done,
            restarts=self.restarts,
            stuck_restarts=self.stuck_restarts,
            last_exit=self.last_exit,
            heartbeat_age_s=round(now - self.beat_at, 2) if self.beat_at else None,
            counters=dict(self.counters),
        )


def describe_exit(code: int | None) -> str:
    """``exit code 1`` or ``killed by SIGKILL`` (multiprocessing gives a signal as a negative code)."""
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class Supervisor:
    """Runs one edge box. ``run()`` blocks until stopped (or a replay finishes) and returns an exit code."""

    def __init__(self, config_path: Path, options: EdgeOptions) -> None:
        self.config_path, self.options = config_path.resolve(), options
        self.config = load_config(self.config_path)
        self._own_run_dir = options.run_dir is None
        run_dir = options.run_dir or Path(tempfile.mkdtemp(prefix="shelfsight-"))
        run_dir.mkdir(parents=True, exist_ok=True)
        self.layout = EdgeLayout(run_dir)
        cameras = [camera.id for camera in self.config.cameras]
        kinds = [
            (StageKind.PUBLISHER, "*"),
            *((StageKind.EVENTS, c) for c in cameras),
            (StageKind.DETECTOR, "*"),
            *((StageKind.CAPTURE, c) for c in cameras),
        ]
        self.stages = [StageProcess(self._spec(kind, camera_id)) for kind, camera_id in kinds]
        self.started_at = time.time()
        self.stopping = threading.Event()
        self.bad_heartbeats = 0
        self.errors = 0
        self.lock = threading.Lock()
        self._context = multiprocessing.get_context("spawn")
        for name, value in MALLOC_ENV.items():  # read by glibc when each spawned stage starts
            os.environ.setdefault(name, value)

    def _spec(self, kind: StageKind, camera_id: str) -> StageSpec:
        options = self.options
        return StageSpec(
            stage=kind,
            camera_id=camera_id,
            config_path=self.config_path,
            layout=self.layout,
            replay=options.replay,
            models_dir=options.models_dir,
            spool_dir=options.spool_dir,
            detector_threads=options.detector_threads,
            max_batch=options.max_batch,
            reid=options.reid,
            log_level=options.log_level,
            spool_audit=options.spool_audit,
        )

    @property
    def spool_folder(self) -> Path:
        """The spool's folder: the events database, audit frames and zone pictures live there."""
        return self.stages[0].spec.spool_path(self.config).parent

    # -- life cycle -------------------------------------------------------------------------------------
    def run(self) -> int:
        """Start everything and watch it; returns 0 after a clean stop or a finished replay."""
        context = zmq.Context()
        beats = context.socket(zmq.PULL)
        beats.setsockopt(zmq.RCVHWM, 1000)
        beats.setsockopt(zmq.MAXMSGSIZE, MAX_SMALL_MESSAGE_BYTES)
        beats.bind(self.layout.heartbeat)
        try:
            for stage in self.stages:
                self._start(stage)
            logger.info(
                "edge started store=%s cameras=%d replay=%s run_dir=%s",
                self.config.store_id,
                len(self.config.cameras),
                self.options.replay,
                self.layout.run_dir,
            )
            drain_deadline: float | None = None
            finished_at = 0.0
            while not self.stopping.is_set():
                try:
                    if beats.poll(200):
                        self._take_beats(beats)
                    self._watch()
                except Exception:  # the loop boundary: the box runs on even if one look at it fails
                    self.errors += 1
                    logger.exception("supervisor loop failed; going on")
                    self.stopping.wait(1.0)
                if self.options.replay and drain_deadline is None and self._replay_finished():
                    drain_deadline, finished_at = time.monotonic() + self.options.drain_timeout_s, time.time()
                if drain_deadline is not None:
                    drained = self._spool_empty(since=finished_at)
                    if drained or time.monotonic() > drain_deadline:
                        logger.info("replay finished; spool %s", "drained" if drained else "not drained")
                        break
        finally:
            self.stop()
            self._take_beats(beats)
            beats.close(linger=0)
            context.term()
        return 0

    def request_stop(self) -> None:
        """Ask ``run()`` to stop (signal handlers call this)."""
        self.stopping.set()

    def stop(self) -> None:
        """Stop the stages upstream first (see the module docstring); kill what does not stop in time."""
        self.stopping.set()
        order = (
            ((StageKind.CAPTURE,), 5.0),
            ((StageKind.EVENTS, StageKind.DETECTOR), 15.0),
            ((StageKind.PUBLISHER,), 10.0),
        )
        for group, grace_s in order:
            members = [s for s in self.stages if s.spec.stage in group and s.alive]
            for stage in members:
                assert stage.process is not None
                if stage.process.pid is not None:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(stage.process.pid, signal.SIGTERM)
            deadline = time.monotonic() + grace_s
            for stage in members:
                assert stage.process is not None
                stage.process.join(max(0.0, deadline - time.monotonic()))
                if stage.process.is_alive():
                    logger.warning("stage=%s did not stop in %.0f s; killing it", stage.spec.name, grace_s)
                    stage.process.kill()
                    stage.process.join(5)
                stage.last_exit = describe_exit(stage.process.exitcode)
                stage.done = True

    # -- watching ---------------------------------------------------------------------------------------
    def _start(self, stage: StageProcess) -> None:
        process = self._context.Process(target=_stage_entry, args=(stage.spec,), name=stage.spec.name)
        process.start()
        with self.lock:
            stage.process, stage.started_at, stage.restart_at = process, time.monotonic(), None
            stage.beat_at, stage.heard_at, stage.counters = None, None, {}  # the dead one's are not the new one's
            stage.stuck, stage.stopping_since = None, None
        logger.info("stage=%s started pid=%s", stage.spec.name, process.pid)

    def _watch(self) -> None:
        now = time.monotonic()
        for stage in self.stages:
            if stage.done:
                continue
            if stage.restart_at is not None:
                if now >= stage.restart_at and not self.stopping.is_set():
                    with self.lock:
                        stage.restarts += 1
                    self._start(stage)
                continue
            if stage.process is None:
                continue
            if stage.alive:
                if not self.stopping.is_set():
                    self._watch_beats(stage, now)
                continue
            code = stage.process.exitcode
            stage.last_exit = describe_exit(code)
            if stage.stuck is not None:
                stage.last_exit = f"{stage.stuck}; {stage.last_exit}"
                with self.lock:
                    stage.stuck_restarts += 1
            elif code == 0 and self.options.replay and stage.spec.stage.ends_with_replay:
                stage.done = True  # finished its replay
                logger.info("stage=%s finished", stage.spec.name)
                continue
            if now - stage.started_at > HEALTHY_RUN_S:
                stage.backoff_s = RESTART_FIRST_S
            logger.warning(
                "stage=%s died (%s); restarting in %.1f s", stage.spec.name, stage.last_exit, stage.backoff_s
            )
            stage.restart_at = now + stage.backoff_s
            stage.backoff_s = min(RESTART_MAX_S, stage.backoff_s * 2)

    def _watch_beats(self, stage: StageProcess, now: float) -> None:
        """The watchdog: SIGTERM a running stage that stopped beating, SIGKILL it if it has not stopped after
        `STOP_GRACE_S`; `_watch` then restarts it as a stage that died."""
        assert stage.process is not None and stage.process.pid is not None
        if stage.stopping_since is not None:
            if now - stage.stopping_since > STOP_GRACE_S:
                logger.warning("stage=%s did not stop in %.0f s; killing it", stage.spec.name, STOP_GRACE_S)
                stage.process.kill()
                stage.stopping_since = float("inf")  # killed: wait for it to end
            return
        quiet = silence(now=now, started_at=stage.started_at, heard_at=stage.heard_at, settings=self.config.watchdog)
        if not quiet.stuck:
            return
        stage.stuck, stage.stopping_since = quiet.describe(), now
        logger.warning(
            "stage=%s camera=%s pid=%s %s; stopping it to restart",
            stage.spec.name,
            stage.spec.camera_id,
            stage.process.pid,
            stage.stuck,
        )
        with contextlib.suppress(ProcessLookupError):
            os.kill(stage.process.pid, signal.SIGTERM)

    def _take_beats(self, socket: zmq.Socket[bytes]) -> None:
        by_name = {stage.spec.name: stage for stage in self.stages}
        while True:
            try:
                frames = socket.recv_multipart(flags=zmq.NOBLOCK)
            except zmq.Again:
                return
            try:
                envelope = decode(frames)
                beat = Heartbeat.from_envelope(envelope)
                name = stage_name(beat.stage, beat.camera_id)
                stage = by_name.get(name)
                if stage is None:
                    raise MessageError(f"heartbeat from unknown stage {shown(name)}")
            except MessageError as exc:
                self.bad_heartbeats += 1
                logger.warning("supervisor dropped a bad heartbeat: %s", exc)
                continue
            with self.lock:
                stage.beat_at, stage.heard_at, stage.counters = envelope.sent_at, time.monotonic(), dict(beat.counters)

    def _replay_finished(self) -> bool:
        return all(stage.done for stage in self.stages if stage.spec.stage is StageKind.EVENTS)

    def _spool_empty(self, *, since: float) -> bool:
        """The publisher's last heartbeat, sent after ``since`` (epoch s), says the spool is empty."""
        publisher = next(stage for stage in self.stages if stage.spec.stage is StageKind.PUBLISHER)
        if publisher.beat_at is None or publisher.beat_at <= since:
            return False
        try:
            return PublisherCounters.from_wire(publisher.counters).spool_events == 0
        except MessageError:  # not a whole publisher beat: not known to be empty
            return False

    # -- reporting --------------------------------------------------------------------------------------
    def snapshot(self) -> EdgeStatus:
        """The box's state for ``/status`` and the metrics: every stage with its last counters."""
        now = time.time()
        with self.lock:
            stages = [stage.snapshot(now) for stage in self.stages]
        return EdgeStatus(
            store_id=self.config.store_id,
            config=str(self.config_path),
            replay=self.options.replay,
            uptime_s=round(now - self.started_at, 1),
            bad_heartbeats=self.bad_heartbeats,
            errors=self.errors,
            stages=stages,
        )
