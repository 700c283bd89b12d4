"""Fuzzing the aggregator's ingest socket (issue 14): a real ROUTER in its receiver thread, a real DEALER.

Every message is invalid by construction (`tests/pipeline/fuzz_messages.py`): the receiver must count each one
as malformed, keep running, and still store and acknowledge a good batch afterwards. A good batch whose events
are broken (1000-deep nesting, inf, nan) is acknowledged with those events rejected (dead-lettered).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import zmq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shelfsight.dashboard.ingest.receiver import IngestOptions, IngestReceiver
from shelfsight.dashboard.storage.base import Store
from shelfsight.transport.envelope import decode, encode
from shelfsight.transport.messages import Ack, EventBatch
from shelfsight.vision.events.codec import to_dict, to_msgpack
from tests.dashboard.scenario import BATCH_A
from tests.pipeline.fuzz_messages import Deep, bad_messages, pack

TIMEOUT_S = 30.0


def _eventually(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


@pytest.fixture
def ingest(sqlite_store: Store, tmp_path: Path) -> Iterator[tuple[IngestReceiver, zmq.Socket[bytes]]]:
    receiver = IngestReceiver(store=sqlite_store, endpoint=f"ipc://{tmp_path}/ingest.sock",
                              options=IngestOptions(poll_ms=20))  # fmt: skip
    receiver.start()
    context = zmq.Context()
    dealer = context.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.connect(receiver.endpoint)
    yield receiver, dealer
    dealer.close()
    context.term()
    receiver.stop()


def _acked(dealer: zmq.Socket[bytes], batch: EventBatch) -> Ack:
    dealer.send_multipart(encode(batch.to_envelope()))
    assert dealer.poll(int(TIMEOUT_S * 1000)), "no ack"
    return Ack.from_envelope(decode(dealer.recv_multipart()))


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_malformed_messages_are_counted_and_ingest_goes_on(
    ingest: tuple[IngestReceiver, zmq.Socket[bytes]], data: st.DataObject
) -> None:
    receiver, dealer = ingest
    messages = data.draw(st.lists(bad_messages("events"), min_size=5, max_size=30), label="messages")
    before = receiver.stats.malformed_messages
    for message in messages:
        dealer.send_multipart(message)
    _eventually(lambda: receiver.stats.malformed_messages >= before + len(messages) or not receiver.running,
                f"{len(messages)} malformed messages counted")  # fmt: skip
    assert receiver.running, "the ingest thread died"
    assert receiver.stats.malformed_messages == before + len(messages)
    batch_id = f"good-{receiver.stats.batches}"
    good = EventBatch(BATCH_A[0].store_id, "*", batch_id, (to_msgpack(BATCH_A[0]),))
    assert _acked(dealer, good).batch_id == batch_id


def test_broken_events_in_a_good_batch_are_rejected_not_fatal(ingest: tuple[IngestReceiver, zmq.Socket[bytes]]) -> None:
    receiver, dealer = ingest
    good = to_dict(BATCH_A[1])
    broken = (Deep().packed(), pack({**good, "zone_id": Deep()}), pack({**good, "ts": math.inf}),
              pack({**good, "store_id": Deep("map")}))  # fmt: skip
    ack = _acked(dealer, EventBatch(BATCH_A[1].store_id, "*", "mixed", (*broken, to_msgpack(BATCH_A[1]))))
    assert (ack.accepted, ack.rejected) == (1, len(broken))
    assert receiver.running
