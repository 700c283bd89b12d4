"""What every edge stage process shares: its kind and spec, the socket layout of the box, stop on SIGTERM,
heartbeats.

A stage (`shelfsight.pipeline.edge.stage.Stage`) runs in its own process, started by the supervisor with its
``StageSpec``. It loads the config itself (nothing heavy is pickled across), binds or connects its ZeroMQ
sockets at the addresses of ``EdgeLayout``, checks ``Stopper.stopped`` between polls (SIGTERM and SIGINT set
it), and sends a ``Heartbeat`` with its counters about once a second, which the supervisor turns into metrics
and status, and watches for a stage that stops beating (`shelfsight.pipeline.edge.watchdog`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import FrameType

import numpy as np
import zmq

from shelfsight.edge_config import load_config
from shelfsight.edge_config.camera import CameraConfig
from shelfsight.edge_config.store import EdgeConfig
from shelfsight.pipeline.edge.counters import StageCounters
from shelfsight.pipeline.logs import configure_logging
from shelfsight.transport.envelope import encode
from shelfsight.transport.messages import Heartbeat

HEARTBEAT_PERIOD_S = 1.0
POLL_MS = 100
MAX_FRAME_MESSAGE_BYTES = 256 * 1024 * 1024
"""``MAXMSGSIZE`` of the frame and detection sockets: an 8K frame fits; a bigger message drops its sender's
connection (ZeroMQ reconnects it) instead of taking the box's memory."""
MAX_SMALL_MESSAGE_BYTES = 1024 * 1024
"""``MAXMSGSIZE`` of the wake, heartbeat and ack sockets, whose messages are a few hundred bytes."""


class StageKind(StrEnum):
    """The four kinds of stage process; the value is the name that heartbeats, logs and metrics use."""

    CAPTURE = "capture"
    DETECTOR = "detector"
    EVENTS = "events"
    PUBLISHER = "publisher"

    @property
    def per_camera(self) -> bool:
        """One process per camera (capture, events), else one for the box (detector, publisher)."""
        return self in (StageKind.CAPTURE, StageKind.EVENTS)

    @property
    def ends_with_replay(self) -> bool:
        """Exits 0 for good at the end of a replayed source (capture, events); the others run until stopped."""
        return self.per_camera


def stage_name(stage: str, camera_id: str) -> str:
    """``stage`` for a box-wide stage (camera ``*``), ``stage:camera`` for a camera's: unique on the box."""
    return str(stage) if camera_id == "*" else f"{stage}:{camera_id}"


@dataclass(frozen=True)
class EdgeLayout:
    """The ipc:// addresses of one edge box's sockets, all under one run folder.

    Attributes:
        run_dir: Folder for the socket files (short: ipc paths are limited to about 100 characters).
    """

    run_dir: Path

    def _ipc(self, name: str) -> str:
        return f"ipc://{self.run_dir / name}"

    @property
    def frames(self) -> str:
        """Captures PUSH frames here; the detector PULLs (binds)."""
        return self._ipc("frames")

    def detections(self, camera_id: str) -> str:
        """The detector PUSHes a camera's detections here; its event stage PULLs (binds)."""
        return self._ipc(f"det-{camera_id}")

    @property
    def wake(self) -> str:
        """Event stages nudge the publisher here after spooling events."""
        return self._ipc("wake")

    @property
    def heartbeat(self) -> str:
        """Every stage PUSHes heartbeats here; the supervisor PULLs."""
        return self._ipc("heartbeat")


