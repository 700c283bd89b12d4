"""The integrations file: what it accepts, and a clear error (file and field) for what it does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from shelfsight.dashboard.integrations.config import EventMatch, MqttTarget, load_integrations
from shelfsight.vision.events.codec import to_dict
from tests.cli import run_shelfsight
from tests.dashboard import builders as b
from tests.dashboard.scenario import T0

GOOD = """
subscriptions:
  - name: crm
    match: {stores: [store-1], types: [pickup, putback]}
    webhook: {url: "https://crm.example/hooks/shelfsight", secret_env: HOOK_SECRET}
    retry: {initial_s: 2, max_s: 60, max_attempts: 10}
  - name: frigate-bus
    mqtt: {host: broker.local, topic: "shelfsight/{store}/{shelf}/{type}"}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "integrations.yaml"
    path.write_text(text)
    return path


def test_a_good_file_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", "abc")
    crm, bus = load_integrations(write(tmp_path, GOOD)).subscriptions
    assert (crm.kind, crm.retry.max_attempts, crm.webhook and crm.webhook.secret()) == ("webhook", 10, b"abc")
    assert (bus.kind, bus.mqtt and bus.mqtt.port, bus.retry.initial_s) == ("mqtt", 1883, 1.0)
    assert load_integrations(write(tmp_path, "")).subscriptions == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("subscriptions: [{name: a}]", "set exactly one of webhook: or mqtt:"),
        ("subscriptions: [{name: a, webhook: {url: 'http://x'}, mqtt: {host: h}}]", "set exactly one of"),
        ("subscriptions: [{name: a, webhook: {url: 'ftp://x'}}]", "subscriptions.0.webhook.url"),
        ("subscriptions: [{name: a, webhook: {url: 'http://x', secret_env: NOT_SET_ANYWHERE}}]",
         "environment variable NOT_SET_ANYWHERE is not set"),
        ("subscriptions: [{name: a, match: {types: [pick]}, webhook: {url: 'http://x'}}]",
         "unknown event type(s) ['pick']"),
        ("subscriptions: [{name: a, mqtt: {host: h, topic: 'x/{aisle}'}}]", "unknown placeholder(s) ['aisle']"),
        ("subscriptions: [{name: a, mqtt: {host: h, topic: 'x/#'}}]", "cannot hold the wildcards"),
        ("subscriptions: [{name: a, mqtt: {host: h}}, {name: a, mqtt: {host: h}}]", "names must be unique: ['a']"),
        ("subscriptions: [{name: 'Bad Name', mqtt: {host: h}}]", "subscriptions.0.name"),
        ("subscriptions: [{name: a, mqtt: {host: h}, extra: 1}]", "subscriptions.0.extra: Extra inputs"),
        ("subscriptions: [\n  - {name: a", "integrations file"),
    ],
)  # fmt: skip
def test_a_bad_file_is_refused_with_the_field(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ValueError, match="integrations file") as info:
        load_integrations(path)
    assert message in str(info.value) and str(path) in str(info.value)


def test_filters_and_topics_follow_the_event() -> None:
    pickup = b.pickup(shopper="s-1", shelf="shelf+B#2", start=T0)
    status = b.camera_status(camera="cam1", ts=T0, status="online")
    assert EventMatch(shelves=("shelf+B#2",), types=("pickup",)).matches(pickup)
    assert not EventMatch(shelves=("shelf+B#2",)).matches(status)  # no shelf: never matches a shelf filter
    assert not EventMatch(stores=("store-2",)).matches(pickup)
    template = MqttTarget(host="h", topic="s/{store}/{camera}/{zone}/{shelf}/{type}")
    assert template.topic_for(to_dict(pickup)) == "s/store-1/cam1/-/shelf_B_2/pickup"  # wildcards in ids become "_"


def test_serve_refuses_a_bad_file_before_starting(tmp_path: Path) -> None:
    path = write(tmp_path, "subscriptions: [{name: a}]")
    done = run_shelfsight("serve", "--db", str(tmp_path / "x.db"), "--no-ingest", "--integrations", str(path),
                          timeout_s=60)  # fmt: skip
    assert done.returncode == 2
    assert "set exactly one of webhook: or mqtt:" in done.stdout + done.stderr


def test_the_example_in_the_docs_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = (Path(__file__).resolve().parents[3] / "docs" / "dashboard.md").read_text()
    start = docs.index("```yaml\nsubscriptions:") + len("```yaml\n")
    monkeypatch.setenv("SHELFSIGHT_CRM_SECRET", "x")
    crm, bus = load_integrations(write(tmp_path, docs[start : docs.index("```", start)])).subscriptions
    assert (crm.kind, crm.match.types, bus.kind) == ("webhook", ("pickup", "putback"), "mqtt")
