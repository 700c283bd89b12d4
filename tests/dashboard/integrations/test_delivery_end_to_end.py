"""Live integrations end to end, with real parts only: `shelfsight serve` in its own process, the scenario replayed
by a real edge sender (a resent batch and a repeated event included), a local HTTP receiver, and a mosquitto
broker with a real MQTT subscriber. Receivers dedupe on the event id, as the docs tell them to; after that, each
must hold every event its filter selects exactly once."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from shelfsight.vision.events.contract import AnyEvent
from tests.dashboard.integrations.receivers import (
    Mosquitto,
    MqttCollector,
    WebhookReceiver,
    free_port,
    wait_for,
)
from tests.dashboard.scenario import ALL_EVENTS
from tests.dashboard.serve_process import ROOT, Server, start_server

pytestmark = pytest.mark.integration  # starts processes, servers or a browser

SECRET_ENV = "SHELFSIGHT_TEST_HOOK_SECRET"
SECRET = "s3cret-for-the-test"
FAST_RETRY = {"initial_s": 0.2, "max_s": 1.0}

ALL_IDS = {str(e.event_id) for e in ALL_EVENTS}


def _ids(shelf: str, types: tuple[str, ...]) -> set[str]:
    return {str(e.event_id) for e in ALL_EVENTS if getattr(e, "shelf_id", None) == shelf and e.type in types}


SHELF_B_REACHES = _ids("shelf-B", ("touch", "pickup", "putback"))
SHELF_A_DWELLS = _ids("shelf-A", ("dwell",))


def test_the_hand_counts_of_the_filtered_sets() -> None:
    # Scenario: shelf-B has two touches, one pickup and its put-back; shelf-A three finished visits.
    assert (len(ALL_IDS), len(SHELF_B_REACHES), len(SHELF_A_DWELLS)) == (26, 4, 3)


@dataclass
class Setup:
    """Where each subscription delivers, and the integrations file that says so."""

    hook_all: WebhookReceiver
    hook_b: WebhookReceiver
    mqtt_port: int
    file: Path


def integrations_file(tmp_path: Path, hook_all: WebhookReceiver, hook_b: WebhookReceiver, mqtt_port: int) -> Path:
    mqtt = {"host": "127.0.0.1", "port": mqtt_port}
    config = {
        "subscriptions": [
            {"name": "hook-all", "webhook": {"url": hook_all.url, "secret_env": SECRET_ENV}, "retry": FAST_RETRY},
            {"name": "hook-shelf-b", "webhook": {"url": hook_b.url}, "retry": FAST_RETRY,
             "match": {"shelves": ["shelf-B"], "types": ["touch", "pickup", "putback"]}},
            {"name": "mqtt-all", "mqtt": {**mqtt, "topic": "shelfsight/{store}/{shelf}/{type}"}, "retry": FAST_RETRY},
            {"name": "mqtt-a-dwells", "mqtt": {**mqtt, "topic": "filtered/{store}/{camera}/{zone}/{type}"},
             "retry": FAST_RETRY, "match": {"stores": ["store-1"], "shelves": ["shelf-A"], "types": ["dwell"]}},
        ]
    }  # fmt: skip
    path = tmp_path / "integrations.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    monkeypatch.setenv(SECRET_ENV, SECRET)  # the server process inherits it
    hook_all, hook_b, mqtt_port = WebhookReceiver(free_port()), WebhookReceiver(free_port()), free_port()
    yield Setup(hook_all, hook_b, mqtt_port, integrations_file(tmp_path, hook_all, hook_b, mqtt_port))
    hook_all.stop()
    hook_b.stop()


def serve(tmp_path: Path, setup: Setup, ingest: str, db: str | None = None) -> Server:
    # The scenario's events are from 2024: a long retention keeps them (retention runs at start).
    return start_server(db or str(tmp_path / "agg.db"), ingest=ingest, log=tmp_path / "serve.log",
                        extra_args=["--integrations", str(setup.file), "--retention-days", "100000"])  # fmt: skip


def replay(server: Server) -> None:
    """The scenario, sent by a separate edge process: 26 valid events, one batch twice, one event repeated."""
    sender = subprocess.run([sys.executable, str(ROOT / "tests/dashboard/edge_sender.py"), server.ingest],
                            cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert sender.returncode == 0, sender.stdout + sender.stderr


def integrations(server: Server) -> dict[str, dict[str, Any]]:
    with server.client() as client:
        response = client.get("/api/v1/admin/integrations")
    assert response.status_code == 200, response.text
    return {item["name"]: item for item in response.json()}


def mqtt_ids(collector: MqttCollector, prefix: str) -> list[str]:
    return [str(p["event_id"]) for topic, p in collector.received() if topic.startswith(prefix + "/")]


def all_arrived(setup: Setup, collector: MqttCollector) -> bool:
    return (set(setup.hook_all.ids()) == ALL_IDS and set(setup.hook_b.ids()) == SHELF_B_REACHES
            and set(mqtt_ids(collector, "shelfsight")) == ALL_IDS
            and set(mqtt_ids(collector, "filtered")) == SHELF_A_DWELLS)  # fmt: skip


def progress(setup: Setup, collector: MqttCollector) -> dict[str, int]:
    """Distinct ids each receiver holds so far (for a timeout's message)."""
    return {"hook-all": len(set(setup.hook_all.ids())), "hook-shelf-b": len(set(setup.hook_b.ids())),
            "mqtt-all": len(set(mqtt_ids(collector, "shelfsight"))),
            "mqtt-a-dwells": len(set(mqtt_ids(collector, "filtered")))}  # fmt: skip


def assert_exactly_once_after_dedupe(setup: Setup, collector: MqttCollector) -> None:
    """Each receiver's distinct ids are exactly its filter's events: none missing, none foreign."""
    assert set(setup.hook_all.ids()) == ALL_IDS
    assert set(setup.hook_b.ids()) == SHELF_B_REACHES
    assert set(mqtt_ids(collector, "shelfsight")) == ALL_IDS
    assert set(mqtt_ids(collector, "filtered")) == SHELF_A_DWELLS
    assert {t.split("/")[0] for t, _ in collector.received()} == {"shelfsight", "filtered"}
    setup.hook_all.check_signatures(SECRET.encode())
    assert not any("x-shelfsight-signature" in r.headers for r in setup.hook_b.received())  # no secret, no signature


def expected_topic(event: AnyEvent, template: str) -> str:
    fields = {"store": event.store_id, "camera": event.camera_id, "zone": getattr(event, "zone_id", None),
              "shelf": getattr(event, "shelf_id", None), "type": event.type}  # fmt: skip
    return template.format(**{k: "-" if v is None else v for k, v in fields.items()})


def test_every_event_reaches_webhooks_and_mqtt_exactly_once_after_dedupe(tmp_path: Path, setup: Setup) -> None:
    setup.hook_all.start()
    setup.hook_b.start()
    broker = Mosquitto(setup.mqtt_port, tmp_path / "mosquitto.log")
    collector = MqttCollector(setup.mqtt_port, "#")
    server = serve(tmp_path, setup, f"tcp://127.0.0.1:{free_port()}")
    try:
        replay(server)
        wait_for(lambda: all_arrived(setup, collector), "every subscription's events",
                 explain=lambda: (progress(setup, collector), integrations(server)))  # fmt: skip
        assert_exactly_once_after_dedupe(setup, collector)

        # Topics are made from each event; the payload is the event's canonical JSON.
        by_id = {str(e.event_id): e for e in ALL_EVENTS}
        for topic, payload in collector.received():
            event = by_id[payload["event_id"]]
            template = "shelfsight/{store}/{shelf}/{type}" if topic.startswith("shelfsight/") else (
                "filtered/{store}/{camera}/{zone}/{type}")  # fmt: skip
            assert topic == expected_topic(event, template)
        assert "shelfsight/store-1/-/camera_status" in {t for t, _ in collector.received()}
        assert {r.headers["x-shelfsight-event-type"] for r in setup.hook_b.received()} == {"touch", "pickup", "putback"}

        # The admin API counts what was delivered; nothing is left owed.
        wait_for(lambda: all(i["pending"] == 0 for i in integrations(server).values()), "an empty outbox")
        status = integrations(server)
        assert status["hook-all"]["delivered"] >= len(ALL_IDS)
        assert status["mqtt-a-dwells"]["delivered"] >= len(SHELF_A_DWELLS)
        assert status["hook-all"]["signed"] and not status["hook-shelf-b"]["signed"]
        broker_url = f"mqtt://127.0.0.1:{setup.mqtt_port}"
        assert status["mqtt-all"]["target"] == f"{broker_url} shelfsight/{{store}}/{{shelf}}/{{type}}"
        assert all(i["failed"] == 0 for i in status.values())
    finally:
        server.stop()
        collector.stop()
        broker.stop()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_receivers_that_are_down_get_everything_once_up_even_across_a_restart(
    tmp_path: Path, setup: Setup, backend: str, request: pytest.FixtureRequest
) -> None:
    # Webhook receivers and broker are down while the scenario is ingested: every delivery fails and is retried.
    db = str(request.getfixturevalue("postgres_schema_url")) if backend == "postgresql" else None
    ingest = f"tcp://127.0.0.1:{free_port()}"
    server = serve(tmp_path, setup, ingest, db)
    replay(server)
    wait_for(lambda: all(i["retried"] > 0 for i in integrations(server).values()), "failed attempts on every target")
    status = integrations(server)
    assert [status[n]["pending"] for n in ("hook-all", "hook-shelf-b", "mqtt-all", "mqtt-a-dwells")] == [26, 4, 26, 3]
    assert status["hook-all"]["delivered"] == 0 and "ConnectError" in status["hook-all"]["last_error"]
    assert "not connected" in status["mqtt-all"]["last_error"]

    # The aggregator dies hard; the outbox is in its database, so the deliveries are still owed after a restart.
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(10)
    server.stop()

    setup.hook_all.start()
    setup.hook_b.start()
    broker = Mosquitto(setup.mqtt_port, tmp_path / "mosquitto.log")
    collector = MqttCollector(setup.mqtt_port, "#")
    restarted = serve(tmp_path, setup, ingest, db)
    try:
        wait_for(lambda: all_arrived(setup, collector), "every owed event after the restart",
                 explain=lambda: (progress(setup, collector), integrations(restarted)))  # fmt: skip
        assert_exactly_once_after_dedupe(setup, collector)
        wait_for(lambda: all(i["pending"] == 0 for i in integrations(restarted).values()), "an empty outbox")
    finally:
        restarted.stop()
        collector.stop()
        broker.stop()
