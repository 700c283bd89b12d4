"""`shelfsight edge run edge_config/demo.yaml --replay`: every stage its own process, ZeroMQ between them, a
real aggregator at the end, and the events equal `shelfsight run-offline`'s on the same synthetic cameras,
through an aggregator outage too."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pipeline.edge.harness import DEMO_CONFIG, Aggregator, EdgeBox, offline_events, wait_for, write_config
from vision.events.codec import from_dict
from vision.events.contract import AnyEvent

OUTAGE_S = 30.0


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, AnyEvent]:
    """The offline runner's events for the demo config's two synthetic cameras."""
    events = offline_events(DEMO_CONFIG, tmp_path_factory.mktemp("offline"))
    per_camera = Counter(e.camera_id for e in events.values())
    assert per_camera["aisle-cam"] > 30 and per_camera["endcap-cam"] > 4, per_camera
    return events


@pytest.fixture
def aggregator(tmp_path: Path) -> Iterator[Aggregator]:
    running = Aggregator(tmp_path)
    running.start()
    yield running
    running.stop()


def _shelf_counts(events: list[AnyEvent]) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {}
    for event in events:
        shelf = getattr(event, "shelf_id", None)
        if event.type in ("pickup", "putback", "touch") and shelf:
            counts.setdefault(shelf, Counter())[event.type] += 1
    return counts


def _assert_delivered_exactly(aggregator: Aggregator, reference: dict[str, AnyEvent]) -> None:
    stored = aggregator.events()
    ids = [row["event_id"] for row in stored]
    assert len(ids) == len(set(ids)), "an event was stored twice"
    assert set(ids) == set(reference), (
        f"missing {sorted(set(reference) - set(ids))[:5]}, extra {sorted(set(ids) - set(reference))[:5]}"
    )
    for row in stored:
        assert from_dict(row) == reference[row["event_id"]]
    times = [e.ts for e in reference.values()]
    shelves = aggregator.shelves("demo-store", min(times) - 3600, max(times) + 3600)
    for shelf, counts in _shelf_counts(list(reference.values())).items():
        figures = shelves[shelf]
        assert (figures["touches"], figures["pickups"], figures["putbacks"]) == (
            counts["touch"], counts["pickup"], counts["putback"]
        ), shelf  # fmt: skip
    visits = Counter(getattr(e, "zone_id", "") for e in reference.values() if e.type == "dwell")
    assert sum(f["visits"] for f in shelves.values()) == sum(visits.values())


def test_edge_replay_equals_offline(tmp_path: Path, aggregator: Aggregator, reference: dict[str, AnyEvent]) -> None:
    config = write_config(tmp_path, endpoint=aggregator.ingest)
    box = EdgeBox(config, tmp_path, replay=True)
    assert box.wait(300) == 0, box.tail()
    assert box.spooled() == [], "the spool did not drain to the aggregator"
    _assert_delivered_exactly(aggregator, reference)


def test_aggregator_down_30s_mid_run_loses_and_doubles_nothing(
    tmp_path: Path, aggregator: Aggregator, reference: dict[str, AnyEvent]
) -> None:
    config = write_config(tmp_path, endpoint=aggregator.ingest)
    box = EdgeBox(config, tmp_path, replay=True, extra=("--drain-timeout", "240"))
    wait_for(lambda: len(aggregator.events()) >= 5, timeout_s=120, what="the first events at the aggregator")
    aggregator.kill()
    down_since = time.monotonic()
    wait_for(lambda: box.counter("publisher", "spool_events") > 0, timeout_s=60, what="events piling up in the spool")
    time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - down_since)))
    assert box.process.poll() is None, "the box must wait for the aggregator, not give up"
    aggregator.start()
    assert box.wait(300) == 0, box.tail()
    assert box.spooled() == []
    _assert_delivered_exactly(aggregator, reference)