@dataclass(frozen=True)
class StageSpec:
    """Everything a stage process needs, picklable.

    Attributes:
        stage: Which stage the process runs.
        config_path: The edge config file.
        layout: Socket addresses.
        camera_id: The camera of a per-camera stage, ``*`` otherwise.
        replay: Replay finite sources once, without dropping frames (see `shelfsight.pipeline.sources`).
        models_dir: Models folder override.
        spool_dir: Spool folder override (default: the config's).
        detector_threads: ONNX Runtime intra-op threads of the detector.
        max_batch: Most frames per detector call.
        reid: Re-link occluded shoppers by appearance.
        log_level: Logging level of the process.
        spool_audit: Keep every spooled event id in the spool for good (benchmarks count what was produced).
    """

    stage: StageKind
    config_path: Path
    layout: EdgeLayout
    camera_id: str = "*"
    replay: bool = False
    models_dir: Path | None = None
    spool_dir: Path | None = None
    detector_threads: int = 1
    max_batch: int = 4
    reid: bool = True
    log_level: str = "INFO"
    spool_audit: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "stage", StageKind(self.stage))  # a plain "capture" becomes its kind; typos raise
        if self.stage.per_camera == (self.camera_id == "*"):
            raise ValueError(f"stage {self.stage} needs {'a' if self.stage.per_camera else 'no'} camera")

    @property
    def name(self) -> str:
        """``stage`` or ``stage:camera``; unique on the box."""
        return stage_name(self.stage, self.camera_id)

    def load(self) -> EdgeConfig:
        return load_config(self.config_path)

    def camera(self, config: EdgeConfig) -> CameraConfig:
        return next(c for c in config.cameras if c.id == self.camera_id)

    def spool_path(self, config: EdgeConfig) -> Path:
        folder = self.spool_dir or config.spool.directory
        folder = folder if folder.is_absolute() else self.config_path.parent / folder
        return folder / "events.sqlite"


class Stopper:
    """Set by SIGTERM or SIGINT; stages poll it between socket polls and then shut down cleanly."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._parent = os.getppid()
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        logging.getLogger(__name__).info("stop requested signal=%s", signal.Signals(signum).name)
        self.event.set()

    @property
    def stopped(self) -> bool:
        """True once asked to stop, or once the supervisor is gone (an orphaned stage must not linger)."""
        if not self.event.is_set() and os.getppid() != self._parent:
            logging.getLogger(__name__).warning("supervisor gone; stopping")
            self.event.set()
        return self.event.is_set()


@dataclass
class LatencyWindow:
    """The last ``size`` latencies (milliseconds), for p50/p99 gauges without unbounded memory."""

    size: int = 2000
    values: deque[float] = field(default_factory=deque)

    def add(self, value_ms: float) -> None:
        self.values.append(value_ms)
        if len(self.values) > self.size:
            self.values.popleft()

    def extend(self, values_ms: Iterable[float]) -> None:
        for value in values_ms:
            self.add(value)

    def quantiles(self, prefix: str) -> dict[str, float]:
        """``{prefix}_p50_ms`` and ``{prefix}_p99_ms`` (absent while empty)."""
        if not self.values:
            return {}
        p50, p99 = np.percentile(np.fromiter(self.values, float), [50, 99])
        return {f"{prefix}_p50_ms": round(float(p50), 2), f"{prefix}_p99_ms": round(float(p99), 2)}


class HeartbeatSender:
    """Sends the stage's counters to the supervisor about once a second; never blocks the stage."""

    def __init__(self, spec: StageSpec, store_id: str, context: zmq.Context[zmq.Socket[bytes]]) -> None:
        self.spec, self.store_id = spec, store_id
        self._socket = context.socket(zmq.PUSH)
        self._socket.setsockopt(zmq.LINGER, 0)
        self._socket.setsockopt(zmq.SNDHWM, 10)
        self._socket.connect(spec.layout.heartbeat)
        self._next = 0.0

    @property
    def due(self) -> bool:
        """A beat is due: callers with costly counters (spool size) gather them only then."""
        return time.monotonic() >= self._next

    def maybe_send(
        self, counters: StageCounters, extra: Mapping[str, float] | None = None, *, force: bool = False
    ) -> None:
        """Send ``counters`` (and ``extra`` ones: latencies) when a beat is due, or now with ``force``."""
        now = time.monotonic()
        if not force and now < self._next:
            return
        self._next = now + HEARTBEAT_PERIOD_S
        wire = {**counters.to_wire(), **(extra or {})}
        beat = Heartbeat(self.store_id, self.spec.stage.value, self.spec.camera_id, wire)
        with contextlib.suppress(zmq.Again):  # the supervisor is busy or restarting: a missed beat is harmless
            self._socket.send_multipart(encode(beat.to_envelope()), flags=zmq.NOBLOCK)

    def close(self) -> None:
        self._socket.close(linger=0)


def start_process(spec: StageSpec) -> tuple[EdgeConfig, Stopper, zmq.Context[zmq.Socket[bytes]]]:
    """Common start of a stage process: logging, signals, config, ZeroMQ context."""
    configure_logging(spec.log_level)
    stopper = Stopper()
    return spec.load(), stopper, zmq.Context()
