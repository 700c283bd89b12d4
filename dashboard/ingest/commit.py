"""Committing a drained group of batches, and isolating what a store cannot write (no sockets here).

The receiver commits every batch it drained in one transaction (group commit). If that fails, the cause is
either the database (down, disk full: nothing can be written, so nothing is acknowledged and the edges resend)
or one *poison* event that passed validation but that the store refuses (PostgreSQL, for one, refuses a NUL
character in a camera status' ``reason``). Without isolation a poison event would fail every group it lands
in, for ever, and take the other edges' batches down with it. So after a failed group commit:

1. each batch is committed alone (a group of one skips this);
2. a batch that still fails is committed event by event; an event the store refuses is dead-lettered with its
   raw bytes and the store's error, and counted as rejected in its batch's ack;
3. the first dead letter that cannot be written either means the database is down: isolation stops there,
   and that batch and the rest are left unacknowledged (the edge resends them; nothing is lost, and what was
   committed meanwhile comes back as duplicates).

An accepted event is therefore stored once and acknowledged only after its commit, whichever path it took.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from shelfsight.dashboard.ingest.batches import ReceivedBatch, acks_for, plan_commit
from shelfsight.dashboard.storage.base import IngestResult, Store
from shelfsight.dashboard.storage.prepared import PreparedIngest
from shelfsight.transport.messages import Ack
from shelfsight.vision.events.contract import AnyEvent

logger = logging.getLogger(__name__)


@dataclass
class CommitOutcome:
    """What one group commit achieved.

    Attributes:
        acks: The batches that may be acknowledged now, with their acks, in arrival order.
        accepted: Events stored for the first time (for the live stream).
        failed_commits: Transactions that failed (the group's, and each failed retry).
        poison_events: Events the store refused on their own, now dead letters.
        unacknowledged: Batches left without an ack because the database could not be written.
    """

    acks: list[tuple[ReceivedBatch, Ack]] = field(default_factory=list)
    accepted: list[AnyEvent] = field(default_factory=list)
    failed_commits: int = 0
    poison_events: int = 0
    unacknowledged: int = 0

    def add(self, batches: Sequence[ReceivedBatch], result: IngestResult) -> None:
        """Record a successful commit of ``batches``."""
        accepted_ids = {event.event_id.int for event in result.accepted}
        self.acks.extend(zip(batches, acks_for(batches, plan_commit(batches), accepted_ids), strict=True))
        self.accepted.extend(result.accepted)


def commit_group(store: Store, received: Sequence[ReceivedBatch], prepared: PreparedIngest) -> CommitOutcome:
    """Commit ``received`` (already turned into ``prepared``) in one transaction, isolating failures (module doc)."""
    outcome = CommitOutcome()
    try:
        result = store.ingest_prepared(prepared)
    except Exception:  # the loop boundary of one group: isolate, never let ingest die
        logger.exception("commit of %d batch(es) failed; committing them one by one", len(received))
        outcome.failed_commits += 1
        _isolate(store, received, outcome)
        return outcome
    outcome.add(received, result)
    return outcome


def _isolate(store: Store, received: Sequence[ReceivedBatch], outcome: CommitOutcome) -> None:
    for index, batch in enumerate(received):
        if len(received) > 1:
            try:
                result = store.ingest_prepared(
                    PreparedIngest.of(batch.events, batch.dead_letters, received_at=batch.received_at)
                )
            except Exception:
                outcome.failed_commits += 1
            else:
                outcome.add([batch], result)
                continue
        if not _event_by_event(store, batch, outcome):
            outcome.unacknowledged = len(received) - index
            logger.error("the database refuses writes: %d batch(es) left unacknowledged", outcome.unacknowledged)
            return


def _event_by_event(store: Store, batch: ReceivedBatch, outcome: CommitOutcome) -> bool:
    """Commit ``batch`` one event at a time, dead-lettering what the store refuses; False when the database
    cannot be written at all (a dead letter failed too), leaving the batch unacknowledged."""
    at = batch.received_at
    try:
        store.ingest([], batch.dead_letters, received_at=at)
    except Exception:
        return False
    accepted: list[AnyEvent] = []
    duplicates = poison = 0
    for event, raw in zip(batch.events, batch.raws, strict=True):
        try:
            result = store.ingest([event], [], received_at=at)
        except Exception as exc:
            error = f"the store could not write this event: {type(exc).__name__}: {exc}"
            try:
                store.ingest([], [batch.dead_letter(raw, error, at)], received_at=at)
            except Exception:
                return False
            logger.warning("dead-lettered event %s of batch %s: %s", event.event_id, batch.batch.batch_id, error)
            poison += 1
            continue
        accepted.extend(result.accepted)
        duplicates += result.duplicates
    outcome.poison_events += poison
    outcome.accepted.extend(accepted)
    ack = Ack(
        batch.batch.store_id,
        batch.batch.batch_id,
        accepted=len(accepted),
        duplicates=duplicates,
        rejected=len(batch.dead_letters) + poison,
    )
    outcome.acks.append((batch, ack))
    return True
