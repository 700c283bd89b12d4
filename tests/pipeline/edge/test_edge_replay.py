"""`shelfsight edge run edge_config/demo.yaml --replay`: every stage its own process, ZeroMQ between them, a
real aggregator at the end, and the events equal `shelfsight run-offline`'s on the same synthetic cameras,
through an aggregator outage too."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
import zmq.auth

from shelfsight.pipeline.edge.snapshots import SNAPSHOT_TYPES
from shelfsight.vision.events.codec import from_dict
from shelfsight.vision.events.contract import AnyEvent
from tests.cli import run_shelfsight
from tests.pipeline.edge.harness import DEMO_CONFIG, Aggregator, EdgeBox, offline_events, wait_for, write_config

OUTAGE_S = 30.0


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, AnyEvent]:
    """The offline runner's events for the demo config's two synthetic cameras."""
    events = offline_events(DEMO_CONFIG, tmp_path_factory.mktemp("offline"))
    per_camera = Counter(e.camera_id for e in events.values())
    assert per_camera["aisle-cam"] > 30 and per_camera["endcap-cam"] > 4, per_camera
    return events


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
    _assert_journeys(aggregator, list(reference.values()))


def _assert_journeys(aggregator: Aggregator, events: list[AnyEvent]) -> None:
    """Each shopper's journey from the API equals the one read straight off the events."""
    shoppers = sorted({s for e in events if (s := getattr(e, "shopper_id", None))})
    assert shoppers
    for shopper in shoppers:
        mine = [e for e in events if getattr(e, "shopper_id", None) == shopper]
        dwells = sorted((e for e in mine if e.type == "dwell"), key=lambda e: e.ts_start)  # type: ignore[attr-defined]
        journey = aggregator.journey("demo-store", shopper)
        kinds = Counter(e.type for e in mine)
        totals = journey["totals"]
        assert (totals["visits"], totals["touches"], totals["pickups"], totals["putbacks"]) == (
            kinds["dwell"], kinds["touch"], kinds["pickup"], kinds["putback"]
        ), shopper  # fmt: skip
        assert totals["dwell_s"] == pytest.approx(sum(e.dwell_s for e in dwells))  # type: ignore[attr-defined]
        assert [v["dwell"]["event_id"] for v in journey["visits"]] == [str(e.event_id) for e in dwells]


def test_edge_replay_equals_offline(tmp_path: Path, aggregator: Aggregator, reference: dict[str, AnyEvent]) -> None:
    config = write_config(tmp_path, endpoint=aggregator.ingest, privacy={"store_frames": True})
    box = EdgeBox(config, tmp_path, replay=True)
    assert box.wait(300) == 0, box.tail()
    assert box.spooled() == [], "the spool did not drain to the aggregator"
    _assert_delivered_exactly(aggregator, reference)
    _assert_audit_frames(box.spool / "frames", reference)


def _assert_audit_frames(folder: Path, reference: dict[str, AnyEvent]) -> None:
    """``privacy.store_frames`` (issue 14, item 11): an audit frame per shelf event on the box's disk, named by the
    event; the events themselves are the same as without it (checked above)."""
    expected = {f"{e.camera_id}/{round(e.ts * 1000)}-{e.type}-{e.event_id}.jpg" for e in reference.values()
                if e.type in SNAPSHOT_TYPES}  # fmt: skip
    stored = {f"{path.parent.name}/{path.name}" for path in folder.glob("*/*.jpg")}
    assert stored <= expected, sorted(stored - expected)[:3]
    assert len(stored) >= 0.8 * len(expected) > 0, (len(stored), len(expected))  # events of the final flush: none


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


def test_curve_link_takes_only_the_configured_box(tmp_path: Path, reference: dict[str, AnyEvent]) -> None:
    keys = tmp_path / "keys"
    for name in ("aggregator", "box", "stranger"):
        assert run_shelfsight("keys", "gen", name, "--out", str(keys)).returncode == 0
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "box.key").write_bytes((keys / "box.key").read_bytes())
    server_public, _ = zmq.auth.load_certificate(str(keys / "aggregator.key"))
    aggregator = Aggregator(tmp_path, extra=("--curve-secret-key-file", str(keys / "aggregator.key_secret"),
                                             "--curve-public-keys-dir", str(allowed)))  # fmt: skip
    aggregator.start()
    try:
        endcap = {e.event_id for e in reference.values() if e.camera_id == "endcap-cam"}
        for name, accepted in (("stranger", False), ("box", True)):
            folder = tmp_path / name
            folder.mkdir()
            certificate = str(keys / f"{name}.key_secret")
            curve = {"server_public_key": server_public.decode(), "client_certificate_file": certificate}
            config = write_config(folder, endpoint=aggregator.ingest, cameras=("endcap-cam",), curve=curve)
            box = EdgeBox(config, folder, replay=True, extra=("--drain-timeout", "5"))
            assert box.wait(180) == 0, box.tail()
            stored = {row["event_id"] for row in aggregator.events()}
            if accepted:
                assert box.spooled() == [] and stored == {str(i) for i in endcap}
            else:
                assert len(box.spooled()) == len(endcap) and stored == set(), "an unknown key got through"
    finally:
        aggregator.stop()
