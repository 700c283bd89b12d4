"""Stores, cameras, shoppers and the live view."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shelfsight.dashboard.schemas.common import ApiModel
from shelfsight.dashboard.services.cameras import CameraReport
from shelfsight.dashboard.services.live import DwellingNow
from shelfsight.dashboard.services.shoppers import Journey, Visit
from shelfsight.dashboard.storage.base import CameraStatusEntry
from shelfsight.vision.events.contract import DwellEvent, DwellStartedEvent, PickupEvent, PutbackEvent, TouchEvent


class StoreOut(ApiModel):
    store_id: str


class CameraStatusOut(ApiModel):
    ts: float
    status: str
    reason: str
    fps: float | None

    @classmethod
    def of(cls, entry: CameraStatusEntry) -> CameraStatusOut:
        return cls(ts=entry.ts, status=entry.status, reason=entry.reason, fps=entry.fps)


class CameraOut(ApiModel):
    """A camera's latest status and its record over the window."""

    camera_id: str
    latest: CameraStatusOut | None = Field(description="Latest status event; null if it never sent one.")
    state: Literal["online", "degraded", "offline", "unknown"] = Field(
        description="State now: the latest status, or unknown when it never sent one or its edge box stopped "
        "sending beats (its last status no longer counts as coverage)."
    )
    edge_silent_since: float | None = Field(
        description="The edge box's last beat when it has been silent too long (state unknown), else null."
    )
    drops: int = Field(description="Times it went offline in the window.")
    online_share: float | None = Field(
        description="Share of the window since known_since it was online; null if unknown."
    )
    known_since: float | None = Field(
        default=None,
        description="Start of the time shares are of: the window's start, or the store's first camera status when "
        "later (before it the state is unknown, not down); null when no status was ever reported.",
    )
    degraded_share: float | None
    history: list[CameraStatusOut]

    @classmethod
    def of(cls, report: CameraReport) -> CameraOut:
        return cls(
            camera_id=report.camera_id,
            latest=CameraStatusOut.of(report.latest) if report.latest else None,
            state=report.state,  # type: ignore[arg-type]  # a status or "unknown", by construction
            edge_silent_since=report.silent_since,
            drops=report.drops,
            online_share=report.online_share,
            degraded_share=report.degraded_share,
            known_since=report.known_since,
            history=[CameraStatusOut.of(e) for e in report.history],
        )


class DwellingNowOut(ApiModel):
    """A shopper in a zone now."""

    shopper_id: str
    zone_id: str
    shelf_id: str | None
    camera_id: str
    ts_start: float
    dwell_so_far_s: float

    @classmethod
    def of(cls, item: DwellingNow) -> DwellingNowOut:
        v = item.visit
        return cls(
            shopper_id=v.shopper_id,
            zone_id=v.zone_id,
            shelf_id=v.shelf_id,
            camera_id=v.camera_id,
            ts_start=v.ts_start,
            dwell_so_far_s=item.dwell_so_far_s,
        )


class VisitOut(ApiModel):
    dwell: DwellEvent
    touches: list[TouchEvent]
    pickups: list[PickupEvent]
    putbacks: list[PutbackEvent]

    @classmethod
    def of(cls, visit: Visit) -> VisitOut:
        return cls(dwell=visit.dwell, touches=visit.touches, pickups=visit.pickups, putbacks=visit.putbacks)


class JourneyTotalsOut(ApiModel):
    visits: int
    dwell_s: float
    touches: int
    pickups: int
    putbacks: int
    takes: int


class JourneyOut(ApiModel):
    """A shopper's visits in order with what they did in each, plus interactions outside any visit."""

    store_id: str
    shopper_id: str
    first_ts: float | None
    last_ts: float | None
    visits: list[VisitOut]
    outside: list[TouchEvent | PickupEvent | PutbackEvent]
    unfinished: list[DwellStartedEvent] = Field(
        description="Confirmed entries with no dwell or pass_by (yet): dwelling now (or a pass-by of an edge "
        "before contract 1.2)."
    )
    totals: JourneyTotalsOut

    @classmethod
    def of(cls, journey: Journey) -> JourneyOut:
        return cls(
            store_id=journey.store_id,
            shopper_id=journey.shopper_id,
            first_ts=journey.first_ts,
            last_ts=journey.last_ts,
            visits=[VisitOut.of(v) for v in journey.visits],
            outside=journey.outside,
            unfinished=journey.unfinished,
            totals=JourneyTotalsOut.model_validate(journey.totals, from_attributes=True),
        )
