"""Turning received multipart messages into events, dead letters and per-batch acks (no sockets here).

A *message* that is not an envelope holding an `EventBatch` or an `EdgeBeat` is malformed: counted and dropped
(there is no batch id to acknowledge). Whatever a decoder raises is reported as `MessageError`, so no message,
however forged (``seq: inf``, deep nesting, huge numbers), can raise anything else out of here. An *event*
inside a good batch that is not a valid v1 event, is larger than `MAX_EVENT_BYTES`, or claims another store
than its batch, is dead-lettered; the rest of the batch is stored. A dead letter keeps at most
`DEAD_LETTER_RAW_BYTES` of the raw event and `DEAD_LETTER_ERROR_CHARS` of the error text, so one huge forged
event cannot fill the database or make the dead-letter listing huge.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass, field
from typing import Any, TypeVar

from shelfsight.dashboard.storage.base import DeadLetter
from shelfsight.transport.envelope import Envelope, MessageError, decode
from shelfsight.transport.liveness import BEAT_KIND, EdgeBeat
from shelfsight.transport.messages import Ack, EventBatch
from shelfsight.vision.events.codec import from_msgpack
from shelfsight.vision.events.contract import AnyEvent

MAX_EVENT_BYTES = 64 * 1024
"""Largest msgpack event accepted: a v1 event is a few hundred bytes (ids are at most 128 characters), so
anything this big is not one, and is dead-lettered without being parsed."""
DEAD_LETTER_RAW_BYTES = 4096
"""Raw bytes kept of a dead-lettered event (the rest is cut, and the error says how much there was)."""
DEAD_LETTER_ERROR_CHARS = 2000
"""Characters kept of a dead letter's error text (validation errors quote the input)."""
MAX_BATCH_ID_CHARS = 256
"""Longest batch id accepted (the edge's are short); it is echoed in acks and kept with dead letters."""

_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_In = TypeVar("_In")
_Out = TypeVar("_Out")


@dataclass
class ReceivedBatch:
    """One decoded batch, from the peer ``identity`` (the ROUTER's routing frame).

    ``raws`` holds the msgpack bytes of each of ``events`` (same order), so an event that a store cannot write
    can still be dead-lettered as received (`shelfsight.dashboard.ingest.commit`).
    """

    identity: bytes
    batch: EventBatch
    events: list[AnyEvent] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    raws: list[bytes] = field(default_factory=list)
    received_at: float = 0.0

    def dead_letter(self, raw: bytes, error: str, received_at: float) -> DeadLetter:
        """A dead letter of ``raw`` from this batch, cut to the stored limits."""
        return capped_dead_letter(raw, error, self.batch.store_id, self.batch.batch_id, received_at)


@dataclass(frozen=True)
class ReceivedBeat:
    """One edge beat, from the peer ``identity``, and when it arrived (aggregator clock, epoch s)."""

    identity: bytes
    beat: EdgeBeat
    received_at: float


def capped_dead_letter(raw: bytes, error: str, store_id: str, batch_id: str, received_at: float) -> DeadLetter:
    """A `DeadLetter` keeping at most `DEAD_LETTER_RAW_BYTES` of ``raw`` and `DEAD_LETTER_ERROR_CHARS` of text.

    Control characters in the texts are escaped: they come from the sender, and a NUL is refused by PostgreSQL,
    which would make the dead letter itself unstorable.
    """
    if len(error) > DEAD_LETTER_ERROR_CHARS:
        error = error[:DEAD_LETTER_ERROR_CHARS] + " [...]"
    if len(raw) > DEAD_LETTER_RAW_BYTES:
        error += f" (raw cut to its first {DEAD_LETTER_RAW_BYTES} of {len(raw)} bytes)"
        raw = raw[:DEAD_LETTER_RAW_BYTES]
    return DeadLetter(raw, _escaped(error), _escaped(store_id), _escaped(batch_id), received_at)


def _escaped(text: str) -> str:
    """``text`` with C0 control characters other than tab and newline written as ``\\xNN``."""
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def decode_received(frames: Sequence[Any], *, received_at: float) -> ReceivedBatch | ReceivedBeat:
    """Decode ``[identity, topic, header, ...]`` as received by a ROUTER socket: an event batch or an edge beat.

    Raises:
        MessageError: If the frames are neither, whatever went wrong inside the decoders.
    """
    identity, envelope = _envelope(frames)
    if envelope.kind == BEAT_KIND:
        return ReceivedBeat(identity, _guarded(EdgeBeat.from_envelope, envelope), received_at)
    return _batch(identity, _guarded(EventBatch.from_envelope, envelope), received_at)


