"""The outbox on every SQL backend: written in the ingest transaction for new events only, filtered per
subscription, and settled (acknowledged rows deleted, failed ones pushed back or given up)."""

from __future__ import annotations

import pytest

from shelfsight.dashboard.integrations.config import EventMatch, MqttTarget, Subscription, WebhookTarget
from shelfsight.dashboard.integrations.outbox import Backlog, GiveUp, Outbox, OutboxReader, Retry
from shelfsight.dashboard.storage.base import Store
from shelfsight.dashboard.storage.sql_store import SqlStore
from shelfsight.vision.events.codec import from_json
from tests.dashboard.scenario import ALL_EVENTS, BATCH_A, BATCH_B, BATCH_C, T0

NOW = T0 + 10_000.0
HOOK = Subscription(name="all", webhook=WebhookTarget(url="http://127.0.0.1:9/hook"))
PICKUPS_B = Subscription(
    name="pickups-b",
    match=EventMatch(shelves=("shelf-B",), types=("pickup",)),
    mqtt=MqttTarget(host="127.0.0.1"),
)


def attach(store: Store) -> OutboxReader:
    assert isinstance(store, SqlStore)
    return store.attach_outbox(Outbox([HOOK, PICKUPS_B], clock=lambda: NOW))


def test_each_new_event_is_owed_once_per_matching_subscription(any_store: Store) -> None:
    reader = attach(any_store)
    any_store.ingest(BATCH_A, [], received_at=T0)
    any_store.ingest([*BATCH_A, *BATCH_B, BATCH_B[0]], [], received_at=T0)  # A resent, one event repeated
    any_store.ingest(BATCH_C, [], received_at=T0)
    assert reader.backlog() == {"all": Backlog(pending=26), "pickups-b": Backlog(pending=1)}

    everything = reader.due("all", now=NOW, limit=1000)
    assert sorted(d.event_id for d in everything) == sorted(str(e.event_id) for e in ALL_EVENTS)
    assert [from_json(d.payload or "") for d in everything] == ALL_EVENTS  # in acceptance order, canonical JSON
    assert {d.attempts for d in everything} == {0} and {d.created_at for d in everything} == {NOW}
    (pickup,) = reader.due("pickups-b", now=NOW, limit=1000)
    assert pickup.event()["type"] == "pickup" and pickup.event()["shelf_id"] == "shelf-B"
    assert reader.due("all", now=NOW - 1, limit=1000) == []  # not due before it was accepted


def test_settling_deletes_pushes_back_and_gives_up(any_store: Store) -> None:
    reader = attach(any_store)
    any_store.ingest(BATCH_A, [], received_at=T0)
    first, second, third, *_ = reader.due("all", now=NOW, limit=1000)
    reader.settle([first.id], [Retry(second.id, 1, NOW + 5, "HTTP 503")], [GiveUp(third.id, 1, NOW, "HTTP 410")])
    assert reader.backlog()["all"] == Backlog(pending=len(BATCH_A) - 2, failed=1)
    due_now = {d.id for d in reader.due("all", now=NOW, limit=1000)}
    assert first.id not in due_now and second.id not in due_now and third.id not in due_now
    assert reader.next_due("all") == pytest.approx(NOW)
    later = reader.due("all", now=NOW + 5, limit=1000)
    assert [d.attempts for d in later if d.id == second.id] == [1]
    assert reader.next_due("nobody") is None


def test_no_subscription_owes_nothing_and_ingest_is_unchanged(any_store: Store) -> None:
    reader = attach(any_store)
    result = any_store.ingest([BATCH_A[0]], [], received_at=T0)  # a camera_status: only "all" wants it
    assert len(result.accepted) == 1 and reader.backlog() == {"all": Backlog(pending=1)}


def test_an_event_deleted_by_retention_is_owed_without_its_payload(any_store: Store) -> None:
    reader = attach(any_store)
    any_store.ingest(BATCH_A, [], received_at=T0)
    any_store.delete_before(T0 + 110)  # the camera status and the first visit's start and touch
    gone = [d for d in reader.due("all", now=NOW, limit=1000) if d.payload is None]
    assert len(gone) == 3 and all(d.event() == {} for d in gone)


def test_an_ingest_that_fails_owes_nothing(sqlite_store: Store) -> None:
    reader = attach(sqlite_store)
    assert isinstance(sqlite_store, SqlStore)
    with sqlite_store._pool.connection() as conn, conn.transaction():
        conn.execute("DROP TABLE camera_log")  # the status log write fails inside the ingest transaction
    with pytest.raises(Exception, match="camera_log"):
        sqlite_store.ingest(BATCH_A, [], received_at=T0)
    assert reader.backlog() == {}
