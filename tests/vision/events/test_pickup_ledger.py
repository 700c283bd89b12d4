"""The pick-up ledger: which pick-up a put-back reverses, and that one pick-up is reversed at most once."""

from __future__ import annotations

from uuid import UUID, uuid4

from shelfsight.vision.events.pickup_ledger import LedgerPickup, PickupLedger
from shelfsight.vision.events.reach import Box
from shelfsight.vision.events.shelf_state import ShelfChange

T0 = 1_767_603_600.0
LEFT: Box = (40.0, 40.0, 60.0, 70.0)
RIGHT: Box = (200.0, 40.0, 220.0, 70.0)
RED, BLUE = (20.0, 20.0, 200.0), (200.0, 20.0, 20.0)


def ledger() -> PickupLedger:
    return PickupLedger(same_spot_window_s=10.0, return_window_s=600.0)


def pickup(track_id: int, box: Box, t: float, colour: tuple[float, float, float] = RED) -> LedgerPickup:
    return LedgerPickup(uuid4(), track_id, "shelf-1", box, colour, t)


def putback(box: Box, colour: tuple[float, float, float] = RED, shelf_id: str = "shelf-1") -> ShelfChange:
    return ShelfChange(shelf_id, box, "added", T0, before=(200.0, 200.0, 190.0), after=colour, strength=40.0)


def test_a_putback_at_the_spot_reverses_the_shoppers_own_pickup_there_not_misplaced() -> None:
    book = ledger()
    other, own = pickup(2, LEFT, T0 + 3), pickup(1, LEFT, T0 + 1)
    book.record(own)
    book.record(other)  # later, but another shopper's
    link = book.link_putback(1, putback(LEFT), T0 + 5)
    assert (link.pickup_event_id, link.misplaced) == (own.event_id, False)
    assert len(book) == 1


def test_a_putback_elsewhere_reverses_the_own_pickup_of_the_nearest_colour_misplaced() -> None:
    book = ledger()
    red, blue = pickup(1, LEFT, T0, RED), pickup(1, (100.0, 40.0, 120.0, 70.0), T0 + 1, BLUE)
    book.record(red)
    book.record(blue)
    link = book.link_putback(1, putback(RIGHT, colour=(30.0, 25.0, 190.0)), T0 + 60)
    assert (link.pickup_event_id, link.misplaced) == (red.event_id, True)


def test_a_pickup_is_reversed_once_and_another_shoppers_old_pickup_not_at_all() -> None:
    book = ledger()
    taken = pickup(1, LEFT, T0)
    book.record(taken)
    assert book.link_putback(1, putback(LEFT), T0 + 2).pickup_event_id == taken.event_id
    again = book.link_putback(1, putback(LEFT), T0 + 3)
    assert (again.pickup_event_id, again.misplaced) == (None, False)
    book.record(pickup(2, LEFT, T0 + 4))
    assert book.link_putback(1, putback(LEFT), T0 + 4 + 10.5).pickup_event_id is None  # past the same-spot window


def test_another_shelf_is_not_the_same_spot() -> None:
    book = ledger()
    book.record(pickup(2, LEFT, T0))
    assert book.link_putback(1, putback(LEFT, shelf_id="shelf-2"), T0 + 1).pickup_event_id is None


def test_pickups_are_forgotten_after_the_return_window() -> None:
    book = ledger()
    book.record(pickup(1, LEFT, T0))
    book.prune(T0 + 600.0)
    assert len(book) == 1
    book.prune(T0 + 600.5)
    assert len(book) == 0
    link = book.link_putback(1, putback(RIGHT), T0 + 601)
    assert link.pickup_event_id is None and isinstance(link.misplaced, bool)


def test_an_own_pickup_linked_back_to_an_overlapping_spot_late_is_not_misplaced() -> None:
    book = ledger()
    taken = pickup(1, LEFT, T0)
    book.record(taken)
    link = book.link_putback(1, putback((45.0, 45.0, 65.0, 75.0)), T0 + 30)  # past same-spot window, same spot
    assert link.pickup_event_id == taken.event_id and isinstance(link.pickup_event_id, UUID)
    assert link.misplaced is False
