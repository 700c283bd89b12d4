"""Migration 0003 (event ids as 16-byte BLOBs on SQLite, text elsewhere): an upgraded database keeps its events,
its feed order and its dedupe; ids read back are canonical text on every backend."""

from __future__ import annotations

from typing import Any

from shelfsight.dashboard.storage import open_store
from shelfsight.dashboard.storage.base import EventFilter, FeedPosition, RollupQuery
from shelfsight.dashboard.storage.ids import id_int, id_text, id_uuid, parse_event_id
from shelfsight.dashboard.storage.rows import EVENT_COLUMNS, event_row
from shelfsight.dashboard.storage.sql import load_migrations, migrate
from shelfsight.dashboard.storage.sql_store import SqlStore
from shelfsight.vision.events.contract import AnyEvent
from tests.dashboard import builders as b
from tests.dashboard.scenario import ALL_EVENTS, BATCH_A, HOUR, T0


def _text_row(event: AnyEvent) -> tuple[Any, ...]:
    """The row that the code of schema version 2 wrote: ids as canonical text."""
    row = list(event_row(event, T0))
    row[0] = str(row[0])
    row[13] = None if row[13] is None else str(row[13])
    return tuple(row)


def test_an_upgraded_database_keeps_its_events_feed_order_and_dedupe(any_store_url: str) -> None:
    pick = b.pickup(shopper="s9", shelf="shelf-X", start=T0 + 100)
    old = [*BATCH_A, pick]
    store = open_store(any_store_url)
    assert isinstance(store, SqlStore)
    try:
        with store._pool.connection() as conn:  # a database left at version 2, with events in it
            migrations = load_migrations(store.migrations_folder)
            assert migrate(conn, migrations[:2]) == [1, 2]
            with conn.transaction():
                conn.insert_many("events", EVENT_COLUMNS, [_text_row(e) for e in old])
        assert store.migrate() == [m.version for m in migrations[2:]]
        assert store.counts().events == len(old)
        feed = store.events(EventFilter(), after=None, limit=1000)
        assert [(r.ts, r.event_id) for r in feed] == sorted((e.ts, str(e.event_id)) for e in old)
        stored = store.event(str(pick.event_id))
        assert stored is not None and stored.event_id == str(pick.event_id)
        # Dedupe across the upgrade: every old event is a duplicate; a put-back reverses the old pickup once.
        again = store.ingest(old, [], received_at=T0)
        assert (len(again.accepted), again.duplicates) == (0, len(old))
        back = b.putback(shopper="s9", shelf="shelf-X", start=T0 + 200, reverses=pick.event_id)
        assert len(store.ingest([back, back], [], received_at=T0).accepted) == 1
        rollups = store.rollups(RollupQuery("store-1", 3600, T0 - HOUR, T0 + HOUR))
        assert sum(r.counts.reversed for r in rollups if r.target_id == "shelf-X") == 1
        assert store.counts().events == len(old) + 1
    finally:
        store.close()


def test_feed_pages_follow_the_text_order_of_ids_on_every_backend(any_store_url: str) -> None:
    # Big-endian id bytes (SQLite) sort like their canonical text (the other backends): pages of 3 cover it all.
    store = open_store(any_store_url)
    store.migrate()
    try:
        same_ts = [b.pickup(shopper=f"s{i}", shelf="shelf-Y", start=T0) for i in range(12)]  # ties on ts
        store.ingest([*ALL_EVENTS, *same_ts], [], received_at=T0)
        seen, after = [], None
        while page := store.events(EventFilter(), after=after, limit=3):
            seen.extend(page)
            after = FeedPosition(page[-1].ts, page[-1].event_id)
        expected = sorted((e.ts, str(e.event_id)) for e in [*ALL_EVENTS, *same_ts])
        assert [(r.ts, r.event_id) for r in seen] == expected
    finally:
        store.close()


def test_an_id_spelled_otherwise_than_canonically_finds_nothing(any_store_url: str) -> None:
    store = open_store(any_store_url)
    store.migrate()
    try:
        store.ingest(BATCH_A, [], received_at=T0)
        canonical = str(BATCH_A[0].event_id)
        assert store.event(canonical) is not None
        for other in (canonical.upper(), canonical.replace("-", ""), "{" + canonical + "}", "not-an-id", ""):
            assert store.event(other) is None
    finally:
        store.close()


def test_id_helpers_read_every_backend_form() -> None:
    event_id = BATCH_A[0].event_id
    for value in (event_id.bytes, event_id, str(event_id)):
        assert id_text(value) == str(event_id)
        assert id_uuid(value) == event_id
        assert id_int(value) == event_id.int
    assert parse_event_id(str(event_id)) == event_id
    assert parse_event_id(str(event_id).upper()) is None
    assert parse_event_id("x") is None
