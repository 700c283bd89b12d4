"""The health endpoint's Prometheus text and liveness rule, from a supervisor snapshot."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from shelfsight.pipeline.edge.health import HealthServer, healthy, problems
from shelfsight.pipeline.edge.status import EdgeStatus
from shelfsight.pipeline.edge.supervisor import describe_exit


def _snapshot(alive: bool = True) -> EdgeStatus:
    return EdgeStatus.model_validate(
        {
            "store_id": "s",
            "uptime_s": 5.0,
            "bad_heartbeats": 0,
            "stages": [
                {
                    "name": "capture:cam-1",
                    "stage": "capture",
                    "camera": "cam-1",
                    "pid": 10,
                    "alive": alive,
                    "done": False,
                    "restarts": 2,
                    "last_exit": "killed by SIGKILL",
                    "heartbeat_age_s": 0.4,
                    "counters": {"frames_dropped_total": 7, "fps_in": 4.9},
                },
                {
                    "name": "publisher",
                    "stage": "publisher",
                    "camera": "*",
                    "pid": 11,
                    "alive": True,
                    "done": False,
                    "restarts": 0,
                    "last_exit": None,
                    "heartbeat_age_s": None,
                    "counters": {"spool_events": 12},
                },
            ],
        }
    )


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.parametrize("alive", [True, False])
def test_metrics_status_and_healthz(alive: bool) -> None:
    server = HealthServer(lambda: _snapshot(alive), port=0)
    server.start()
    try:
        code, metrics = _get(f"{server.url}/metrics")
        assert code == 200
        assert 'shelfsight_edge_frames_dropped_total{camera="cam-1",stage="capture"} 7.0' in metrics
        assert 'shelfsight_edge_fps_in{camera="cam-1",stage="capture"} 4.9' in metrics
        assert 'shelfsight_edge_stage_restarts_total{camera="cam-1",stage="capture"} 2.0' in metrics
        assert f'shelfsight_edge_stage_up{{camera="cam-1",stage="capture"}} {1.0 if alive else 0.0}' in metrics
        assert 'shelfsight_edge_spool_events{camera="*",stage="publisher"} 12.0' in metrics
        code, status = _get(f"{server.url}/status")
        assert code == 200 and json.loads(status)["stages"][0]["restarts"] == 2
        assert _get(f"{server.url}/healthz")[0] == (200 if alive else 503)
        assert _get(f"{server.url}/nope")[0] == 404
    finally:
        server.close()
    assert healthy(_snapshot(alive)) is alive


def test_exit_descriptions() -> None:
    assert describe_exit(-9) == "killed by SIGKILL"
    assert describe_exit(1) == "exit code 1"
    assert describe_exit(None) == "still running"


def test_a_full_disk_makes_the_box_unhealthy() -> None:
    """Issue 14, item 5: a spool that cannot store is a problem in /healthz and `shelfsight edge status`."""
    state = _snapshot()
    state.stages[1].counters["disk_full"] = 1
    server = HealthServer(lambda: state, port=0)
    server.start()
    try:
        code, text = _get(f"{server.url}/healthz")
        assert code == 503 and "publisher: the spool's disk is full" in text
        assert 'shelfsight_edge_disk_full{camera="*",stage="publisher"} 1.0' in _get(f"{server.url}/metrics")[1]
    finally:
        server.close()
    assert problems(state) == ["publisher: the spool's disk is full (frames are dropped until it has room)"]
