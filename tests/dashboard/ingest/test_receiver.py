"""The ingest receiver over real ZeroMQ sockets: acks after commit, duplicates, garbage, failures, CURVE."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
import zmq
import zmq.auth

from shelfsight.dashboard.ingest.curve import CurveServerKeys
from shelfsight.dashboard.ingest.receiver import IngestOptions, IngestReceiver
from shelfsight.dashboard.services.bus import EventBus
from shelfsight.dashboard.storage.base import DeadLetter, EventFilter, IngestResult, Store
from shelfsight.dashboard.storage.prepared import PreparedIngest
from shelfsight.transport.envelope import decode, encode
from shelfsight.transport.messages import Ack, EventBatch
from shelfsight.vision.events.codec import to_msgpack
from shelfsight.vision.events.contract import AnyEvent
from tests.dashboard.scenario import BATCH_A

TIMEOUT_MS = 3000


class GatedStore:
    """A real store whose ingest can be held at a gate or made to fail, to observe when acks leave.

    While ``down`` every write fails, as in a database outage; ``refuse`` names event ids the store cannot write
    (a poison event: it passed validation, the database refuses it).
    """

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()
        self.down = False
        self.attempts = 0
        self.refuse: set[str] = set()

    def ingest_prepared(self, prepared: PreparedIngest) -> IngestResult:
        self.entered.set()
        assert self.gate.wait(10)
        self.attempts += 1
        if self.down:
            raise RuntimeError("database unavailable")
        if refused := self.refuse & {str(e.event_id) for e in prepared.events}:
            raise RuntimeError(f"cannot store {sorted(refused)}")
        return self.inner.ingest_prepared(prepared)

    def ingest(
        self, events: Sequence[AnyEvent], dead_letters: Sequence[DeadLetter], *, received_at: float
    ) -> IngestResult:
        return self.ingest_prepared(PreparedIngest.of(events, dead_letters, received_at=received_at))

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


@pytest.fixture
def endpoint(tmp_path: Path) -> str:
    return f"ipc://{tmp_path}/ingest.sock"


@pytest.fixture
def dealer(endpoint: str) -> Iterator[zmq.Socket[bytes]]:
    context = zmq.Context()
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.setsockopt(zmq.RCVTIMEO, TIMEOUT_MS)
    socket.connect(endpoint)
    yield socket
    socket.close()
    context.term()


def _send(socket: zmq.Socket[bytes], batch_id: str, events: Sequence[AnyEvent]) -> None:
    batch = EventBatch("store-1", "cam1", batch_id, tuple(to_msgpack(e) for e in events))
    socket.send_multipart(encode(batch.to_envelope()))


def _eventually(condition: Callable[[], bool], timeout_s: float = 2.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def _ack(socket: zmq.Socket[bytes]) -> Ack:
    return Ack.from_envelope(decode(socket.recv_multipart()))


@pytest.fixture
def receiver(sqlite_store: Store, endpoint: str) -> Iterator[IngestReceiver]:
    bus = EventBus()
    ingest = IngestReceiver(store=sqlite_store, endpoint=endpoint, bus=bus, options=IngestOptions(poll_ms=20))
    ingest.start()
    yield ingest
    ingest.stop()


def test_batches_are_acked_with_counts_and_resends_are_duplicates(
    receiver: IngestReceiver, dealer: zmq.Socket[bytes], sqlite_store: Store
) -> None:
    _send(dealer, "b-1", BATCH_A + BATCH_A[:2])
    assert _ack(dealer) == Ack("store-1", "b-1", accepted=len(BATCH_A), duplicates=2, rejected=0)
    _send(dealer, "b-1", BATCH_A)
    assert _ack(dealer) == Ack("store-1", "b-1", accepted=0, duplicates=len(BATCH_A), rejected=0)
    assert sqlite_store.counts().events == len(BATCH_A)
    _eventually(lambda: receiver.stats.acks_sent == 2)  # counted just after the send the dealer saw
    stats = receiver.stats
    assert (stats.batches, stats.accepted, stats.duplicates, stats.acks_sent) == (2, len(BATCH_A), 14, 2)


def test_garbage_is_counted_and_dropped_and_ingest_goes_on(receiver: IngestReceiver, dealer: zmq.Socket[bytes]) -> None:
    dealer.send_multipart([b"not", b"an envelope"])
    dealer.send(b"one frame")
    _send(dealer, "b-2", BATCH_A[:1])
    assert _ack(dealer).accepted == 1
    assert receiver.stats.malformed_messages == 2


def test_the_ack_leaves_only_after_the_commit(sqlite_store: Store, endpoint: str, dealer: zmq.Socket[bytes]) -> None:
    store = GatedStore(sqlite_store)
    store.gate.clear()
    ingest = IngestReceiver(store=store, endpoint=endpoint, options=IngestOptions(poll_ms=20))  # type: ignore[arg-type]
    ingest.start()
    try:
        _send(dealer, "b-3", BATCH_A[:3])
        assert store.entered.wait(5)
        assert dealer.poll(300) == 0  # held inside the transaction: no ack yet
        store.gate.set()
        assert _ack(dealer).accepted == 3
        assert sqlite_store.counts().events == 3
    finally:
        ingest.stop()


def test_a_database_outage_sends_no_ack_and_the_resend_is_stored(
    sqlite_store: Store, endpoint: str, dealer: zmq.Socket[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("shelfsight.dashboard.ingest.receiver.FAILED_COMMIT_BACKOFF_S", 0.01)
    store = GatedStore(sqlite_store)
    store.down = True
    ingest = IngestReceiver(store=store, endpoint=endpoint, options=IngestOptions(poll_ms=20))  # type: ignore[arg-type]
    ingest.start()
    try:
        _send(dealer, "b-4", BATCH_A[:2])
        _eventually(lambda: ingest.stats.failed_commits >= 1 and ingest.stats.commits == 0)
        # Isolation gave up at the first write that failed on its own: a few attempts, not one per event.
        assert store.attempts <= 3
        assert dealer.poll(300) == 0
        store.down = False
        _send(dealer, "b-4", BATCH_A[:2])  # what the edge's spool does without an ack
        assert _ack(dealer) == Ack("store-1", "b-4", accepted=2, duplicates=0, rejected=0)
    finally:
        ingest.stop()
    assert sqlite_store.counts().events == 2 and sqlite_store.counts().dead_letters == 0


def test_an_event_the_store_refuses_is_dead_lettered_and_the_rest_stored_and_acked(
    sqlite_store: Store, endpoint: str, dealer: zmq.Socket[bytes]
) -> None:
    store = GatedStore(sqlite_store)
    poison = BATCH_A[3]
    store.refuse = {str(poison.event_id)}
    ingest = IngestReceiver(store=store, endpoint=endpoint, options=IngestOptions(poll_ms=20))  # type: ignore[arg-type]
    ingest.start()
    try:
        _send(dealer, "b-9", BATCH_A)
        assert _ack(dealer) == Ack("store-1", "b-9", accepted=len(BATCH_A) - 1, duplicates=0, rejected=1)
        _send(dealer, "b-10", BATCH_A[:2])  # ingest goes on
        assert _ack(dealer).duplicates == 2
    finally:
        ingest.stop()
    stored = {e.event_id for e in sqlite_store.events(EventFilter(), after=None, limit=100)}
    assert stored == {str(e.event_id) for e in BATCH_A} - {str(poison.event_id)}
    (letter,) = sqlite_store.dead_letters(limit=10)
    assert letter.letter.raw == to_msgpack(poison) and "the store could not write this event" in letter.letter.error
    assert ingest.stats.poison_events == 1


def test_new_events_reach_the_bus_once(sqlite_store: Store, endpoint: str, dealer: zmq.Socket[bytes]) -> None:
    published: list[AnyEvent] = []

    class Recorder(EventBus):
        def publish(self, events: Sequence[AnyEvent]) -> None:
            published.extend(events)

    ingest = IngestReceiver(store=sqlite_store, endpoint=endpoint, bus=Recorder(), options=IngestOptions(poll_ms=20))
    ingest.start()
    try:
        _send(dealer, "b-5", BATCH_A[:4])
        _ack(dealer)
        _send(dealer, "b-5", BATCH_A[:4])
        _ack(dealer)
    finally:
        ingest.stop()
    assert published == BATCH_A[:4]


def test_stop_is_prompt_and_frees_the_endpoint(sqlite_store: Store, endpoint: str) -> None:
    ingest = IngestReceiver(store=sqlite_store, endpoint=endpoint, options=IngestOptions(poll_ms=50))
    ingest.start()
    started = time.monotonic()
    ingest.stop()
    assert time.monotonic() - started < 1.0
    assert not ingest.running
    again = IngestReceiver(store=sqlite_store, endpoint=endpoint)
    again.start()
    again.stop()


def test_curve_accepts_only_configured_edge_keys(sqlite_store: Store, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    allowed = tmp_path / "allowed"
    keys.mkdir()
    allowed.mkdir()
    _, server_secret = zmq.auth.create_certificates(keys, "aggregator")
    edge_public, edge_secret = zmq.auth.create_certificates(keys, "edge")
    _, stranger_secret = zmq.auth.create_certificates(keys, "stranger")
    (allowed / "edge.key").write_bytes(Path(edge_public).read_bytes())
    curve = CurveServerKeys.load(Path(server_secret), clients_dir=allowed, client_keys=())
    ingest = IngestReceiver(
        store=sqlite_store, endpoint="tcp://127.0.0.1:0", curve=curve, options=IngestOptions(poll_ms=20)
    )
    ingest.start()
    context = zmq.Context()
    try:
        for secret_file, batch_id in ((edge_secret, "ok"), (stranger_secret, "refused")):
            public, secret = zmq.auth.load_certificate(secret_file)
            socket = context.socket(zmq.DEALER)
            socket.setsockopt(zmq.LINGER, 0)
            socket.curve_publickey, socket.curve_secretkey, socket.curve_serverkey = public, secret, curve.public_key
            socket.connect(ingest.endpoint)
            _send(socket, batch_id, BATCH_A[:1] if batch_id == "ok" else BATCH_A[1:2])
            answered = socket.poll(1500 if batch_id == "ok" else 700)
            assert bool(answered) == (batch_id == "ok")
            socket.close()
    finally:
        context.term()
        ingest.stop()
    assert [r.event_id for r in sqlite_store.events(EventFilter(), after=None, limit=10)] == [str(BATCH_A[0].event_id)]


def test_curve_keys_are_checked_at_load(tmp_path: Path) -> None:
    public, secret = zmq.auth.create_certificates(tmp_path, "aggregator")
    with pytest.raises(ValueError, match="holds no secret key"):
        CurveServerKeys.load(Path(public), clients_dir=None, client_keys=["x" * 40])
    with pytest.raises(ValueError, match="no edge public key is allowed"):
        CurveServerKeys.load(Path(secret), clients_dir=None, client_keys=[])
    with pytest.raises(ValueError, match="40-character Z85"):
        CurveServerKeys.load(Path(secret), clients_dir=None, client_keys=["short"])