def decode_message(frames: Sequence[Any], *, received_at: float) -> ReceivedBatch:
    """Decode ``[identity, topic, header, ...]`` holding an `EventBatch`.

    Raises:
        MessageError: If the frames are not an envelope holding an `EventBatch`.
    """
    identity, envelope = _envelope(frames)
    return _batch(identity, _guarded(EventBatch.from_envelope, envelope), received_at)


def _envelope(frames: Sequence[Any]) -> tuple[bytes, Envelope]:
    if len(frames) < 3:
        raise MessageError(f"expected identity + envelope frames, got {len(frames)} frame(s)")
    identity = bytes(frames[0].buffer) if hasattr(frames[0], "buffer") else bytes(frames[0])
    return identity, _guarded(decode, frames[1:])


def _guarded(decoder: Callable[[_In], _Out], value: _In) -> _Out:
    """``decoder(value)``, with any exception it raises turned into `MessageError` (an ``OverflowError`` from
    ``int(inf)``, a ``RecursionError`` from deep nesting...): a forged message must never stop ingest."""
    try:
        return decoder(value)
    except MessageError:
        raise
    except Exception as exc:
        raise MessageError(f"undecodable message ({type(exc).__name__}: {str(exc)[:200]})") from exc


def _batch(identity: bytes, batch: EventBatch, received_at: float) -> ReceivedBatch:
    if len(batch.batch_id) > MAX_BATCH_ID_CHARS:
        raise MessageError(f"batch_id: expected at most {MAX_BATCH_ID_CHARS} characters, got {len(batch.batch_id)}")
    received = ReceivedBatch(identity, batch, received_at=received_at)
    for raw in batch.events:
        if len(raw) > MAX_EVENT_BYTES:
            error = f"event of {len(raw)} bytes: larger than the {MAX_EVENT_BYTES} bytes any v1 event needs"
            received.dead_letters.append(received.dead_letter(raw, error, received_at))
            continue
        try:
            event: AnyEvent = from_msgpack(raw)
        except Exception as exc:  # EventDecodeError, or anything the codec did not expect: the event is bad
            received.dead_letters.append(received.dead_letter(raw, str(exc), received_at))
            continue
        if event.store_id != batch.store_id:
            error = f"store_id: expected the batch's store {batch.store_id!r}, got {event.store_id!r}"
            received.dead_letters.append(received.dead_letter(raw, error, received_at))
            continue
        received.events.append(event)
        received.raws.append(raw)
    return received


@dataclass(frozen=True)
class CommitPlan:
    """Which batch of a group committed together carries each event id first (for the batches' acks)."""

    candidates: list[list[int]]
    """Per batch, the event ids (as ``UUID.int``) it is the first to carry in this commit (only these can be
    accepted). Integers hash and compare in C; formatting a UUID as text costs about a microsecond."""
    repeats: list[int]
    """Per batch, events repeating an id carried earlier in this commit (always duplicates)."""


def plan_commit(batches: Sequence[ReceivedBatch]) -> CommitPlan:
    """Remember which batch carries which event first (the store dedupes the events themselves)."""
    seen: set[int] = set()
    plan = CommitPlan([], [])
    for received in batches:
        firsts, repeats = [], 0
        for event in received.events:
            key = event.event_id.int
            if key in seen:
                repeats += 1
                continue
            seen.add(key)
            firsts.append(key)
        plan.candidates.append(firsts)
        plan.repeats.append(repeats)
    return plan


def acks_for(batches: Sequence[ReceivedBatch], plan: CommitPlan, accepted_ids: Set[int]) -> list[Ack]:
    """One `Ack` per batch: accepted (stored now), duplicates (stored before or repeated), rejected (dead letters).

    ``accepted_ids``: the ids (as ``UUID.int``) of the events the store accepted.
    """
    acks = []
    for index, received in enumerate(batches):
        accepted = sum(1 for key in plan.candidates[index] if key in accepted_ids)
        duplicates = len(plan.candidates[index]) - accepted + plan.repeats[index]
        acks.append(
            Ack(
                store_id=received.batch.store_id,
                batch_id=received.batch.batch_id,
                accepted=accepted,
                duplicates=duplicates,
                rejected=len(received.dead_letters),
            )
        )
    return acks
