"""A month of one busy store's events, generated fast and deterministically, for the query-latency bench.

The store: 20 shelves, each with its standing zone, watched by 5 cameras (4 shelves each), open 07:00-23:00
UTC with lunch and evening peaks and busier weekends, over 30 days. Shelves differ in popularity. A visit is a
shopper entering a shelf's zone: a quarter end under the minimum dwell (a ``dwell_started`` and nothing more,
so they count as pass-bys and stay open visits), the rest are complete visits (``dwell_started`` + ``dwell``)
with touches, pick-ups and put-backs (some naming their pick-up, a few misplaced). Cameras go offline now
and then (no events while they are down: a coverage gap) and degrade more often, as ``camera_status`` events.

Visit-level draws (time, shelf, which events) are made once for the whole month with numpy, so the event
count of every chunk is known before any event is built; that is how the stream stops at exactly the asked
number of events, and how a load resumes. Events are built chunk by chunk with the contract's own
constructors (validated: in pydantic 2 that is faster than ``model_construct``). Event ids are random UUIDs
drawn from a per-chunk generator: uniformly spread keys, like the edge's name-based uuid5 ids, at a fraction
of the cost, and the same on every run, so a resumed load dedupes what it resends.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import numpy as np
from numpy.typing import NDArray

from shelfsight.vision.events.contract import (
    AnyEvent,
    CameraState,
    CameraStatusEvent,
    DwellEvent,
    DwellStartedEvent,
    PickupEvent,
    PutbackEvent,
    ShelfSpot,
    TouchEvent,
)

STORE_ID = "store-1"
SHELVES = 20
CAMERAS = 5
SPOTS_PER_SHELF = 6
DAYS = 30
END_S = 1_795_478_400.0
"""2026-11-24T00:00:00Z: the data's end (fixed, so every run builds the same events)."""
START_S = END_S - DAYS * 86_400.0

HOURLY_TRAFFIC = (0, 0, 0, 0, 0, 0, 0, 2, 4, 5, 6, 8, 10, 9, 7, 6, 7, 9, 10, 9, 7, 5, 3, 0)
"""Relative visits per hour of the (UTC) day: closed at night, peaks at lunch and after work."""
WEEKEND_FACTOR = 1.3
PASSBY_SHARE = 0.25
"""Confirmed entries that end under the minimum dwell: a ``dwell_started`` with no ``dwell``."""
TOUCH_SHARES = (0.35, 0.45, 0.2)
"""Share of complete visits with 0, 1 and 2 touches."""
PICKUP_SHARE = 0.4
PUTBACK_SHARE = 0.3
"""Of pick-ups: put back (naming the pick-up), 5 % of those at another spot (misplaced)."""
CONFIRM_S = 1.5
"""Entry debounce: a ``dwell_started`` is sent this long after entry; complete visits last longer."""
OFFLINE_PER_DAY = 0.4
DEGRADED_PER_DAY = 4.0
"""Camera episodes per camera and day (offline: 5-90 min, no events; degraded: 2-30 min, events go on)."""
EVENTS_PER_VISIT = (1 - PASSBY_SHARE) * (2 + 0.85 + PICKUP_SHARE * (1 + PUTBACK_SHARE)) + PASSBY_SHARE
_SPOTS = tuple(
    ShelfSpot(spot_id=f"s{i + 1}", box=(round(i / SPOTS_PER_SHELF, 4), 0.3, round((i + 1) / SPOTS_PER_SHELF, 4), 0.6))
    for i in range(SPOTS_PER_SHELF)
)
_SECONDS_LOOKUP = 1 << 16


def shelf_id(index: int) -> str:
    """The id of shelf ``index`` (0-based)."""
    return f"shelf-{index + 1:02d}"


def camera_of(shelf: int) -> str:
    """The camera that watches shelf ``index`` (0-based)."""
    return _CAMERA_NAMES[shelf % CAMERAS]


_CAMERA_NAMES = tuple(f"cam{c + 1}" for c in range(CAMERAS))
_SHELF_NAMES = tuple(shelf_id(s) for s in range(SHELVES))
_ZONE_NAMES = tuple(f"zone-{s + 1:02d}" for s in range(SHELVES))


