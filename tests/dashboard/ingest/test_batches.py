"""Decoding received messages: malformed messages raise, bad events become dead letters, acks add up."""

from __future__ import annotations

import msgpack  # type: ignore[import-untyped]
import pytest

from shelfsight.dashboard.ingest.batches import acks_for, decode_message, plan_commit
from shelfsight.transport.envelope import Envelope, MessageError, encode
from shelfsight.transport.messages import Ack, EventBatch
from shelfsight.vision.events.codec import to_dict, to_msgpack
from tests.dashboard import builders as b
from tests.dashboard.scenario import T0

GOOD = b.dwell(shopper="s1", zone="z", shelf="shelf", start=T0, seconds=5.0)


def _frames(batch: EventBatch, identity: bytes = b"edge-1") -> list[bytes]:
    return [identity, *(bytes(f) for f in encode(batch.to_envelope()))]


def _tampered() -> bytes:
    data = to_dict(GOOD)
    data["dwell_s"] = 99.0
    return bytes(msgpack.packb(data, use_bin_type=True))


@pytest.mark.parametrize(
    ("frames", "message"),
    [
        ([b"edge-1"], "expected identity"),
        ([b"edge-1", b"topic", b"\xc1not msgpack"], "header is not msgpack"),
        ([b"edge-1", *(bytes(f) for f in encode(Envelope(b"t", "heartbeat", "*", 0, T0)))], "expected kind 'events'"),
        ([b"edge-1", b"t", msgpack.packb({"v": 1})], "misses or mistypes"),
    ],
)
def test_malformed_messages_raise(frames: list[bytes], message: str) -> None:
    with pytest.raises(MessageError, match=message):
        decode_message(frames, received_at=T0)


def test_bad_events_become_dead_letters_and_the_rest_is_kept() -> None:
    other_store = b.dwell(shopper="s2", zone="z", shelf="shelf", start=T0, seconds=5.0, store="store-2")
    raw = [to_msgpack(GOOD), _tampered(), b"\x93garbage", to_msgpack(other_store)]
    received = decode_message(_frames(EventBatch("store-1", "cam1", "b-1", tuple(raw))), received_at=T0)
    assert received.identity == b"edge-1"
    assert received.events == [GOOD]
    assert [d.raw for d in received.dead_letters] == raw[1:]
    errors = [d.error for d in received.dead_letters]
    assert "dwell_s: expected ts_end - ts_start" in errors[0]
    assert errors[1].startswith("not valid msgpack") or errors[1].startswith("expected a mapping")
    assert errors[2] == "store_id: expected the batch's store 'store-1', got 'store-2'"
    assert {(d.store_id, d.batch_id, d.received_at) for d in received.dead_letters} == {("store-1", "b-1", T0)}


def _repeated_key_in_spot() -> bytes:
    """A pickup whose nested ``spot`` map names ``spot_id`` twice (a top-level check alone would miss it)."""
    pickup = b.pickup(shopper="s4", shelf="shelf", start=T0)
    packed = to_msgpack(pickup)
    spot = msgpack.packb(to_dict(pickup)["spot"], use_bin_type=True)
    doubled = b"\x83" + spot[1:] + msgpack.packb("spot_id") + msgpack.packb("b")
    assert spot in packed
    return packed.replace(spot, doubled)


def test_a_key_repeated_in_a_nested_map_dead_letters_the_event() -> None:
    raw = _repeated_key_in_spot()
    received = decode_message(_frames(EventBatch("store-1", "cam1", "b-1", (raw, to_msgpack(GOOD)))), received_at=T0)
    assert received.events == [GOOD]
    assert [(d.raw, d.error) for d in received.dead_letters] == [
        (raw, "duplicate key 'spot_id': ambiguous input is rejected")
    ]


def test_acks_count_accepted_duplicates_and_rejected_per_batch() -> None:
    other = b.dwell(shopper="s3", zone="z", shelf="shelf", start=T0, seconds=5.0)
    first = decode_message(
        _frames(EventBatch("store-1", "cam1", "b-1", (to_msgpack(GOOD), to_msgpack(GOOD), _tampered()))),
        received_at=T0,
    )
    second = decode_message(
        _frames(EventBatch("store-1", "cam1", "b-2", (to_msgpack(GOOD), to_msgpack(other)))), received_at=T0
    )
    plan = plan_commit([first, second])
    assert (plan.candidates, plan.repeats) == ([[GOOD.event_id.int], [other.event_id.int]], [1, 1])
    # The store had `other` already: only GOOD is new.
    acks = acks_for([first, second], plan, accepted_ids={GOOD.event_id.int})
    assert acks == [
        Ack("store-1", "b-1", accepted=1, duplicates=1, rejected=1),
        Ack("store-1", "b-2", accepted=0, duplicates=2, rejected=0),
    ]
