"""What the pages call things: zone and shelf names instead of ids, and times in the store's own time zone.

Both come from the store's edge boxes (`shelfsight.transport.liveness.EdgeBeat`: the config's ``timezone:`` and
zones' ``name:``), as last stored (`Store.store_labels`). A store no box has described yet shows ids and UTC.
Ids stay in URLs, feeds and exports: only what people read changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shelfsight.dashboard.storage.base import Store

DEFAULT_TIME_ZONE = "UTC"
"""The time zone of a store whose boxes never sent one (an edge config without ``timezone:`` also says UTC)."""


@dataclass(frozen=True)
class PageLabels:
    """A store's display names and time zone, with the two conversions the pages make.

    Attributes:
        timezone: IANA name the page times are shown in.
        names: Display name by zone (shelf zones are shelves) id; ids without one show as themselves.
    """

    timezone: str = DEFAULT_TIME_ZONE
    names: Mapping[str, str] = field(default_factory=dict)

    def name(self, zone_or_shelf_id: str | None) -> str:
        """The name of a zone or shelf, else its id ("–" for none)."""
        if not zone_or_shelf_id:
            return "–"
        return self.names.get(zone_or_shelf_id, zone_or_shelf_id)

    def local(self, ts: float) -> datetime:
        """UTC epoch seconds as an aware datetime in the store's time zone."""
        return datetime.fromtimestamp(ts, self.zone)

    def time(self, ts: float | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
        """``ts`` (UTC epoch seconds) written in the store's time zone ("–" for none)."""
        return "–" if ts is None else self.local(ts).strftime(fmt)

    def zone_abbreviation(self, ts: float) -> str:
        """The zone's short name at ``ts`` (``CEST``, ``BST``, ``UTC``), for a label beside local times."""
        return self.local(ts).strftime("%Z")

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.timezone)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # checked when received; a database edited by hand falls back
        return ZoneInfo(DEFAULT_TIME_ZONE)


def store_labels(store: Store, store_id: str) -> PageLabels:
    """The labels the store's boxes last sent (ids and UTC when none did)."""
    stored = store.store_labels(store_id)
    return PageLabels(stored.timezone or DEFAULT_TIME_ZONE, dict(stored.zone_names))