@dataclass(frozen=True)
class Visits:
    """Visit-level draws for the whole month, in time order (arrays of one length, ``V``)."""

    start: NDArray[np.float64]
    shelf: NDArray[np.int16]
    passby: NDArray[np.bool_]
    touches: NDArray[np.int8]
    pickup: NDArray[np.bool_]
    putback: NDArray[np.bool_]

    def subset(self, keep: NDArray[np.bool_]) -> Visits:
        """The visits where ``keep`` is True."""
        return Visits(self.start[keep], self.shelf[keep], self.passby[keep], self.touches[keep], self.pickup[keep],
                      self.putback[keep])  # fmt: skip

    def events(self) -> NDArray[np.int64]:
        """Events each visit sends."""
        complete = ~self.passby
        return (
            1 + complete * (1 + self.touches + self.pickup + (self.pickup & self.putback))
        ).astype(np.int64)  # fmt: skip


@dataclass(frozen=True)
class StatusChange:
    """One ``camera_status`` event to send."""

    camera: int
    ts: float
    status: CameraState
    reason: str
    fps: float | None


class MonthOfStore:
    """The event stream of the month, exactly ``total`` events, built in chunks of about ``batch`` events.

    Args:
        total: Events in the stream.
        batch: Events per chunk (one ``Store.ingest`` each), about.
        seed: Everything follows from it.
    """

    def __init__(self, total: int, *, batch: int = 5000, seed: int = 7) -> None:
        if total < 1000:
            raise ValueError(f"total: expected at least 1000 events, got {total}")
        self.total = total
        self.seed = seed
        self.statuses = _camera_timelines(np.random.default_rng([seed, 1]))
        visits_guess = int(total / EVENTS_PER_VISIT)
        while True:  # grow the visit count until the month holds the total (usually once or twice)
            self.visits = _draw_visits(visits_guess, np.random.default_rng([seed, 2]), self.statuses)
            per_visit = self.visits.events()
            if int(per_visit.sum()) + len(self.statuses) >= total:
                break
            visits_guess = int(visits_guess * 1.01) + 1
        # Thin out random visits (not the month's last hours) until fewer than one visit's events are too many.
        excess = int(per_visit.sum()) + len(self.statuses) - total
        order = np.random.default_rng([seed, 4]).permutation(len(per_visit))
        dropped = order[: int(np.searchsorted(np.cumsum(per_visit[order]), excess, side="right"))]
        keep = np.ones(len(per_visit), dtype=bool)
        keep[dropped] = False
        self.visits = self.visits.subset(keep)
        per_visit = per_visit[keep]
        self.per_chunk_visits = max(1, round(batch / EVENTS_PER_VISIT))
        self.chunks = math.ceil(len(self.visits.start) / self.per_chunk_visits)
        edges = self.visits.start[:: self.per_chunk_visits][1:]
        status_ts = np.array([s.ts for s in self.statuses])
        self._status_chunk = np.searchsorted(edges, status_ts, side="right")
        visit_chunk = np.arange(len(per_visit)) // self.per_chunk_visits
        counts = np.bincount(visit_chunk, weights=per_visit, minlength=self.chunks).astype(np.int64)
        counts += np.bincount(self._status_chunk, minlength=self.chunks)[: self.chunks]
        self.chunk_events = counts
        """Events of each chunk before the stream is cut at ``total``."""

    def last_ts(self) -> float:
        """Latest ``ts`` a visit can have (the end of the data, for windows ending "now")."""
        return END_S

    def chunk_end_s(self, chunk: int) -> float:
        """Start of the next chunk's first visit (events of a chunk may end up to a visit length later)."""
        index = (chunk + 1) * self.per_chunk_visits
        return float(self.visits.start[index]) if index < len(self.visits.start) else END_S

    def iter_chunks(self, first: int = 0) -> Iterator[tuple[int, list[AnyEvent]]]:
        """(chunk index, events in ts order) from chunk ``first`` on; the stream ends at exactly ``total``."""
        produced = int(self.chunk_events[:first].sum())
        for chunk in range(first, self.chunks):
            if produced >= self.total:
                return
            events = self.build_chunk(chunk)
            events = events[: self.total - produced]
            produced += len(events)
            yield chunk, events

    def build_chunk(self, chunk: int) -> list[AnyEvent]:
        """All events of one chunk, sorted by ts."""
        rng = np.random.default_rng([self.seed, 3, chunk])
        low, high = chunk * self.per_chunk_visits, min((chunk + 1) * self.per_chunk_visits, len(self.visits.start))
        ids = iter(_uuids(rng, int(self.chunk_events[chunk])))
        v = self.visits
        n = high - low
        # Every time of the chunk at once, rounded to the ms in numpy (Python's round() on numpy floats is slow).
        start = v.start[low:high].round(3)
        dwell = np.clip(rng.lognormal(math.log(14.0), 0.9, n), CONFIRM_S + 0.5, 900.0)
        end = (start + dwell).round(3)
        f = rng.random((n, 4))
        touch_a = (start[:, None] + f[:, :2] * dwell[:, None] * 0.8).round(3)
        touch_b = (touch_a + 0.4 + f[:, :2] * 1.5).round(3)
        pick_a = (start + f[:, 2] * dwell * 0.5).round(3)
        pick_b = (pick_a + 0.6).round(3)
        back_a = (pick_b + f[:, 3] * dwell * 0.4).round(3)
        times = _VisitTimes(
            start=start.tolist(), confirmed=(start + CONFIRM_S).round(3).tolist(), end=end.tolist(),
            dwell=(end - start).round(3).tolist(), touch_a=touch_a.tolist(), touch_b=touch_b.tolist(),
            pick_a=pick_a.tolist(), pick_b=pick_b.tolist(), back_a=back_a.tolist(),
            back_b=(back_a + 0.5).round(3).tolist(),
        )  # fmt: skip
        confidence = (0.6 + 0.4 * rng.random((n, 5))).round(3).tolist()
        spots = rng.integers(0, SPOTS_PER_SHELF, (n, 2)).tolist()
        misplaced = (rng.random(n) < 0.05).tolist()
        shelves, passby, touches = v.shelf[low:high].tolist(), v.passby[low:high].tolist(), v.touches[low:high].tolist()
        pickup, putback = v.pickup[low:high].tolist(), v.putback[low:high].tolist()
        events: list[AnyEvent] = []
        for i in range(n):
            _visit_events(
                events,
                ids,
                times,
                i,
                visit=low + i,
                shelf=shelves[i],
                passby=passby[i],
                touches=touches[i],
                pickup=pickup[i],
                putback=putback[i],
                confidence=confidence[i],
                spots=spots[i],
                misplaced=misplaced[i],
            )
        for index in np.flatnonzero(self._status_chunk == chunk):
            s = self.statuses[int(index)]
            camera = _CAMERA_NAMES[s.camera]
            events.append(
                CameraStatusEvent(
                    event_id=next(ids),
                    store_id=STORE_ID,
                    camera_id=camera,
                    ts=s.ts,
                    confidence=1.0,
                    status=s.status,
                    reason=s.reason,
                    fps=s.fps,
                )
            )
        events.sort(key=lambda e: e.ts)
        return events


