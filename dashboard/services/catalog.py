"""Which stores and shelves exist, for the routes and pages that name one in their path (unknown: 404).

A store is known when it has events or camera statuses (as `Store.stores` lists them, here read for the one
store: `Store.targets`, `Store.camera_latest`); a shelf when its store's events name it (`Store.targets`). Both
outlive retention (targets and the camera log stay), so a shelf whose raw events were deleted is still known and
still has figures. The aggregator has no configuration of its own listing stores or shelves: the edge boxes'
events are the catalogue.
"""

from __future__ import annotations

from collections.abc import Sequence

from shelfsight.dashboard.storage.base import Store

LISTED_MAX = 20
"""Known names an error lists at most (enough to spot a typo, short on a chain of hundreds of shelves)."""


def unknown_target(store: Store, store_id: str, shelf_ids: Sequence[str] = ()) -> str | None:
    """Why ``store_id`` (and ``shelf_ids`` in it) cannot be answered, or None when all are known.

    The message names what is missing and what is known, so a typo is easy to see.
    """
    targets = store.targets(store_id)  # read by store id (indexed): the cheap test comes first
    if not targets and not store.camera_latest(store_id):
        return f"no store {store_id!r} (stores with data: {_listed(store.stores())})"
    shelves = sorted({t.shelf_id for t in targets if t.shelf_id})  # "" marks events of a zone without a shelf
    missing = [s for s in dict.fromkeys(shelf_ids) if s not in shelves]
    if missing:
        names = ", ".join(repr(s) for s in missing)
        return f"no shelf {names} in store {store_id!r} (its shelves: {_listed(shelves)})"
    return None


def _listed(names: Sequence[str]) -> str:
    if not names:
        return "none yet"
    shown = ", ".join(repr(n) for n in names[:LISTED_MAX])
    return shown if len(names) <= LISTED_MAX else f"{shown} and {len(names) - LISTED_MAX} more"
