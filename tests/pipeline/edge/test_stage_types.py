"""The typed pieces of the edge runtime, fast and without processes: the status snapshot's round trip, the
stages' counters on the wire, stage kinds and names, and the watchdog's stuck rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from shelfsight.edge_config.watchdog import WatchdogConfig
from shelfsight.pipeline.edge.counters import CaptureCounters, EventCounters, PublisherCounters
from shelfsight.pipeline.edge.runtime import EdgeLayout, StageKind, StageSpec, stage_name
from shelfsight.pipeline.edge.status import EdgeStatus, StageStatus, problems
from shelfsight.pipeline.edge.supervisor import EdgeOptions, Supervisor
from shelfsight.pipeline.edge.watchdog import silence
from shelfsight.transport.envelope import MessageError, decode, encode
from shelfsight.transport.messages import Heartbeat
from tests.pipeline.edge.harness import DEMO_CONFIG

OLD_STAGE_KEYS = {
    "name",
    "stage",
    "camera",
    "pid",
    "alive",
    "done",
    "restarts",
    "last_exit",
    "heartbeat_age_s",
    "counters",
}
"""What `/status` said of a stage before the snapshot was typed: readers (``edge status``, the demo) rely on it."""


def _stage(**changes: object) -> StageStatus:
    fields: dict[str, object] = {
        "name": "events:cam-1",
        "stage": "events",
        "camera": "cam-1",
        "pid": 42,
        "alive": True,
        "counters": {"frames_total": 7.0, "frame_to_spool_p99_ms": 12.5},
    }
    return StageStatus.model_validate({**fields, **changes})


def test_a_supervisor_snapshot_round_trips_through_json(tmp_path: Path) -> None:
    supervisor = Supervisor(DEMO_CONFIG, EdgeOptions(run_dir=tmp_path / "run"))
    state = supervisor.snapshot()
    text = state.model_dump_json()
    assert EdgeStatus.model_validate_json(text) == state
    raw = json.loads(text)
    assert {"store_id", "config", "replay", "uptime_s", "bad_heartbeats", "errors", "stages"} <= raw.keys()
    assert [s["name"] for s in raw["stages"]][:2] == ["publisher", "events:aisle-cam"]
    assert all(s.keys() >= OLD_STAGE_KEYS and s["stuck_restarts"] == 0 for s in raw["stages"])
    assert problems(state) == [f"{s.name} is down (None)" for s in state.stages]  # nothing started yet


def test_a_snapshot_with_counters_and_exits_round_trips() -> None:
    state = EdgeStatus(
        store_id="s",
        uptime_s=3.5,
        bad_heartbeats=2,
        stages=[
            _stage(),
            _stage(
                name="publisher",
                stage="publisher",
                camera="*",
                alive=False,
                restarts=3,
                stuck_restarts=1,
                last_exit="stuck: no heartbeat for 16 s (limit 15 s); killed by SIGKILL",
                counters={"disk_full": 1.0},
            ),
        ],
    )
    again = EdgeStatus.model_validate(json.loads(state.model_dump_json()))
    assert again == state and again.stages[1].stage is StageKind.PUBLISHER
    assert problems(again) == [
        "publisher is down (stuck: no heartbeat for 16 s (limit 15 s); killed by SIGKILL)",
        "publisher: the spool's disk is full (frames are dropped until it has room)",
    ]
    assert again.stages[1].state().startswith("DOWN (stuck") and again.stages[1].state().endswith(", DISK FULL")


@pytest.mark.parametrize(
    "stage", [{"stage": "launcher"}, {"alive": "maybe"}, {"restarts": -1}, {"counters": {"frames": "many"}}]
)
def test_a_status_that_is_not_an_edge_box_s_is_refused(stage: dict[str, object]) -> None:
    raw = {"store_id": "s", "stages": [{"name": "x", "stage": "events", "alive": True, **stage}]}
    with pytest.raises(ValidationError):
        EdgeStatus.model_validate(raw)


def test_counters_travel_in_a_heartbeat_and_read_back_by_attribute() -> None:
    counters = EventCounters(frames_total=12, events_total=3, disk_full=1, spool_events=5)
    wire = counters.to_wire()
    assert "pose_people_total" not in wire and "audit_frames_total" not in wire  # not measured: not sent
    beat = Heartbeat("s", StageKind.EVENTS.value, "cam-1", {**wire, "pose_p50_ms": 3.5})
    back = Heartbeat.from_envelope(decode(encode(beat.to_envelope())))
    assert EventCounters.from_wire(back.counters) == counters
    assert back.counters["pose_p50_ms"] == 3.5  # extra gauges (latencies) ride along for the metrics
    capture = CaptureCounters(frames_read_total=4, fps_in=4.9)
    assert CaptureCounters.from_wire(capture.to_wire()) == capture


def test_a_beat_without_the_counter_the_supervisor_reads_is_not_taken_as_zero() -> None:
    assert PublisherCounters.from_wire(PublisherCounters(spool_events=0).to_wire()).spool_events == 0
    with pytest.raises(MessageError, match="spool_events"):
        PublisherCounters.from_wire({"events_acked_total": 5.0})


def test_stage_kinds_and_names(tmp_path: Path) -> None:
    layout = EdgeLayout(tmp_path)
    spec = StageSpec(stage="capture", config_path=DEMO_CONFIG, layout=layout, camera_id="cam-1")  # type: ignore[arg-type]
    assert spec.stage is StageKind.CAPTURE and spec.name == "capture:cam-1" == stage_name("capture", "cam-1")
    assert StageSpec(stage=StageKind.DETECTOR, config_path=DEMO_CONFIG, layout=layout).name == "detector"
    with pytest.raises(ValueError, match="capturee"):
        StageSpec(stage="capturee", config_path=DEMO_CONFIG, layout=layout, camera_id="cam-1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs a camera"):
        StageSpec(stage=StageKind.EVENTS, config_path=DEMO_CONFIG, layout=layout)
    assert [k for k in StageKind if k.ends_with_replay] == [StageKind.CAPTURE, StageKind.EVENTS]


SETTINGS = WatchdogConfig(stuck_after_s=60.0, first_beat_within_s=900.0)


@pytest.mark.parametrize(
    ("started_at", "heard_at", "stuck", "described"),
    [
        (0.0, None, False, None),  # loading models for 500 s: warming up, not stuck
        (-500.0, None, True, "stuck: no first heartbeat for 1000 s (limit 900 s)"),
        (-400.0, 490.0, False, None),  # beat 10 s ago
        (0.0, 400.0, True, "stuck: no heartbeat for 100 s (limit 60 s)"),
        (0.0, 440.0, False, None),  # exactly at the limit: not yet
    ],
)
def test_the_stuck_rule(started_at: float, heard_at: float | None, stuck: bool, described: str | None) -> None:
    quiet = silence(now=500.0, started_at=started_at, heard_at=heard_at, settings=SETTINGS)
    assert quiet.stuck is stuck
    if described is not None:
        assert quiet.describe() == described
