"""The ingest receiver against hostile and broken input, over real ZeroMQ sockets (issue 14).

Nothing a peer sends may end the receive thread or go uncounted: forged headers (``seq: inf``, huge and
negative numbers, deep nesting; a hypothesis fuzz), oversized frames (ZeroMQ's MAXMSGSIZE disconnects the
peer), huge events (dead-lettered with capped bytes), and edge beats (recorded as liveness). If the thread ends
anyway, the receiver says why.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgpack  # type: ignore[import-untyped]
import pytest
import zmq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shelfsight.dashboard.ingest.batches import DEAD_LETTER_RAW_BYTES, MAX_EVENT_BYTES
from shelfsight.dashboard.ingest.receiver import IngestOptions, IngestReceiver, IngestStats
from shelfsight.dashboard.storage.base import Store
from shelfsight.dashboard.storage.prepared import PreparedIngest
from shelfsight.pipeline.publisher import EventPublisher, PublisherSettings
from shelfsight.pipeline.spool import Spool
from shelfsight.transport.envelope import decode, encode
from shelfsight.transport.liveness import EdgeBeat
from shelfsight.transport.messages import Ack, EventBatch
from shelfsight.vision.events.codec import to_msgpack
from tests.dashboard import builders as b
from tests.dashboard.scenario import BATCH_A, T0

TIMEOUT_MS = 5000


def _eventually(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


@pytest.fixture
def context() -> Iterator[zmq.Context[zmq.Socket[bytes]]]:
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    yield ctx
    ctx.destroy(linger=0)  # closes what a failed test left open (term() would wait for it for ever)


def _dealer(context: zmq.Context[zmq.Socket[bytes]], endpoint: str) -> zmq.Socket[bytes]:
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.setsockopt(zmq.RCVTIMEO, TIMEOUT_MS)
    socket.setsockopt(zmq.SNDTIMEO, TIMEOUT_MS)
    socket.connect(endpoint)
    return socket


@pytest.fixture
def receiver(sqlite_store: Store, tmp_path: Path) -> Iterator[IngestReceiver]:
    ingest = IngestReceiver(
        store=sqlite_store, endpoint=f"ipc://{tmp_path}/ingest.sock", options=IngestOptions(poll_ms=20)
    )
    ingest.start()
    yield ingest
    ingest.stop()


def _probe(socket: zmq.Socket[bytes], batch_id: str) -> Ack:
    """Send a valid one-event batch and return its ack: proof the receiver is alive and has read what came before
    (a ROUTER reads each peer's messages in order)."""
    socket.send_multipart(encode(EventBatch("store-1", "cam1", batch_id, (to_msgpack(BATCH_A[0]),)).to_envelope()))
    while True:  # acks of forged-but-valid batches come first
        ack = Ack.from_envelope(decode(socket.recv_multipart()))
        if ack.batch_id == batch_id:
            return ack


def _header(**fields: Any) -> bytes:
    base = {"v": 1, "kind": "events", "camera_id": "cam1", "seq": 1, "sent_at": T0, "buffers": [],
            "body": {"store_id": "store-1", "batch_id": "x", "events": []}}  # fmt: skip
    return bytes(msgpack.packb({**base, **fields}, use_bin_type=True))


FORGED = [
    [b"t", _header(seq=float("inf"))],  # OverflowError in int(): killed ingest for good before
    [b"t", _header(seq=float("nan"))],
    [b"t", _header(sent_at=float("-inf"))],  # a send time that is no time
    [b"t", _header(seq=-(2**63))],  # a negative sequence number
    [b"t", _header(sent_at=-1e300, seq=2**63 - 1)],  # odd but decodable: an empty batch, acked
    [b"t", _header(buffers=[["<f4", [float("inf")]]]), b""],  # an inf array dimension
    [b"t", _header(buffers=[["<f4", [2**62, 2**62]]]), b"\0" * 8],
    [b"t", b"\x91" * 100_000 + b"\xc0"],  # 100,000 nested arrays
    [b"t", _header(kind="edge_beat", body={"store_id": "store-1", "cameras": ["c"], "interval_s": float("inf")})],
    [b"t", _header(kind="edge_beat", body={"store_id": "store-1", "cameras": [[[]]], "interval_s": 5})],
]


def test_forged_headers_are_counted_and_dropped_and_ingest_goes_on(
    receiver: IngestReceiver, context: zmq.Context[zmq.Socket[bytes]]
) -> None:
    socket = _dealer(context, receiver.endpoint)
    for frames in FORGED:
        socket.send_multipart(frames)
    assert _probe(socket, "after-forgeries").accepted == 1
    stats = receiver.stats
    counted = (stats.messages, stats.malformed_messages, stats.batches, stats.loop_errors)
    assert counted == (len(FORGED) + 1, len(FORGED) - 1, 2, 0)
    assert receiver.running
    socket.close()


NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.sampled_from([float("inf"), float("-inf"), float("nan"), 1e308, -1e308, 2**63, -(2**63)]),
)
LEAVES = st.one_of(NUMBERS, st.text(max_size=8), st.binary(max_size=8), st.none(), st.booleans())


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)