@dataclass(frozen=True)
class _VisitTimes:
    """Times of a chunk's visits (lists, one entry per visit; touches have two columns), rounded to the ms."""

    start: list[float]
    confirmed: list[float]
    end: list[float]
    dwell: list[float]
    touch_a: list[list[float]]
    touch_b: list[list[float]]
    pick_a: list[float]
    pick_b: list[float]
    back_a: list[float]
    back_b: list[float]


def _visit_events(
    out: list[AnyEvent],
    ids: Iterator[UUID],
    times: _VisitTimes,
    i: int,
    *,
    visit: int,
    shelf: int,
    passby: bool,
    touches: int,
    pickup: bool,
    putback: bool,
    confidence: list[float],
    spots: list[int],
    misplaced: bool,
) -> None:
    """The events of visit ``visit`` (row ``i`` of its chunk's arrays), appended to ``out``."""
    camera = _CAMERA_NAMES[shelf % CAMERAS]
    shelf_name, zone = _SHELF_NAMES[shelf], _ZONE_NAMES[shelf]
    common: dict[str, Any] = {"store_id": STORE_ID, "camera_id": camera, "shopper_id": f"{camera}-{visit // 3}"}
    start = times.start[i]
    out.append(DwellStartedEvent(event_id=next(ids), ts=times.confirmed[i], ts_start=start, zone_id=zone,
                                 shelf_id=shelf_name, confidence=confidence[0], **common))  # fmt: skip
    if passby:
        return
    end = times.end[i]
    out.append(DwellEvent(event_id=next(ids), ts=end, ts_start=start, ts_end=end, zone_id=zone, shelf_id=shelf_name,
                          dwell_s=times.dwell[i], confidence=confidence[1], **common))  # fmt: skip
    for t in range(touches):
        a, b = times.touch_a[i][t], times.touch_b[i][t]
        out.append(TouchEvent(event_id=next(ids), ts=b, ts_start=a, ts_end=b, shelf_id=shelf_name, zone_id=zone,
                              confidence=confidence[2], **common))  # fmt: skip
    if not pickup:
        return
    taken = _SPOTS[spots[0]]
    pick = PickupEvent(event_id=next(ids), ts=times.pick_b[i], ts_start=times.pick_a[i], ts_end=times.pick_b[i],
                       shelf_id=shelf_name, spot=taken, confidence=confidence[3], **common)  # fmt: skip
    out.append(pick)
    if putback:
        spot = _SPOTS[spots[1]] if misplaced else taken
        out.append(PutbackEvent(event_id=next(ids), ts=times.back_b[i], ts_start=times.back_a[i],
                                ts_end=times.back_b[i], shelf_id=shelf_name, spot=spot, misplaced=spot is not taken,
                                pickup_event_id=pick.event_id, confidence=confidence[4], **common))  # fmt: skip


