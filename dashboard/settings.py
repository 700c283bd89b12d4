"""Settings of the aggregator, read from ``SHELFSIGHT_*`` environment variables (or passed in by the CLI).

Built on first use by the cached `get_settings`, never at import, so tests and the CLI build their own.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class DashboardSettings(BaseSettings):
    """Everything `shelfsight.dashboard.app.create_app`, the ingest and `shelfsight serve` need to know."""

    model_config = SettingsConfigDict(env_prefix="SHELFSIGHT_", extra="forbid", frozen=True)

    db: str = Field(
        default="shelfsight.db",
        title="Database",
        description="SQLite file path (the embedded default), duckdb:///path, or a postgresql:// URL.",
        min_length=1,
    )
    ingest_endpoint: str | None = Field(
        default="tcp://127.0.0.1:5560",
        title="Ingest endpoint",
        description="ZeroMQ endpoint the ROUTER binds for edge boxes; None runs the API without ingest.",
    )
    ingest_poll_ms: int = Field(
        default=100,
        title="Ingest poll timeout",
        description="Milliseconds one poll waits for a batch; also how quickly a stop request is noticed.",
        ge=1,
        le=10_000,
    )
    ingest_max_events_per_commit: int = Field(
        default=10_000,
        title="Events per commit",
        description="Batches waiting on the socket are committed together up to this many events: more is "
        "faster under load, fewer acks sooner.",
        ge=1,
        le=100_000,
    )
    ingest_max_message_bytes: int = Field(
        default=4 * 1024 * 1024,
        title="Largest ingest message",
        description="Bytes one message frame may hold (ZeroMQ MAXMSGSIZE); a peer sending more is disconnected "
        "before the message is buffered. A batch of 1000 events is about 0.3-1.2 MB.",
        ge=64 * 1024,
        le=256 * 1024 * 1024,
    )
    curve_secret_key_file: Path | None = Field(
        default=None,
        title="CURVE server key",
        description="zmq certificate file with the aggregator's secret key (zmq.auth.create_certificates). "
        "When set, ingest is a CURVE server and accepts only the edge keys below.",
    )
    curve_public_keys_dir: Path | None = Field(
        default=None,
        title="Allowed edge keys (folder)",
        description="Folder of edge boxes' public certificate files (*.key); each one is allowed to send.",
    )
    curve_public_keys: tuple[str, ...] = Field(
        default=(),
        title="Allowed edge keys",
        description="Edge boxes' public keys as 40-character Z85 text, in addition to the folder's.",
    )
    retention_days: float = Field(
        default=90.0,
        title="Raw event retention",
        description="Raw events and dead letters older than this many days are deleted; rollups are kept.",
        gt=0,
    )
    retention_interval_s: float = Field(
        default=3600.0,
        title="Retention interval",
        description="Seconds between retention runs.",
        ge=1.0,
    )
    open_visit_max_s: float = Field(
        default=1800.0,
        title="Longest open visit",
        description="A dwell_started older than this with no dwell is no longer shown as dwelling now "
        "(its edge box probably restarted mid-visit).",
        gt=0,
    )
    feed_page_max: int = Field(
        default=1000,
        title="Largest feed page",
        description="Most events one /api/v1/events page returns.",
        ge=1,
        le=10_000,
    )
    live_queue_size: int = Field(
        default=10_000,
        title="Live stream buffer",
        description="Events a live (SSE) client may fall behind, besides the batch it is reading; a slower client "
        "is disconnected, so it never slows ingest.",
        ge=10,
        le=1_000_000,
    )
    pages_require_token: bool = Field(
        default=True,
        title="Pages need a token",
        description="Dashboard pages ask for a read token (a read-scope session in a cookie after /login).",
    )
    integrations_file: Path | None = Field(
        default=None,
        title="Integrations file",
        description="YAML file of webhook and MQTT subscriptions on the event stream (docs/dashboard.md, "
        '"Live integrations"); None sends nothing.',
    )
    api_docs: bool = Field(
        default=True,
        title="API docs page",
        description="Serve Swagger UI at /docs, from assets installed with the server (no CDN: it works offline).",
    )

    @model_validator(mode="after")
    def _curve_needs_allowed_keys(self) -> Self:
        if self.curve_secret_key_file is not None and not (self.curve_public_keys_dir or self.curve_public_keys):
            raise ValueError(
                "curve_secret_key_file: set curve_public_keys_dir or curve_public_keys too; a CURVE server "
                "that allows no edge key would refuse every box"
            )
        return self


@lru_cache(maxsize=1)
def get_settings() -> DashboardSettings:
    """The process's settings from the environment, built once on first use."""
    return DashboardSettings()