NESTED = st.recursive(LEAVES, _containers, max_leaves=12)
BUFFER_SPECS = st.lists(
    st.tuples(st.sampled_from(["<f4", "|O", "<i8", "zz"]), st.lists(NUMBERS, max_size=3)), max_size=2
)
BODIES = st.fixed_dictionaries(
    {},
    optional={
        "store_id": st.one_of(st.just("store-1"), NESTED),
        "batch_id": st.one_of(st.text(), NESTED),
        "events": st.one_of(st.lists(st.binary(max_size=20), max_size=3), NESTED),
        "cameras": st.one_of(st.lists(st.text(max_size=5), max_size=3), NESTED),
        "interval_s": NUMBERS,
    },
)
HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "v": st.one_of(st.just(1), NUMBERS),
        "kind": st.sampled_from(["events", "edge_beat", "ack", "heartbeat", ""]),
        "camera_id": st.one_of(st.text(max_size=6), NUMBERS),
        "seq": NUMBERS,
        "sent_at": NUMBERS,
        "buffers": BUFFER_SPECS,
        "body": BODIES,
    },
)


def _deep(depth: int) -> bytes:
    return b"\x91" * depth + b"\xc0"


MESSAGES = st.one_of(
    HEADERS.map(lambda h: [b"shelfsight/store-1/*/events", msgpack.packb(h, use_bin_type=True)]),
    st.integers(min_value=1, max_value=200_000).map(lambda d: [b"t", _deep(d)]),
    st.lists(st.binary(max_size=30), min_size=0, max_size=4),
)


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[IngestReceiver, zmq.Socket[bytes]]]:
    from shelfsight.dashboard.storage import open_store

    folder = tmp_path_factory.mktemp("fuzz")
    store = open_store(str(folder / "fuzz.db"))
    store.migrate()
    ingest = IngestReceiver(store=store, endpoint=f"ipc://{folder}/ingest.sock", options=IngestOptions(poll_ms=20))
    ingest.start()
    context: zmq.Context[zmq.Socket[bytes]] = zmq.Context()
    socket = _dealer(context, ingest.endpoint)
    yield ingest, socket
    context.destroy(linger=0)
    ingest.stop()
    store.close()


@given(messages=st.lists(MESSAGES, min_size=1, max_size=15))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])  # fmt: skip
def test_fuzzed_messages_never_stop_ingest_and_each_is_counted(
    fuzz_target: tuple[IngestReceiver, zmq.Socket[bytes]], messages: list[list[bytes]]
) -> None:
    receiver, socket = fuzz_target
    before = receiver.stats
    sent = 0
    for frames in messages:
        if frames:  # ZeroMQ sends no empty multipart message
            socket.send_multipart(frames)
            sent += 1
    ack = _probe(socket, f"probe-{before.messages}")
    assert ack.accepted + ack.duplicates == 1
    after = receiver.stats
    assert after.messages - before.messages == sent + 1
    handled = (after.malformed_messages + after.batches + after.beats) - (
        before.malformed_messages + before.batches + before.beats
    )
    assert handled == sent + 1, (before, after)  # every message counted once: malformed, a batch or a beat
    assert after.loop_errors == before.loop_errors and receiver.running


def test_an_oversized_frame_disconnects_its_peer_before_it_is_buffered(
    sqlite_store: Store, tmp_path: Path, context: zmq.Context[zmq.Socket[bytes]]
) -> None:
    options = IngestOptions(poll_ms=20, max_message_bytes=64 * 1024)
    ingest = IngestReceiver(store=sqlite_store, endpoint=f"ipc://{tmp_path}/ingest.sock", options=options)
    ingest.start()
    try:
        big = _dealer(context, ingest.endpoint)
        big.send_multipart(encode(EventBatch("store-1", "cam1", "huge", (b"\x81" * 200_000,)).to_envelope()))
        _eventually(lambda: ingest.stats.disconnects >= 1)
        big.close()
        small = _dealer(context, ingest.endpoint)
        assert _probe(small, "small").accepted == 1
        small.close()
    finally:
        ingest.stop()
    assert (ingest.stats.messages, ingest.stats.malformed_messages) == (1, 0)  # the huge one never arrived
    assert sqlite_store.counts().dead_letters == 0