def _uuids(rng: np.random.Generator, count: int) -> list[UUID]:
    raw = rng.bytes(16 * count)
    return [UUID(bytes=raw[i : i + 16], version=4) for i in range(0, len(raw), 16)]


def _draw_visits(count: int, rng: np.random.Generator, statuses: list[StatusChange]) -> Visits:
    """``count`` visit start times spread by the traffic profile over the month, less those on a camera down."""
    hours = np.arange(DAYS * 24)
    weight = np.array([HOURLY_TRAFFIC[h % 24] for h in hours], dtype=np.float64)
    weekday = ((START_S / 86_400 + hours // 24 + 3) % 7).astype(int)  # 1970-01-01 was a Thursday: 0 = Monday
    weight *= np.where(weekday >= 5, WEEKEND_FACTOR, 1.0)
    cdf = np.concatenate(([0.0], np.cumsum(weight) / weight.sum()))
    # Evenly spaced quantiles with jitter: sorted by construction, so visits come in time order.
    quantiles = (np.arange(count) + rng.random(count)) / count
    start = START_S + 3600.0 * np.interp(quantiles, cdf, np.arange(len(cdf), dtype=np.float64))
    weights = 1.0 / (1.0 + rng.permutation(SHELVES)) ** 0.6
    shelf = rng.choice(SHELVES, size=count, p=weights / weights.sum()).astype(np.int16)
    keep = ~_camera_down(start, (shelf % CAMERAS).astype(np.int64), statuses)
    touches = rng.choice(len(TOUCH_SHARES), size=count, p=TOUCH_SHARES).astype(np.int8)
    pickup = rng.random(count) < PICKUP_SHARE
    return Visits(
        start=start[keep],
        shelf=shelf[keep],
        passby=(rng.random(count) < PASSBY_SHARE)[keep],
        touches=touches[keep],
        pickup=pickup[keep],
        putback=(pickup & (rng.random(count) < PUTBACK_SHARE))[keep],
    )


def _camera_down(
    start: NDArray[np.float64], camera: NDArray[np.int64], statuses: list[StatusChange]
) -> NDArray[np.bool_]:
    """Which visits start while their camera is offline."""
    down = np.zeros(len(start), dtype=bool)
    for cam in range(CAMERAS):
        changes = [s for s in statuses if s.camera == cam]
        times = np.array([s.ts for s in changes])
        offline = np.array([s.status == "offline" for s in changes])
        mine = camera == cam
        at = np.searchsorted(times, start[mine], side="right") - 1
        down[mine] = (at >= 0) & offline[np.maximum(at, 0)]
    return down


def _camera_timelines(rng: np.random.Generator) -> list[StatusChange]:
    """Per camera: online before the month starts, then offline and degraded episodes, each back online."""
    changes: list[StatusChange] = []
    for cam in range(CAMERAS):
        changes.append(StatusChange(cam, START_S - 3600.0, "online", "stream opened", 15.0))
        episodes: list[tuple[float, float, CameraState]] = []
        kinds: tuple[tuple[CameraState, float, int, int], ...] = (
            ("offline", OFFLINE_PER_DAY, 300, 5400),
            ("degraded", DEGRADED_PER_DAY, 120, 1800),
        )
        for status, per_day, low, high in kinds:
            count = rng.poisson(per_day * DAYS)
            begins = START_S + rng.random(count) * DAYS * 86_400
            episodes += [(float(b), float(b + rng.uniform(low, high)), status) for b in begins]
        episodes.sort()
        free_from = START_S
        for begin, end, status in episodes:
            if begin < free_from or end >= END_S:  # no overlapping episodes: each ends before the next begins
                continue
            reason = "no frame for 20 s" if status == "offline" else "4.1 fps, below 10"
            fps = None if status == "offline" else 4.1
            changes.append(StatusChange(cam, round(begin, 3), status, reason, fps))
            changes.append(StatusChange(cam, round(end, 3), "online", "stream recovered", 15.0))
            free_from = end + 60.0
    changes.sort(key=lambda s: (s.ts, s.camera))
    return changes
