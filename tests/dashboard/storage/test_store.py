"""The storage suite every backend must pass (SQLite, DuckDB, PostgreSQL): same inputs, same answers."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from shelfsight.dashboard.storage import open_store
from shelfsight.dashboard.storage.base import (
    DeadLetter,
    EventFilter,
    FeedPosition,
    RollupCounts,
    RollupQuery,
    Store,
    TokenRecord,
)
from shelfsight.dashboard.storage.prepared import PreparedIngest
from shelfsight.dashboard.storage.rollup import HIST_COLUMNS, dwell_bin
from shelfsight.dashboard.storage.sql import SchemaError
from shelfsight.vision.events.codec import from_json
from tests.dashboard import builders as b
from tests.dashboard.scenario import ALL_EVENTS, BATCH_A, BATCH_B, BATCH_C, HOUR, T0

ALL = RollupQuery("store-1", 3600, T0 - 10 * HOUR, T0 + 10 * HOUR)


def _totals(store: Store, query: RollupQuery = ALL) -> dict[str, RollupCounts]:
    totals: dict[str, RollupCounts] = {}
    for row in store.rollups(query):
        totals[row.target_id] = totals.get(row.target_id, RollupCounts()) + row.counts
    return totals


def _hist(*dwells: float) -> tuple[int, ...]:
    hist = [0] * len(HIST_COLUMNS)
    for d in dwells:
        hist[dwell_bin(d)] += 1
    return tuple(hist)


def test_migrations_are_versioned_and_idempotent(any_store: Store) -> None:
    assert any_store.schema_version() == 6
    assert any_store.migrate() == []
    assert any_store.schema_version() == 6


def test_what_a_store_committed_is_there_after_it_is_closed(any_store_url: str) -> None:
    # PostgreSQL once kept an implicit transaction open after migrate(): nothing was ever committed.
    first = open_store(any_store_url)
    applied = first.migrate()
    first.ingest(BATCH_A, [], received_at=T0)
    first.close()
    again = open_store(any_store_url)
    try:
        assert again.schema_version() == applied[-1]
        assert again.migrate() == []
        assert len(again.events(EventFilter(), after=None, limit=1000)) == len(BATCH_A)
    finally:
        again.close()


def test_a_database_newer_than_the_code_is_refused(any_store: Store) -> None:
    any_store.add_token(TokenRecord("x", "x", ("read",), "h", 1.0))  # touch the db so the pool has a connection
    with any_store._pool.connection() as conn, conn.transaction():  # type: ignore[attr-defined]
        conn.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", (99, "future", 0.0))
    with pytest.raises(SchemaError, match="version 99, newer than this code knows"):
        any_store.migrate()


def test_every_event_is_stored_once_however_often_it_arrives(any_store: Store) -> None:
    first = any_store.ingest([*BATCH_A, BATCH_A[1]], [], received_at=T0)
    assert (len(first.accepted), first.duplicates) == (len(BATCH_A), 1)
    again = any_store.ingest(BATCH_A, [], received_at=T0)
    assert (len(again.accepted), again.duplicates) == (0, len(BATCH_A))
    rows = any_store.events(EventFilter(), after=None, limit=1000)
    assert sorted(r.event_id for r in rows) == sorted(str(e.event_id) for e in BATCH_A)
    assert any_store.counts().events == len(BATCH_A)


def test_a_prepared_ingest_counts_like_separate_ingests(any_store: Store, tmp_path: Path) -> None:
    # Batches added to one PreparedIngest (the receiver's group commit): repeats across them and events already
    # stored are duplicates, and the rollups, targets and open visits equal those of one ingest per batch.
    any_store.ingest(BATCH_A, [], received_at=T0)
    prepared = PreparedIngest()
    prepared.add([*BATCH_B, BATCH_A[0]], [], received_at=T0)
    prepared.add([*BATCH_B[:2], *BATCH_C], [DeadLetter(b"x", "bad", "store-1", "b", T0)], received_at=T0)
    result = any_store.ingest_prepared(prepared)
    assert (len(result.accepted), result.duplicates, result.dead_lettered) == (len(BATCH_B) + len(BATCH_C), 3, 1)
    assert result.accepted == (*BATCH_B, *BATCH_C)
    reference = open_store(str(tmp_path / "reference.db"))
    try:
        reference.migrate()
        for batch in (BATCH_A, BATCH_B, BATCH_C):
            reference.ingest(batch, [], received_at=T0)
        assert _totals(any_store) == _totals(reference)
        assert any_store.targets("store-1") == reference.targets("store-1")
        assert any_store.open_visits("store-1", confirmed_since=0) == reference.open_visits(
            "store-1", confirmed_since=0
        )
    finally:
        reference.close()
    assert any_store.counts().events == len(ALL_EVENTS)


def test_rollups_count_each_event_once_and_match_the_hand_count(any_store: Store) -> None:
    any_store.ingest(BATCH_A, [], received_at=T0)
    any_store.ingest(BATCH_A + BATCH_B, [], received_at=T0)  # A again: must not count twice
    any_store.ingest(BATCH_C, [], received_at=T0)
    totals = _totals(any_store)
    assert totals["shelf-A"] == RollupCounts(
        entries=4,
        visits=3,
        touches=1,
        pickups=2,
        putbacks=1,
        reversed=1,
        dwell_sum_s=100.0,
        dwell_hist=_hist(30, 10, 60),
    )
    assert totals["shelf-B"] == RollupCounts(
        entries=4, visits=3, touches=2, pickups=1, putbacks=1, reversed=1, dwell_sum_s=70.0, dwell_hist=_hist(20, 45, 5)
    )


def test_minute_and_hour_rollups_agree(any_store: Store) -> None:
    any_store.ingest(ALL_EVENTS, [], received_at=T0)
    minutes = _totals(any_store, RollupQuery("store-1", 60, T0 - 10 * HOUR, T0 + 10 * HOUR))
    assert minutes == _totals(any_store)
    zones = _totals(any_store, RollupQuery("store-1", 3600, T0 - 10 * HOUR, T0 + 10 * HOUR, group_by="zone"))
    assert set(zones) == {"za", "zb"}
    assert zones["za"].visits == 3 and zones["za"].pickups == 0  # pickups carry no zone


def test_window_totals_equal_the_sum_of_buckets(any_store: Store) -> None:
    any_store.ingest(ALL_EVENTS, [], received_at=T0)
    whole = any_store.rollups(RollupQuery("store-1", 60, T0 - 10 * HOUR, T0 + 10 * HOUR, per_bucket=False))
    assert {row.target_id: row.counts for row in whole} == _totals(any_store)
    assert [row.bucket_start for row in whole] == [int(T0 + 60), int(T0 + 600)]  # each shelf's first minute with data
    only_b = any_store.rollups(RollupQuery("store-1", 3600, T0, T0 + HOUR, target_ids=("shelf-B",), per_bucket=False))
    assert [(row.target_id, row.counts.visits) for row in only_b] == [("shelf-B", 2)]


def test_a_putback_reverses_its_pickup_once_in_any_arrival_order(any_store: Store) -> None:
    pick = b.pickup(shopper="s1", shelf="shelf-X", start=T0 + 3590)  # hour 16; its put-back lands in hour 17
    back = b.putback(shopper="s1", shelf="shelf-X", start=T0 + 3620, reverses=pick.event_id)
    back_again = b.putback(shopper="s1", shelf="shelf-X", start=T0 + 3700, reverses=pick.event_id)
    any_store.ingest([back], [], received_at=T0)
    any_store.ingest([pick], [], received_at=T0)
    any_store.ingest([back_again, back], [], received_at=T0)
    rows = {r.bucket_start: r.counts for r in any_store.rollups(ALL) if r.target_id == "shelf-X"}
    assert rows[int(T0)].pickups == 1 and rows[int(T0)].reversed == 1
    assert rows[int(T0 + HOUR)].putbacks == 2 and rows[int(T0 + HOUR)].reversed == 0


def test_coverage_is_the_same_whatever_order_status_events_arrive_in(any_store: Store) -> None:
    statuses = [e for e in ALL_EVENTS if e.type == "camera_status"]
    shuffled = statuses[:]
    random.Random(7).shuffle(shuffled)
    for event in shuffled:
        any_store.ingest([event], [], received_at=T0)
    rows = {(r.camera_id, r.bucket_start): r for r in any_store.coverage("store-1", 3600, T0 - HOUR, T0 + 3 * HOUR)}
    # Closed intervals only: cam2 online 15:59-16:30, offline 16:30-18:00 (cam1's one interval is still open).
    assert (rows["cam2", int(T0 - HOUR)].online_s, rows["cam2", int(T0 - HOUR)].offline_s) == (60.0, 0.0)
    assert (rows["cam2", int(T0)].online_s, rows["cam2", int(T0)].offline_s) == (1800.0, 1800.0)
    assert (rows["cam2", int(T0 + HOUR)].online_s, rows["cam2", int(T0 + HOUR)].offline_s) == (0.0, 3600.0)
    assert ("cam1", int(T0)) not in rows
    minutes = any_store.coverage("store-1", 60, T0, T0 + HOUR)
    assert sum(r.offline_s for r in minutes) == 1800.0 and len(minutes) == 60
    assert [e.status for e in any_store.camera_latest("store-1")] == ["online", "online"]


def test_camera_log_includes_the_status_in_force_at_the_window_start(any_store: Store) -> None:
    any_store.ingest(ALL_EVENTS, [], received_at=T0)
    log = any_store.camera_log("store-1", T0 + HOUR, T0 + 3 * HOUR)
    assert [(e.camera_id, e.ts, e.status) for e in log] == [
        ("cam1", T0 - 60, "online"),
        ("cam2", T0 + 1800, "offline"),
        ("cam2", T0 + 2 * HOUR, "online"),
    ]


def test_first_status_is_the_earliest_of_any_camera_of_the_store(any_store: Store) -> None:
    """Coverage counts from here (before it the cameras' state is unknown), whatever order statuses arrive in."""
    assert any_store.first_status_ts("store-1") is None
    any_store.ingest([e for e in ALL_EVENTS if e.type == "camera_status"][::-1], [], received_at=T0)
    any_store.ingest([b.camera_status(camera="cam9", ts=T0 - 7200, status="offline", store="store-2")], [],
                     received_at=T0)  # fmt: skip
    assert any_store.first_status_ts("store-1") == T0 - 60
    assert any_store.first_status_ts("store-2") == T0 - 7200


def test_open_visits_close_when_their_dwell_arrives_before_or_after(any_store: Store) -> None:
    started = b.dwell_started(shopper="s9", zone="za", shelf="shelf-A", start=T0)
    finished = b.dwell(shopper="s9", zone="za", shelf="shelf-A", start=T0, seconds=9.0)
    late_started = b.dwell_started(shopper="s8", zone="za", shelf="shelf-A", start=T0)
    late_finished = b.dwell(shopper="s8", zone="za", shelf="shelf-A", start=T0, seconds=9.0)
    any_store.ingest([started, late_finished], [], received_at=T0)
    assert [v.shopper_id for v in any_store.open_visits("store-1", confirmed_since=0)] == ["s9"]
    any_store.ingest([finished, late_started], [], received_at=T0)
    assert any_store.open_visits("store-1", confirmed_since=0) == []


def test_pass_bys_are_counted_once_and_close_their_visit_in_any_order(any_store: Store) -> None:
    """A confirmed pass-by ends its dwell_started's visit (no "dwelling now" for 30 minutes) and is counted once."""
    started = b.dwell_started(shopper="p1", zone="za", shelf="shelf-P", start=T0)
    passed = b.pass_by(shopper="p1", zone="za", shelf="shelf-P", start=T0, seconds=3.0)
    early_pass = b.pass_by(shopper="p2", zone="za", shelf="shelf-P", start=T0 + 5, seconds=2.5)
    late_started = b.dwell_started(shopper="p2", zone="za", shelf="shelf-P", start=T0 + 5)
    walk_through = b.pass_by(shopper="p3", zone="za", shelf="shelf-P", start=T0 + 9, seconds=0.4, confirmed=False)
    stays = b.dwell_started(shopper="p4", zone="za", shelf="shelf-P", start=T0 + 20)
    any_store.ingest([started, early_pass, stays], [], received_at=T0)
    assert sorted(v.shopper_id for v in any_store.open_visits("store-1", confirmed_since=0)) == ["p1", "p4"]
    any_store.ingest([passed, late_started, walk_through, passed, early_pass], [], received_at=T0)  # resent too
    assert [v.shopper_id for v in any_store.open_visits("store-1", confirmed_since=0)] == ["p4"]
    counts = _totals(any_store)["shelf-P"]
    assert (counts.passbys, counts.entries, counts.visits, sum(counts.dwell_hist)) == (3, 3, 0, 0)
    by_zone = _totals(any_store, RollupQuery("store-1", 60, T0 - HOUR, T0 + HOUR, group_by="zone"))
    assert by_zone["za"].passbys == 3
    stored = any_store.events(EventFilter(store_id="store-1", types=("pass_by",)), after=None, limit=10)
    assert sorted(from_json(e.payload).shopper_id for e in stored) == ["p1", "p2", "p3"]  # type: ignore[union-attr]


def test_feed_pages_are_stable_filtered_and_complete(any_store: Store) -> None:
    any_store.ingest(ALL_EVENTS, [], received_at=T0)
    seen, after = [], None
    while True:
        page = any_store.events(EventFilter(store_id="store-1"), after=after, limit=4)
        seen.extend(page)
        if len(page) < 4:
            break
        after = FeedPosition(page[-1].ts, page[-1].event_id)
    assert [(r.ts, r.event_id) for r in seen] == sorted((e.ts, str(e.event_id)) for e in ALL_EVENTS)
    assert [from_json(r.payload) for r in seen] == sorted(ALL_EVENTS, key=lambda e: (e.ts, str(e.event_id)))
    middle = seen[len(seen) // 2]
    from_time = any_store.events(EventFilter(), after=FeedPosition(middle.ts, ""), limit=1000)  # "" = before all
    assert from_time == [r for r in seen if r.ts >= middle.ts]
    flt = EventFilter(shelf_id="shelf-B", types=("pickup", "putback"), since=T0 + HOUR)
    assert [from_json(r.payload).type for r in any_store.events(flt, after=None, limit=10)] == ["pickup", "putback"]
    assert len(any_store.events(EventFilter(camera_id="cam1", zone_id="za"), after=None, limit=100)) == 8
    assert len(any_store.events(EventFilter(shopper_id="cam2-1"), after=None, limit=100)) == 4
    assert any_store.events(EventFilter(store_id="elsewhere"), after=None, limit=10) == []


def test_shopper_events_come_in_start_order(any_store: Store) -> None:
    any_store.ingest(list(reversed(BATCH_A)), [], received_at=T0)
    types = [from_json(r.payload).type for r in any_store.shopper_events("store-1", "cam1-1")]
    assert types == ["dwell_started", "dwell", "touch", "pickup", "putback"]


def test_targets_and_stores_are_known_from_events(any_store: Store) -> None:
    any_store.ingest(ALL_EVENTS, [], received_at=T0)
    pairs = {(t.shelf_id, t.zone_id, t.camera_id) for t in any_store.targets("store-1")}
    assert pairs == {("shelf-A", "za", "cam1"), ("shelf-A", "", "cam1"), ("shelf-B", "zb", "cam2"),
                     ("shelf-B", "", "cam2")}  # fmt: skip
    assert any_store.stores() == ["store-1"]


def test_dead_letters_keep_raw_bytes_and_page_newest_first(any_store: Store) -> None:
    letters = [DeadLetter(bytes([0, 255, i]), f"bad {i}", "store-1", "b1", T0 + i) for i in range(3)]
    result = any_store.ingest([], letters, received_at=T0)
    assert result.dead_lettered == 3
    stored = any_store.dead_letters(limit=2)
    assert [s.letter for s in stored] == [letters[2], letters[1]]
    assert [s.letter for s in any_store.dead_letters(limit=5, before_id=stored[-1].id)] == [letters[0]]


def test_retention_deletes_raw_events_and_keeps_rollups(any_store: Store) -> None:
    any_store.ingest(ALL_EVENTS, [DeadLetter(b"x", "bad", "store-1", "b", T0)], received_at=T0)
    before = _totals(any_store)
    result = any_store.delete_before(T0 + HOUR)
    assert result.events == len(BATCH_A) + len(BATCH_B) + 1  # + the 16:30 offline status
    assert result.dead_letters == 1
    assert any_store.counts().events == len(BATCH_C) - 1
    assert _totals(any_store) == before


def test_tokens_are_stored_by_hash_and_revoked_once(any_store: Store) -> None:
    record = TokenRecord("t1", "analyst", ("read",), "abc", 5.0)
    any_store.add_token(record)
    assert any_store.token_by_hash("abc") == record
    assert any_store.token_by_hash("nope") is None
    assert any_store.revoke_token("t1", at=6.0) is True
    assert any_store.revoke_token("t1", at=7.0) is False
    assert any_store.tokens()[0].revoked_at == 6.0
