"""Time windows and buckets for queries: UTC epoch seconds in, aligned buckets out (days in a time zone)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from shelfsight.dashboard.storage.rollup import HOUR_S, MINUTE_S, bucket_start

DAY_S = 86_400


MAX_SERIES_BUCKETS = 10_000
"""Buckets one series may hold (a week of minutes, a year of hours, 27 years of days): a wider ask would build
millions of buckets in memory and time out, so it is refused with a hint instead."""


class Granularity(StrEnum):
    """Bucket sizes a series can be asked for."""

    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"


@dataclass(frozen=True)
class TimeWindow:
    """``[since, until)`` in UTC epoch seconds."""

    since: float
    until: float

    def __post_init__(self) -> None:
        check_order(self.since, self.until)


def check_order(since: float, until: float) -> None:
    """The one rule between ``since`` and ``until`` (UTC epoch seconds), for every window and feed filter.

    Raises:
        ValueError: When ``until`` is not later than ``since``: an empty or reversed window is a client's
            mistake (swapped parameters, a wrong offset), and answering it with nothing would hide it.
    """
    if not since < until:
        raise ValueError(f"until: expected later than since ({since}), got {until}")


@dataclass(frozen=True)
class Bucket:
    """One bucket of a series: ``[start, end)`` and the rollup buckets (of ``rollup_s``) that make it up."""

    start: float
    end: float
    rollup_s: int

    def rollup_starts(self) -> range:
        """Starts of the rollup buckets inside this bucket (a rollup belongs to the bucket holding its start)."""
        first = bucket_start(self.start, self.rollup_s)
        if first < self.start:
            first += self.rollup_s
        return range(int(first), int(self.end) if self.end == int(self.end) else int(self.end) + 1, self.rollup_s)


def rollup_size(window: TimeWindow) -> int:
    """Hour rollups when the window is whole hours, else minute rollups (the window rounded to minutes)."""
    return HOUR_S if window.since % HOUR_S == 0 and window.until % HOUR_S == 0 else MINUTE_S


def aligned(window: TimeWindow, size: int) -> TimeWindow:
    """``window`` widened to whole buckets of ``size`` seconds."""
    end = bucket_start(window.until, size)
    return TimeWindow(bucket_start(window.since, size), end if end >= window.until else end + size)


def window_parts(window: TimeWindow) -> list[Bucket]:
    """``window``, widened like `aligned`, as at most three buckets to read its totals from: minute rollups for
    the ragged ends, hour rollups for the whole hours between them.

    The rollups of an hour are the sums of its minutes (both are kept on ingest), so the totals are the same as
    from minutes alone, and reading them is ~60 times fewer rows: a week that does not start on an hour (the
    pages' "last 7 days") is ~170 hour rows per target instead of 10,080 minute rows.
    """
    size = rollup_size(window)
    whole = aligned(window, size)
    if size == HOUR_S:
        return [Bucket(whole.since, whole.until, HOUR_S)]
    first_hour = bucket_start(whole.since, HOUR_S) + (HOUR_S if whole.since % HOUR_S else 0)
    last_hour = bucket_start(whole.until, HOUR_S)
    if first_hour >= last_hour:
        return [Bucket(whole.since, whole.until, MINUTE_S)]
    parts = [Bucket(float(first_hour), float(last_hour), HOUR_S)]
    if whole.since < first_hour:
        parts.insert(0, Bucket(whole.since, float(first_hour), MINUTE_S))
    if last_hour < whole.until:
        parts.append(Bucket(float(last_hour), whole.until, MINUTE_S))
    return parts


def series_buckets(window: TimeWindow, granularity: Granularity, tz: str = "UTC") -> list[Bucket]:
    """The buckets covering ``window``: minutes and hours aligned to UTC, days to midnight in ``tz``.

    Raises:
        ValueError: If ``tz`` is not an IANA time zone name, or the window holds more than `MAX_SERIES_BUCKETS`.
    """
    size_s = {Granularity.MINUTE: MINUTE_S, Granularity.HOUR: HOUR_S, Granularity.DAY: DAY_S}[granularity]
    count = (window.until - window.since) / size_s
    if count > MAX_SERIES_BUCKETS:
        raise ValueError(
            f"since/until: a series holds at most {MAX_SERIES_BUCKETS} {granularity.value} buckets, this window "
            f"needs {count:.0f}; narrow the window or ask for a coarser granularity"
        )
    if granularity is not Granularity.DAY:
        size = MINUTE_S if granularity is Granularity.MINUTE else HOUR_S
        whole = aligned(window, size)
        return [Bucket(float(s), float(s + size), size) for s in range(int(whole.since), int(whole.until), size)]
    zone = _zone(tz)
    try:
        day = datetime.fromtimestamp(window.since, zone).replace(hour=0, minute=0, second=0, microsecond=0)
        buckets = []
        while day.timestamp() < window.until:
            following = (day + timedelta(days=1, hours=3)).replace(hour=0)  # +3 h absorbs DST; back to midnight
            buckets.append(Bucket(day.timestamp(), following.timestamp(), HOUR_S))
            day = following
    except (OverflowError, ValueError) as exc:  # a local day past 9999-12-31 has no date
        raise ValueError(f"since/until: day buckets in {tz} cannot reach past the year 9999 ({exc})") from exc
    return buckets


def bucket_finder(buckets: Sequence[Bucket]) -> Callable[[float], int | None]:
    """A function giving the index of the bucket of ``buckets`` (in order) holding a rollup start, or None.

    A rollup belongs to the bucket holding its start. Bisection: placing sparse stored rows costs nothing per
    bucket, so a read's cost follows the rows, not the window's length.
    """
    starts = [bucket.start for bucket in buckets]

    def find(rollup_start: float) -> int | None:
        index = bisect_right(starts, rollup_start) - 1
        return index if index >= 0 and rollup_start < buckets[index].end else None

    return find


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (KeyError, ValueError) as exc:
        raise ValueError(f"tz: expected an IANA time zone such as Europe/Paris, got {tz!r}") from exc
