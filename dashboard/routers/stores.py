"""/api/v1/stores: stores, their shelves (summaries, series, comparison), cameras, shoppers and who dwells now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status

from shelfsight.dashboard.deps import (
    ClockDep,
    KnownShelf,
    KnownStore,
    SettingsDep,
    StoreDep,
    invalid_query,
    require_read,
    window_of,
)
from shelfsight.dashboard.schemas.common import WindowQuery
from shelfsight.dashboard.schemas.responses import error_responses
from shelfsight.dashboard.schemas.shelves import (
    CompareOut,
    SeriesPointOut,
    ShelfListOut,
    ShelfSeriesOut,
    ShelfSummaryOut,
)
from shelfsight.dashboard.schemas.stores import CameraOut, DwellingNowOut, JourneyOut, StoreOut
from shelfsight.dashboard.services.cameras import camera_reports
from shelfsight.dashboard.services.catalog import unknown_target
from shelfsight.dashboard.services.live import dwelling_now
from shelfsight.dashboard.services.shelves import shelf_series, summarize_shelves
from shelfsight.dashboard.services.shoppers import shopper_journey
from shelfsight.dashboard.services.windows import Granularity
from shelfsight.dashboard.tags import Tag

router = APIRouter(
    prefix="/stores", tags=[Tag.STORES], dependencies=[Depends(require_read)], responses=error_responses(401, 403)
)
NOT_FOUND = error_responses(404)

Window = Annotated[WindowQuery, Query()]


@router.get("", response_model=list[StoreOut], summary="Stores with data")
def list_stores(store: StoreDep) -> list[StoreOut]:
    return [StoreOut(store_id=s) for s in store.stores()]


@router.get(
    "/{store_id}/shelves",
    response_model=ShelfListOut,
    tags=[Tag.SHELVES],
    summary="Shelves ranked",
    responses=NOT_FOUND,
)
def list_shelves(store: StoreDep, clock: ClockDep, store_id: KnownStore, window: Window) -> ShelfListOut:
    """Every shelf of the store over the window, ranked by engagement rate, then visits."""
    now = clock()
    span = window_of(window.since, window.until, now)
    summaries = summarize_shelves(store, store_id=store_id, window=span, now=now)
    return ShelfListOut(
        store_id=store_id, since=span.since, until=span.until, shelves=[ShelfSummaryOut.of(s) for s in summaries]
    )


@router.get(
    "/{store_id}/shelves/compare",
    response_model=CompareOut,
    tags=[Tag.SHELVES],
    summary="Compare shelves",
    responses=NOT_FOUND,
)
def compare_shelves(
    store: StoreDep,
    clock: ClockDep,
    store_id: KnownStore,
    window: Window,
    shelf: Annotated[list[str], Query(min_length=1, description="Shelf ids (repeat the parameter).")],
) -> CompareOut:
    """The named shelves side by side over the same window (ranked like the shelf list); 404 naming any shelf
    the store does not have."""
    message = unknown_target(store, store_id, shelf)
    if message is not None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, message)
    now = clock()
    span = window_of(window.since, window.until, now)
    summaries = summarize_shelves(store, store_id=store_id, window=span, shelf_ids=shelf, now=now)
    return CompareOut(
        store_id=store_id, since=span.since, until=span.until, shelves=[ShelfSummaryOut.of(s) for s in summaries]
    )


@router.get(
    "/{store_id}/shelves/{shelf_id}",
    response_model=ShelfSummaryOut,
    tags=[Tag.SHELVES],
    summary="A shelf",
    responses=NOT_FOUND,
)
def get_shelf(store: StoreDep, clock: ClockDep, store_id: str, shelf_id: KnownShelf, window: Window) -> ShelfSummaryOut:
    """One shelf's figures over the window."""
    now = clock()
    span = window_of(window.since, window.until, now)
    summaries = summarize_shelves(store, store_id=store_id, window=span, shelf_ids=[shelf_id], now=now)
    return ShelfSummaryOut.of(summaries[0])


@router.get(
    "/{store_id}/shelves/{shelf_id}/series",
    response_model=ShelfSeriesOut,
    tags=[Tag.SHELVES],
    summary="By time",
    responses=NOT_FOUND,
)
def get_shelf_series(
    store: StoreDep,
    clock: ClockDep,
    store_id: str,
    shelf_id: KnownShelf,
    window: Window,
    granularity: Granularity = Granularity.HOUR,
    tz: Annotated[str, Query(description="IANA time zone for day buckets, e.g. Europe/Paris.")] = "UTC",
) -> ShelfSeriesOut:
    """A shelf's figures per minute, hour or day; buckets whose cameras were all down are gaps (null)."""
    now = clock()
    span = window_of(window.since, window.until, now)
    try:
        points = shelf_series(
            store, store_id=store_id, shelf_id=shelf_id, window=span, granularity=granularity, tz=tz, now=now
        )
    except ValueError as exc:
        name, value = ("tz", tz) if str(exc).startswith("tz:") else ("since", window.since)
        raise invalid_query(name, value, str(exc)) from exc
    return ShelfSeriesOut(
        store_id=store_id,
        shelf_id=shelf_id,
        granularity=granularity,
        tz=tz,
        points=[SeriesPointOut.of(p) for p in points],
    )


@router.get(
    "/{store_id}/cameras", response_model=list[CameraOut], tags=[Tag.CAMERAS], summary="Cameras", responses=NOT_FOUND
)
def list_cameras(store: StoreDep, clock: ClockDep, store_id: KnownStore, window: Window) -> list[CameraOut]:
    """Each camera's latest status, drop-outs and online share over the window."""
    now = clock()
    span = window_of(window.since, window.until, now)
    return [CameraOut.of(r) for r in camera_reports(store, store_id=store_id, window=span, now=now)]


@router.get(
    "/{store_id}/dwelling-now",
    response_model=list[DwellingNowOut],
    tags=[Tag.SHOPPERS],
    summary="Who dwells now",
    responses=NOT_FOUND,
)
def get_dwelling_now(
    store: StoreDep, settings: SettingsDep, clock: ClockDep, store_id: KnownStore
) -> list[DwellingNowOut]:
    """Shoppers whose visit is confirmed (dwell_started) and not yet over (no dwell)."""
    items = dwelling_now(store, store_id=store_id, now=clock(), max_open_s=settings.open_visit_max_s)
    return [DwellingNowOut.of(i) for i in items]


@router.get(
    "/{store_id}/shoppers/{shopper_id}",
    response_model=JourneyOut,
    tags=[Tag.SHOPPERS],
    summary="A shopper's journey",
    responses=NOT_FOUND,
)
def get_journey(store: StoreDep, store_id: KnownStore, shopper_id: str) -> JourneyOut:
    """The shopper's visits in order, each with its touches, pickups and put-backs, and totals."""
    journey = shopper_journey(store, store_id, shopper_id)
    if journey.first_ts is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no events for shopper {shopper_id!r} in store {store_id!r}")
    return JourneyOut.of(journey)
