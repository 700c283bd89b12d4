"""Fuzzing every socket of a live edge box with hypothesis (issue 14): frames (detector), detections (event
stage), wake (publisher), heartbeat (supervisor) and ack (the publisher's link to the aggregator, played here by
the test's own ROUTER). Real processes, real ipc/tcp sockets.

Every message is invalid by construction (`tests/pipeline/fuzz_messages.py`: inf, nan, 2**64 - 1, -1, 1e300,
1000-deep nesting, 100 KB strings, wrong types, not msgpack at all), so each stage must count exactly as many
bad messages as it was sent, keep its process (same pid, no restart) and keep working: frames still flow, and
the publisher still takes a real ack afterwards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import zmq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shelfsight.transport.envelope import decode, encode
from shelfsight.transport.messages import EVENTS_KIND, Ack, EventBatch
from tests.pipeline.edge.harness import EdgeBox, free_port, wait_for, write_config
from tests.pipeline.fuzz_messages import STORE, bad_messages

EXAMPLES = 4
MESSAGES = st.integers(5, 20)
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
COUNT_TIMEOUT_S = 60.0


@dataclass
class LiveBox:
    box: EdgeBox
    run_dir: Path
    router: zmq.Socket[bytes]
    context: zmq.Context[zmq.Socket[bytes]]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveBox]:
    """One camera live, its publisher sending to the test's ROUTER (which acknowledges only when told to)."""
    folder = tmp_path_factory.mktemp("fuzz")
    context = zmq.Context()
    router = context.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    router.bind(endpoint)
    box = EdgeBox(write_config(folder, endpoint=endpoint, cameras=("aisle-cam",)), folder, replay=False)
    try:
        for stage in ("detector", "events:aisle-cam"):
            wait_for(lambda s=stage: box.counter(s, "frames_total") >= 3, timeout_s=180,
                     what=f"frames through {stage}\n{box.tail()}")  # fmt: skip
        yield LiveBox(box, folder / "run", router, context)
    finally:
        box.terminate()
        box.wait(60)
        context.destroy(linger=0)


@contextlib.contextmanager
def _pushed(live: LiveBox, socket_name: str, messages: list[list[bytes]]) -> Iterator[None]:
    """Send ``messages`` and keep the connection open while the block runs: ZeroMQ discards what a receiver at
    its high-water mark has not taken yet when the sender disconnects, whatever the sender's linger."""
    socket = live.context.socket(zmq.PUSH)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(f"ipc://{live.run_dir / socket_name}")
    try:
        for message in messages:
            socket.send_multipart(message)
        yield
    finally:
        socket.close()


def _assert_counted_and_alive(live: LiveBox, stage: str, counter: str, before: float, sent: int, pid: int) -> None:
    box = live.box
    wait_for(lambda: box.counter(stage, counter) >= before + sent, timeout_s=COUNT_TIMEOUT_S,
             what=f"{stage} to count {sent} bad messages from {before}: {box.stage(stage)}\n{box.tail()}")  # fmt: skip
    assert box.counter(stage, counter) == before + sent, "a message was counted twice"
    state = box.stage(stage)
    assert state["alive"] and state["pid"] == pid and state["restarts"] == 0, state


@pytest.mark.parametrize(
    ("socket_name", "stage", "kind"),
    [("frames", "detector", "frame"), ("det-aisle-cam", "events:aisle-cam", "detections")],
)
@FUZZ
@given(data=st.data())
def test_frame_and_detection_sockets(
    live: LiveBox, socket_name: str, stage: str, kind: str, data: st.DataObject
) -> None:
    messages = data.draw(st.lists(bad_messages(kind), min_size=5, max_size=20), label="messages")
    box = live.box
    before, frames = box.counter(stage, "bad_messages_total"), box.counter(stage, "frames_total")
    pid = box.stage(stage)["pid"]
    with _pushed(live, socket_name, messages):
        _assert_counted_and_alive(live, stage, "bad_messages_total", before, len(messages), pid)
    assert box.counter(stage, "errors_total") == 0, "a message got past the decoders into the stage's work"
    wait_for(lambda: box.counter(stage, "frames_total") > frames, timeout_s=COUNT_TIMEOUT_S, what=f"{stage} working")


@FUZZ
@given(data=st.data())
def test_wake_socket(live: LiveBox, data: st.DataObject) -> None:
    messages = data.draw(st.lists(bad_messages("wake"), min_size=5, max_size=20), label="messages")
    before, pid = live.box.counter("publisher", "bad_messages_total"), live.box.stage("publisher")["pid"]
    with _pushed(live, "wake", messages):
        _assert_counted_and_alive(live, "publisher", "bad_messages_total", before, len(messages), pid)


@FUZZ
@given(data=st.data())
def test_heartbeat_socket(live: LiveBox, data: st.DataObject) -> None:
    messages = data.draw(st.lists(bad_messages("heartbeat"), min_size=5, max_size=20), label="messages")
    box = live.box
    before = box.status()["bad_heartbeats"]
    with _pushed(live, "heartbeat", messages):
        wait_for(lambda: box.status()["bad_heartbeats"] >= before + len(messages), timeout_s=COUNT_TIMEOUT_S,
                 what="the supervisor to count the bad heartbeats")  # fmt: skip
    status = box.status()
    assert status["bad_heartbeats"] == before + len(messages)
    assert all(s["alive"] and s["restarts"] == 0 for s in status["stages"]), status


def _next_batch(live: LiveBox) -> tuple[bytes, EventBatch]:
    """The next batch the publisher sends (it resends the unacknowledged one every few seconds); the edge beats
    it sends on the same socket are passed over."""
    while True:
        assert live.router.poll(int(COUNT_TIMEOUT_S * 1000)), "the publisher sent no batch"
        identity, *frames = live.router.recv_multipart()
        envelope = decode(frames)
        if envelope.kind == EVENTS_KIND:
            return identity, EventBatch.from_envelope(envelope)


@FUZZ
@given(data=st.data())
def test_ack_socket(live: LiveBox, data: st.DataObject) -> None:
    """Forged acks to the publisher's DEALER are counted and dropped; a real ack is still taken."""
    messages = data.draw(st.lists(bad_messages("ack"), min_size=5, max_size=20), label="messages")
    box = live.box
    before, pid = box.counter("publisher", "bad_messages_total"), box.stage("publisher")["pid"]
    identity, _ = _next_batch(live)
    for message in messages:
        live.router.send_multipart([identity, *message])
    _assert_counted_and_alive(live, "publisher", "bad_messages_total", before, len(messages), pid)


def test_the_publisher_still_takes_a_real_ack(live: LiveBox) -> None:
    box = live.box
    acked = box.counter("publisher", "events_acked_total")
    while live.router.poll(0):  # resends of the batch queued meanwhile
        live.router.recv_multipart()
    identity, batch = _next_batch(live)
    live.router.send_multipart([identity, *encode(Ack(STORE, batch.batch_id, len(batch.events), 0, 0).to_envelope())])
    wait_for(lambda: box.counter("publisher", "events_acked_total") >= acked + len(batch.events),
             timeout_s=COUNT_TIMEOUT_S, what="the publisher to take the ack")  # fmt: skip
