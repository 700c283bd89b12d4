"""Zone names and the store's time zone travel from the edge config, in the publisher's beats, to the database."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import zmq

from shelfsight.dashboard.ingest.receiver import IngestOptions, IngestReceiver
from shelfsight.dashboard.storage.base import Store, StoreLabels
from shelfsight.edge_config.loader import load_config_text
from shelfsight.pipeline.edge.publish import publisher_settings
from shelfsight.pipeline.publisher import EventPublisher
from shelfsight.pipeline.spool import Spool
from shelfsight.transport.envelope import Envelope, MessageError
from shelfsight.transport.liveness import BEAT_KIND, EdgeBeat

CONFIG = """\
store_id: store-1
timezone: Europe/Paris
cameras:
  - id: cam-a
    source: "synthetic:one_dwells"
    zones:
      - id: shelf-1
        kind: shelf
        name: "Céréales <bio>"
        polygon: [[0.1, 0.1], [0.4, 0.1], [0.4, 0.4], [0.1, 0.4]]
      - id: floor-1
        kind: standing
        shelf_id: shelf-1
        polygon: [[0.1, 0.6], [0.4, 0.6], [0.4, 0.9], [0.1, 0.9]]
aggregator:
  endpoint: {endpoint}
"""


def _eventually(condition: Callable[[], bool], timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met before the deadline"
        time.sleep(0.02)


@pytest.fixture
def receiver(sqlite_store: Store, tmp_path: Path) -> Iterator[IngestReceiver]:
    ingest = IngestReceiver(
        store=sqlite_store, endpoint=f"ipc://{tmp_path}/ingest.sock", options=IngestOptions(poll_ms=20)
    )
    ingest.start()
    yield ingest
    ingest.stop()


def test_the_publisher_of_a_config_sends_its_names_and_time_zone(
    receiver: IngestReceiver, sqlite_store: Store, tmp_path: Path
) -> None:
    config = load_config_text(CONFIG.format(endpoint=receiver.endpoint))
    settings = publisher_settings(config)
    assert settings.timezone == "Europe/Paris" and settings.zone_names == (("shelf-1", "Céréales <bio>"),)
    publisher = EventPublisher(
        Spool(tmp_path / "spool.db", max_events=10), replace(settings, beat_interval_s=0.1, idle_poll_s=0.02),
        zmq.Context.instance(),
    )  # fmt: skip
    stop = threading.Event()
    thread = threading.Thread(target=publisher.run, args=(stop,), daemon=True)
    thread.start()
    try:
        _eventually(lambda: sqlite_store.store_labels("store-1").timezone is not None)
        _eventually(lambda: receiver.stats.beats >= 3)
    finally:
        stop.set()
        thread.join(10)
        publisher.close()
    labels = sqlite_store.store_labels("store-1")
    assert labels.timezone == "Europe/Paris"
    assert dict(labels.zone_names) == {"shelf-1": "Céréales <bio>"}  # the unnamed floor keeps its id


def test_labels_keep_the_newest_per_key_and_leave_other_zones(any_store: Store) -> None:
    any_store.record_labels([StoreLabels("s1", "Europe/Paris", {"a": "Alpha", "b": "Beta"}, 10.0)])
    any_store.record_labels(
        [
            StoreLabels("s1", None, {"a": "late, older beat"}, 5.0),  # arrives late: loses
            StoreLabels("s1", "Asia/Tokyo", {"b": "Beta 2"}, 11.0),
            StoreLabels("s1", "America/Chicago", {"b": "Beta 3"}, 12.0),  # same key twice in one call
        ]
    )
    labels = any_store.store_labels("s1")
    assert (labels.timezone, dict(labels.zone_names), labels.updated_at) == (
        "America/Chicago", {"a": "Alpha", "b": "Beta 3"}, 12.0,
    )  # fmt: skip
    assert any_store.store_labels("s2") == StoreLabels("s2", None, {}, 0.0)


def _beat(**body: object) -> Envelope:
    base: dict[str, object] = {"store_id": "s1", "cameras": ["c1"], "interval_s": 5.0}
    return Envelope(topic="t", kind=BEAT_KIND, camera_id="*", seq=1, sent_at=0.0, body={**base, **body})


def test_a_beat_without_labels_still_decodes_and_bad_labels_are_refused() -> None:
    assert EdgeBeat.from_envelope(_beat()) == EdgeBeat("s1", ("c1",), 5.0, 1)
    good = EdgeBeat.from_envelope(_beat(timezone="UTC", zone_names={"z": "Zed"}))
    assert (good.timezone, good.zone_names) == ("UTC", (("z", "Zed"),))
    for bad in (
        {"timezone": "Mars/Olympus"},
        {"timezone": 3},
        {"zone_names": ["z"]},
        {"zone_names": {"z": ""}},
        {"zone_names": {"z": "line\nbreak"}},
        {"zone_names": {"a/b": "slash in id"}},
        {"zone_names": {f"z{i}": "n" for i in range(5000)}},
    ):
        with pytest.raises(MessageError, match=r"timezone|zone_names"):
            EdgeBeat.from_envelope(_beat(**bad))
