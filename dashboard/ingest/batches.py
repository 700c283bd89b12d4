"""Turning received multipart messages into events, dead letters and per-batch acks (no sockets here).

A *message* that is not an envelope holding an `EventBatch` is malformed: counted and dropped (there is no
batch id to acknowledge). An *event* inside a good batch that is not a valid v1 event, or that claims another
store than its batch, is dead-lettered with its raw bytes; the rest of the batch is stored.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import dataclass, field
from typing import Any

from dashboard.storage.base import DeadLetter
from pipeline.transport.envelope import MessageError, decode
from pipeline.transport.messages import Ack, EventBatch
from vision.events.codec import EventDecodeError, from_msgpack
from vision.events.contract import AnyEvent


@dataclass
class ReceivedBatch:
    """One decoded batch, from the peer ``identity`` (the ROUTER's routing frame)."""

    identity: bytes
    batch: EventBatch
    events: list[AnyEvent] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)


def decode_message(frames: Sequence[Any], *, received_at: float) -> ReceivedBatch:
    """Decode ``[identity, topic, header, ...]`` as received by a ROUTER socket.

    Raises:
        MessageError: If the frames are not an envelope holding an `EventBatch`.
    """
    if len(frames) < 3:
        raise MessageError(f"expected identity + envelope frames, got {len(frames)} frame(s)")
    identity = bytes(frames[0].buffer) if hasattr(frames[0], "buffer") else bytes(frames[0])
    batch = EventBatch.from_envelope(decode(frames[1:]))
    received = ReceivedBatch(identity, batch)
    for raw in batch.events:
        try:
            event: AnyEvent = from_msgpack(raw)
        except EventDecodeError as exc:
            received.dead_letters.append(DeadLetter(raw, str(exc), batch.store_id, batch.batch_id, received_at))
            continue
        if event.store_id != batch.store_id:
            error = f"store_id: expected the batch's store {batch.store_id!r}, got {event.store_id!r}"
            received.dead_letters.append(DeadLetter(raw, error, batch.store_id, batch.batch_id, received_at))
            continue
        received.events.append(event)
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
