"""Aggregator endpoint and CURVE key rules; spool bounds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from shelfsight.edge_config.transport import DEFAULT_ENDPOINT, AggregatorConfig, SpoolConfig

KEY = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"  # a CURVE public key in Z85 (40 characters)


@pytest.mark.parametrize(
    ("endpoint", "expected_error"),
    [
        (DEFAULT_ENDPOINT, None),
        ("tcp://aggregator.store.lan:5560", None),
        ("tcp://[::1]:5560", None),
        ("ipc:///run/shelfsight/events", None),
        ("udp://10.0.0.1:5560", "must be tcp://HOST:PORT or ipc://PATH"),
        ("10.0.0.1:5560", "must be tcp://HOST:PORT or ipc://PATH"),
        ("tcp://10.0.0.1", "port 1-65535"),
        ("tcp://10.0.0.1:0", "port 1-65535"),
        ("tcp://10.0.0.1:70000", "port 1-65535"),
        ("tcp://:5560", "port 1-65535"),
        ("ipc://", "needs a socket path"),
    ],
)
def test_endpoint(endpoint: str, expected_error: str | None) -> None:
    if expected_error is None:
        assert AggregatorConfig(endpoint=endpoint).endpoint == endpoint
        return
    with pytest.raises(ValidationError, match=expected_error):
        AggregatorConfig(endpoint=endpoint)


@pytest.mark.parametrize(
    ("keys", "expected_error"),
    [
        ({}, None),
        ({"server_public_key": KEY, "client_certificate_file": "keys/box.key_secret"}, None),
        ({"server_public_key": KEY}, "client_certificate_file is missing"),
        ({"client_certificate_file": "keys/box.key_secret"}, "server_public_key is missing"),
        ({"server_public_key": "too-short", "client_certificate_file": "k"}, "should match pattern"),
    ],
)
def test_curve_keys_come_in_pairs(keys: dict[str, Any], expected_error: str | None) -> None:
    if expected_error is None:
        AggregatorConfig.model_validate(keys)
        return
    with pytest.raises(ValidationError, match=expected_error):
        AggregatorConfig.model_validate(keys)


def test_spool_defaults_and_bounds() -> None:
    spool = SpoolConfig()
    assert spool.directory == Path("spool")
    assert spool.max_events == 1_000_000
    assert spool.max_bytes == 1 << 30
    for bad in ({"max_events": 0}, {"max_bytes": -1}, {"max_events": 1.5}):
        with pytest.raises(ValidationError):
            SpoolConfig.model_validate(bad)
