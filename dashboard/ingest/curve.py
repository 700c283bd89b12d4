"""CURVE for ingest: the aggregator's key pair and the edge boxes' public keys it accepts.

Keys are the Z85 text that ``zmq.auth.create_certificates`` writes into ``*.key`` (public) and
``*.key_secret`` (secret) certificate files. The allow-list is checked by a ZAP handler
(`zmq.auth.thread.ThreadAuthenticator`), so an unknown edge box is refused during the handshake and never
reaches the ROUTER.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator

logger = logging.getLogger(__name__)

Z85_KEY_LENGTH = 40


@dataclass(frozen=True)
class CurveServerKeys:
    """The server's key pair and the allowed client public keys, all as Z85 bytes."""

    public_key: bytes
    secret_key: bytes
    allowed_clients: frozenset[bytes]

    @classmethod
    def load(cls, secret_key_file: Path, *, clients_dir: Path | None, client_keys: Sequence[str]) -> CurveServerKeys:
        """Read the server certificate and the allowed keys.

        Raises:
            ValueError: If a file is missing, holds no secret key, a key is not 40 Z85 characters, or no client
                key is allowed at all.
        """
        if not secret_key_file.is_file():
            raise ValueError(f"curve_secret_key_file: {secret_key_file} does not exist")
        public, secret = zmq.auth.load_certificate(secret_key_file)
        if secret is None:
            raise ValueError(f"curve_secret_key_file: {secret_key_file} holds no secret key (use the .key_secret file)")
        allowed = {_checked(key.encode(), "curve_public_keys") for key in client_keys}
        if clients_dir is not None:
            if not clients_dir.is_dir():
                raise ValueError(f"curve_public_keys_dir: {clients_dir} is not a folder")
            for path in sorted(clients_dir.glob("*.key")):
                allowed.add(_checked(zmq.auth.load_certificate(path)[0], str(path)))
        if not allowed:
            raise ValueError("curve: no edge public key is allowed; every edge box would be refused")
        return cls(public, secret, frozenset(allowed))


class _AllowList:
    """ZAP credentials provider: a client may connect when its key is in the set."""

    def __init__(self, allowed: frozenset[bytes]) -> None:
        self._allowed = allowed

    def callback(self, domain: str, key: bytes) -> bool:
        allowed = key in self._allowed
        if not allowed:
            logger.warning("refused an edge box with unknown CURVE key=%s", key.decode(errors="replace"))
        return allowed


def make_curve_server(
    context: zmq.Context[zmq.Socket[bytes]], socket: zmq.Socket[bytes], keys: CurveServerKeys
) -> ThreadAuthenticator:
    """Start a ZAP authenticator on ``context`` and make ``socket`` a CURVE server; call before ``bind``.

    Returns:
        The running authenticator; stop it after closing the socket.
    """
    authenticator = ThreadAuthenticator(context)
    authenticator.start()
    authenticator.configure_curve_callback(domain="*", credentials_provider=_AllowList(keys.allowed_clients))
    socket.curve_secretkey = keys.secret_key
    socket.curve_publickey = keys.public_key
    socket.curve_server = True
    return authenticator


def _checked(key: bytes, where: str) -> bytes:
    if len(key) != Z85_KEY_LENGTH:
        raise ValueError(f"{where}: expected a {Z85_KEY_LENGTH}-character Z85 public key, got {len(key)} characters")
    try:
        zmq.utils.z85.decode(key)
    except (ValueError, KeyError) as exc:
        raise ValueError(f"{where}: not valid Z85 text: {exc}") from exc
    return key
