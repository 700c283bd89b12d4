"""The envelope over real ZeroMQ sockets, and garbage: every malformed message is a MessageError."""

from __future__ import annotations

from pathlib import Path

import msgpack  # type: ignore[import-untyped]
import numpy as np
import pytest
import zmq
from hypothesis import given, settings
from hypothesis import strategies as st

from shelfsight.transport.envelope import Envelope, MessageError, decode, encode
from shelfsight.transport.messages import Ack, EventBatch
from shelfsight.transport.topics import Stream, parse_topic, topic
from shelfsight.vision.events.codec import from_msgpack, to_msgpack
from tests.vision.events.event_samples import sample_event


@pytest.fixture
def pair(tmp_path: Path):  # type: ignore[no-untyped-def]
    context = zmq.Context()
    push, pull = context.socket(zmq.PUSH), context.socket(zmq.PULL)
    for sock in (push, pull):
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.RCVTIMEO, 2000)
        sock.setsockopt(zmq.SNDTIMEO, 2000)
    endpoint = f"ipc://{tmp_path}/test.sock"
    pull.bind(endpoint)
    push.connect(endpoint)
    yield push, pull
    push.close()
    pull.close()
    context.term()


def test_arrays_cross_a_real_socket_intact(pair) -> None:  # type: ignore[no-untyped-def]
    push, pull = pair
    frame = np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    boxes = np.arange(12, dtype=np.float32).reshape(3, 4)
    sent = Envelope(topic(b"s".decode(), "cam1", Stream.FRAMES), "frame", "cam1", 7, 1.5e9, {"k": 1}, (frame, boxes))
    push.send_multipart(encode(sent), copy=False)
    got = decode(pull.recv_multipart(copy=False))
    assert (got.kind, got.camera_id, got.seq, got.sent_at, got.body) == ("frame", "cam1", 7, 1.5e9, {"k": 1})
    np.testing.assert_array_equal(got.arrays[0], frame)
    np.testing.assert_array_equal(got.arrays[1], boxes)
    assert parse_topic(got.topic) == ("s", "cam1", Stream.FRAMES)


def test_event_batch_and_ack_round_trip(pair) -> None:  # type: ignore[no-untyped-def]
    push, pull = pair
    events = [sample_event("dwell"), sample_event("pickup")]
    batch = EventBatch("store-1", "cam1", "b-1", tuple(to_msgpack(e) for e in events), seq=3)
    push.send_multipart(encode(batch.to_envelope()))
    got = EventBatch.from_envelope(decode(pull.recv_multipart()))
    assert got == batch
    assert [from_msgpack(e) for e in got.events] == events
    ack = Ack("store-1", "b-1", accepted=1, duplicates=1, rejected=0)
    assert Ack.from_envelope(decode(encode(ack.to_envelope()))) == ack


GOOD_HEADER = msgpack.packb(
    {"v": 1, "kind": "x", "camera_id": "c", "seq": 1, "sent_at": 1.0, "buffers": [], "body": {}}
)


@pytest.mark.parametrize(
    ("frames", "message"),
    [
        ([b"only-topic"], "at least 2 frames"),
        ([b"t", b"\xc1\xc1"], "not msgpack"),
        ([b"t", msgpack.packb([1, 2])], "must be a map"),
        ([b"t", msgpack.packb({"v": 1, "kind": "x"})], "misses or mistypes"),
        ([b"t", GOOD_HEADER, b"extra"], "describes 0 buffers"),
        ([b"t", msgpack.packb({"v": 1, "kind": "x", "camera_id": "c", "seq": 1, "sent_at": 1.0,
                                "buffers": [["<f4", [3]]], "body": {}}), b"\x00" * 5], "does not fit"),
        ([b"t", msgpack.packb({"v": 1, "kind": "x", "camera_id": "c", "seq": 1, "sent_at": 1.0,
                                "buffers": [["|O", [1]]], "body": {}}), b"\x00" * 8], "object arrays"),
    ],
)  # fmt: skip
def test_malformed_messages_raise_one_error_type(frames: list[bytes], message: str) -> None:
    with pytest.raises(MessageError, match=message):
        decode(frames)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=64), min_size=0, max_size=4))
def test_garbage_never_escapes_as_another_error(frames: list[bytes]) -> None:
    try:
        envelope = decode(frames)
    except MessageError:
        return
    with pytest.raises(MessageError):  # a parsable envelope of garbage is still not an event batch
        EventBatch.from_envelope(envelope)


def test_batch_rejects_wrong_shapes() -> None:
    envelope = Envelope(b"t", "events", "cam1", 0, 1.0, {"store_id": "s", "batch_id": "b", "events": ["str"]})
    with pytest.raises(MessageError, match="msgpack byte strings"):
        EventBatch.from_envelope(envelope)
    with pytest.raises(ValueError, match="no '/'"):
        topic("a/b", "cam", Stream.EVENTS)
