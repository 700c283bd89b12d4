"""The integrations file: which events go where (``SHELFSIGHT_INTEGRATIONS_FILE``, YAML).

Subscriptions live in a file the operator edits, next to the aggregator's other settings, rather than in the
admin API: a webhook secret or an MQTT password is then read from the environment at start (``secret_env``,
``password_env``) and never stored in the database or shown by the API. Changing the file takes effect at the
next start; deliveries already owed to a subscription are kept under its ``name``.
"""

from __future__ import annotations

import os
import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from shelfsight.vision.events.contract import EVENT_TYPES, AnyEvent

TOPIC_FIELDS = frozenset({"store", "camera", "zone", "shelf", "type"})
"""Placeholders an MQTT topic template may use, e.g. ``shelfsight/{store}/{shelf}/{type}``."""
MISSING_SEGMENT = "-"
"""Topic segment of a field the event lacks (a camera_status has no shelf)."""
_WILDCARDS = str.maketrans({"+": "_", "#": "_"})

NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EventMatch(_Section):
    """Which events a subscription receives; an empty list means any."""

    stores: tuple[str, ...] = Field(default=(), description="Store ids.")
    shelves: tuple[str, ...] = Field(
        default=(), description="Shelf ids; events without a shelf (camera_status) never match a shelf filter."
    )
    types: tuple[str, ...] = Field(default=(), description="Event types, e.g. pickup, putback, dwell.")

    @field_validator("types")
    @classmethod
    def _known_types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - set(EVENT_TYPES))
        if unknown:
            raise ValueError(f"unknown event type(s) {unknown}; known: {list(EVENT_TYPES)}")
        return value

    def matches(self, event: AnyEvent) -> bool:
        """Whether ``event`` passes every filter."""
        if self.stores and event.store_id not in self.stores:
            return False
        if self.types and event.type not in self.types:
            return False
        return not self.shelves or getattr(event, "shelf_id", None) in self.shelves


class WebhookTarget(_Section):
    """POST each event's JSON to ``url``, signed with HMAC-SHA256 when ``secret_env`` names a secret."""

    url: str = Field(pattern=r"^https?://", description="http:// or https:// URL.")
    secret_env: str | None = Field(
        default=None, description="Environment variable holding the HMAC secret (X-Shelfsight-Signature)."
    )
    timeout_s: float = Field(default=10.0, gt=0, le=300, description="Seconds one POST may take.")

    def secret(self) -> bytes | None:
        """The signing secret from the environment (checked at load, so present)."""
        return None if self.secret_env is None else os.environ[self.secret_env].encode()


class MqttTarget(_Section):
    """Publish each event's JSON with QoS 1 (the broker acknowledges it) on a topic made from the event."""

    host: str = Field(min_length=1)
    port: int = Field(default=1883, ge=1, le=65535)
    topic: str = Field(
        default="shelfsight/{store}/{shelf}/{type}",
        description="Template; placeholders: " + ", ".join(sorted(TOPIC_FIELDS)) + ".",
    )
    username: str | None = None
    password_env: str | None = Field(default=None, description="Environment variable holding the password.")
    tls: bool = Field(default=False, description="TLS with the system's CA certificates.")
    keepalive_s: int = Field(default=30, ge=5, le=3600)
    timeout_s: float = Field(default=10.0, gt=0, le=300, description="Seconds to wait for the broker's PUBACKs.")

    @field_validator("topic")
    @classmethod
    def _valid_template(cls, value: str) -> str:
        fields = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        unknown = sorted(fields - TOPIC_FIELDS)
        if unknown:
            raise ValueError(f"unknown placeholder(s) {unknown} in {value!r}; known: {sorted(TOPIC_FIELDS)}")
        if "+" in value or "#" in value:
            raise ValueError(f"{value!r}: a topic to publish on cannot hold the wildcards + or #")
        return value

    def topic_for(self, event: Mapping[str, Any]) -> str:
        """The topic of an event (its JSON object): each placeholder filled with its id (``-`` when absent,
        ``+`` and ``#`` as ``_``)."""
        values = {
            "store": event.get("store_id"),
            "camera": event.get("camera_id"),
            "zone": event.get("zone_id"),
            "shelf": event.get("shelf_id"),
            "type": event.get("type"),
        }
        return self.topic.format_map(
            {k: MISSING_SEGMENT if v is None else str(v).translate(_WILDCARDS) for k, v in values.items()}
        )

    def password(self) -> str | None:
        return None if self.password_env is None else os.environ[self.password_env]


class Retry(_Section):
    """Backoff between attempts of one delivery: ``initial_s`` doubling up to ``max_s``; given up after
    ``max_attempts`` (then kept as failed, counted, and listed by the admin API)."""

    initial_s: float = Field(default=1.0, gt=0, le=3600)
    max_s: float = Field(default=300.0, gt=0, le=86_400)
    max_attempts: int = Field(default=100, ge=1, le=100_000)


class Subscription(_Section):
    """One subscription: a name, a filter and exactly one target."""

    name: str = Field(pattern=NAME_PATTERN, description="Stable key of its deliveries in the database.")
    match: EventMatch = EventMatch()
    webhook: WebhookTarget | None = None
    mqtt: MqttTarget | None = None
    retry: Retry = Retry()
    batch: int = Field(default=100, ge=1, le=10_000, description="Deliveries read from the outbox at once.")

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.webhook is None) == (self.mqtt is None):
            raise ValueError("set exactly one of webhook: or mqtt:")
        for variable in (self.webhook and self.webhook.secret_env, self.mqtt and self.mqtt.password_env):
            if variable and variable not in os.environ:
                raise ValueError(f"environment variable {variable} is not set")
        return self

    @property
    def kind(self) -> Literal["webhook", "mqtt"]:
        return "webhook" if self.webhook is not None else "mqtt"


class IntegrationsConfig(_Section):
    """The whole file: ``subscriptions:``, a list."""

    subscriptions: tuple[Subscription, ...] = ()

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        names = [s.name for s in self.subscriptions]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"subscription names must be unique: {repeated} repeated")
        return self


def load_integrations(path: Path) -> IntegrationsConfig:
    """Read and check the integrations file.

    Raises:
        ValueError: The file is missing, not YAML, or breaks the schema; the message names the file and field.
    """
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"integrations file {path}: {exc}") from exc
    try:
        return IntegrationsConfig.model_validate(data if data is not None else {})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors())
        raise ValueError(f"integrations file {path}: {problems}") from exc