def test_a_huge_event_is_dead_lettered_with_capped_bytes(
    receiver: IngestReceiver, context: zmq.Context[zmq.Socket[bytes]], sqlite_store: Store
) -> None:
    socket = _dealer(context, receiver.endpoint)
    huge = b"\x81\xa1a" + b"\xc4" * (MAX_EVENT_BYTES * 2)
    garbage = b"\xc1" * (DEAD_LETTER_RAW_BYTES * 3)  # small enough to parse, not an event
    batch = EventBatch("store-1", "cam1", "b-huge", (huge, garbage, to_msgpack(BATCH_A[1])))
    socket.send_multipart(encode(batch.to_envelope()))
    assert Ack.from_envelope(decode(socket.recv_multipart())) == Ack("store-1", "b-huge", 1, 0, 2)
    letters = sorted(sqlite_store.dead_letters(limit=10), key=lambda d: d.id)
    assert [len(d.letter.raw) for d in letters] == [DEAD_LETTER_RAW_BYTES, DEAD_LETTER_RAW_BYTES]
    assert f"event of {len(huge)} bytes" in letters[0].letter.error
    assert f"first {DEAD_LETTER_RAW_BYTES} of {len(garbage)} bytes" in letters[1].letter.error
    socket.close()


def test_edge_beats_are_recorded_per_camera(
    receiver: IngestReceiver, context: zmq.Context[zmq.Socket[bytes]], sqlite_store: Store
) -> None:
    socket = _dealer(context, receiver.endpoint)
    socket.send_multipart(encode(EdgeBeat("store-1", ("cam1", "cam2"), 2.0).to_envelope()))
    _probe(socket, "after-beat")
    liveness = {c.camera_id: c for c in sqlite_store.camera_liveness("store-1")}
    assert set(liveness) == {"cam1", "cam2"} and liveness["cam1"].stale_after_s == 6.0
    assert receiver.stats.beats == 1
    socket.close()


def test_the_edge_publisher_beats_while_idle_and_the_aggregator_hears_it(
    receiver: IngestReceiver, sqlite_store: Store, tmp_path: Path
) -> None:
    spool = Spool(tmp_path / "spool.db", max_events=100)
    settings_ = PublisherSettings(endpoint=receiver.endpoint, store_id="store-1", cameras=("cam-a",),
                                  beat_interval_s=0.1, idle_poll_s=0.02)  # fmt: skip
    publisher = EventPublisher(spool, settings_, zmq.Context.instance())
    stop = threading.Event()
    thread = threading.Thread(target=publisher.run, args=(stop,), daemon=True)
    thread.start()
    try:
        _eventually(lambda: receiver.stats.beats >= 3)  # nothing in the spool: beats still go
    finally:
        stop.set()
        thread.join(10)
        publisher.close()
    (heard,) = sqlite_store.camera_liveness("store-1")
    assert (heard.camera_id, heard.stale_after_s) == ("cam-a", pytest.approx(0.3))


class ExitingStore:
    """A real store whose commit raises what no ``except Exception`` catches (a stand-in for an interpreter
    shutdown in the middle of a commit), to see the receiver report that its thread ended."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner

    def ingest_prepared(self, prepared: PreparedIngest) -> object:
        raise SystemExit("stopped mid-commit")

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def test_a_receive_thread_that_ends_says_why(
    sqlite_store: Store, tmp_path: Path, context: zmq.Context[zmq.Socket[bytes]]
) -> None:
    store = ExitingStore(sqlite_store)
    ingest = IngestReceiver(store=store, endpoint=f"ipc://{tmp_path}/ingest.sock", options=IngestOptions(poll_ms=20))  # type: ignore[arg-type]
    ingest.start()
    socket = _dealer(context, ingest.endpoint)
    socket.send_multipart(encode(EventBatch("store-1", "cam1", "b", (to_msgpack(BATCH_A[0]),)).to_envelope()))
    _eventually(lambda: not ingest.running)
    assert ingest.failure == "SystemExit: stopped mid-commit"
    ingest.stop()
    socket.close()


@pytest.mark.integration  # PostgreSQL
def test_a_nul_in_a_status_reason_is_a_poison_event_on_postgresql(
    postgres_schema_url: str, tmp_path: Path, context: zmq.Context[zmq.Socket[bytes]]
) -> None:
    """PostgreSQL refuses NUL in text; the contract allows it in ``reason``: the event is dead-lettered, the rest
    of the batch is stored and acknowledged, and ingest goes on."""
    from shelfsight.dashboard.storage import open_store

    store = open_store(postgres_schema_url)
    store.migrate()
    ingest = IngestReceiver(store=store, endpoint=f"ipc://{tmp_path}/ingest.sock", options=IngestOptions(poll_ms=20))
    ingest.start()
    try:
        socket = _dealer(context, ingest.endpoint)
        poison = b.camera_status(camera="cam9", ts=T0, status="offline", reason="cable\x00cut")
        batch = EventBatch("store-1", "*", "b-nul", (to_msgpack(BATCH_A[0]), to_msgpack(poison)))
        socket.send_multipart(encode(batch.to_envelope()))
        assert Ack.from_envelope(decode(socket.recv_multipart())) == Ack("store-1", "b-nul", 1, 0, 1)
        assert _probe(socket, "after").duplicates == 1
        socket.close()
    finally:
        ingest.stop()
    (letter,) = store.dead_letters(limit=5)
    assert letter.letter.raw == to_msgpack(poison) and "could not write this event" in letter.letter.error
    assert ingest.stats.poison_events == 1 and isinstance(ingest.stats, IngestStats)
    store.close()
