"""How events leave the box: the aggregator endpoint, its optional CURVE keys, and the disk spool."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Final, Self

from pydantic import Field, Strict, field_validator, model_validator

from shelfsight.edge_config.base import ShelfsightModel, rule_error

logger = logging.getLogger(__name__)

DEFAULT_ENDPOINT: Final = "tcp://127.0.0.1:5560"

Z85_KEY_PATTERN: Final = r"^[0-9a-zA-Z.\-:+=^!/*?&<>()\[\]{}@%$#]{40}$"
"""A CURVE key as ZeroMQ prints it: 32 bytes in Z85, i.e. 40 characters."""

PositiveInt = Annotated[int, Strict(), Field(gt=0)]


def _endpoint_problem(endpoint: str) -> str | None:
    """Why an endpoint is not ``tcp://HOST:PORT`` or ``ipc://PATH``, or None."""
    scheme, sep, rest = endpoint.partition("://")
    if not sep or scheme not in ("tcp", "ipc"):
        return f"endpoint must be tcp://HOST:PORT or ipc://PATH, got {endpoint!r}"
    if scheme == "ipc":
        return None if rest else "ipc:// endpoint needs a socket path, e.g. ipc:///run/shelfsight/events"
    host, colon, port = rest.rpartition(":")
    if not colon or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        return f"tcp endpoint needs a host and a port 1-65535, e.g. {DEFAULT_ENDPOINT}, got {endpoint!r}"
    return None


class AggregatorConfig(ShelfsightModel):
    """Where this box sends its events, and how the link is encrypted."""

    endpoint: str = Field(
        default=DEFAULT_ENDPOINT,
        title="Aggregator endpoint",
        description="ZeroMQ endpoint of the aggregator: tcp://HOST:PORT, or ipc://PATH on the same machine.",
    )
    server_public_key: str | None = Field(
        default=None,
        pattern=Z85_KEY_PATTERN,
        title="Aggregator CURVE public key",
        description=(
            "The aggregator's CURVE public key (40 Z85 characters). Set it, together with "
            "client_certificate_file, to encrypt and authenticate the link; leave both unset on a trusted "
            "network."
        ),
    )
    client_certificate_file: Path | None = Field(
        default=None,
        title="Box CURVE certificate",
        description=(
            "This box's ZeroMQ certificate, the secret-key file written by zmq.auth.create_certificates "
            "(it holds the public and the secret key). Relative to this config file's folder."
        ),
    )

    @field_validator("endpoint")
    @classmethod
    def check_endpoint(cls, endpoint: str) -> str:
        """Only transports that reach another process reliably: tcp between machines, ipc on one."""
        problem = _endpoint_problem(endpoint)
        if problem is not None:
            raise rule_error(problem, fix=f"e.g. `endpoint: {DEFAULT_ENDPOINT}`")
        return endpoint

    @model_validator(mode="after")
    def check_curve_keys_together(self) -> Self:
        """CURVE needs both sides' keys: one without the other would silently send in the clear."""
        has_server, has_client = self.server_public_key is not None, self.client_certificate_file is not None
        if has_server != has_client:
            missing = "client_certificate_file" if has_server else "server_public_key"
            raise rule_error(
                f"CURVE needs both server_public_key and client_certificate_file; {missing} is missing",
                fix=f"set {missing} too, or remove the other key to send unencrypted",
                at=(missing,),
            )
        return self


class SpoolConfig(ShelfsightModel):
    """The on-disk queue holding events until the aggregator acknowledges them.

    It lets the box ride out network loss. Both bounds hold at once, so a long outage cannot fill the
    disk; what happens at the bound is the spool's documented policy.
    """

    directory: Path = Field(
        default=Path("spool"),
        title="Spool directory",
        description="Folder for unacknowledged events; relative paths are relative to this file's folder.",
    )
    max_events: PositiveInt = Field(
        default=1_000_000,
        title="Maximum events",
        description="Most events held; about a week of a busy 8-camera store.",
    )
    max_bytes: PositiveInt = Field(
        default=1 << 30,
        title="Maximum size",
        description="Most bytes on disk (default 1 GiB).",
    )
