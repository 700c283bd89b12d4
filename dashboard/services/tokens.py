"""API tokens: random secrets shown once, stored as their sha256, with scopes.

A token is ``ss_`` + 32 random bytes (URL-safe base64). The secret has 256 bits of entropy, so a plain
sha256 is a sound hash at rest (a slow password hash matters only for guessable secrets), and lookups are by
hash. Scopes: ``read`` (events, metrics, pages) and ``admin`` (tokens, dead letters, retention; implies read).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from dashboard.storage.base import Store, TokenRecord

TOKEN_PREFIX = "ss_"


class Scope(StrEnum):
    """What a token may do."""

    READ = "read"
    ADMIN = "admin"


@dataclass(frozen=True)
class IssuedToken:
    """A token just created: the secret (shown once) and its stored record."""

    secret: str
    record: TokenRecord


def hash_token(secret: str) -> str:
    """Hex sha256 of the token text."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue_token(store: Store, *, name: str, scopes: Sequence[Scope], now: float) -> IssuedToken:
    """Create and store a token; the returned secret is never stored and cannot be shown again.

    Raises:
        ValueError: If ``scopes`` is empty or ``name`` is blank.
    """
    if not scopes:
        raise ValueError("scopes: expected at least one of read, admin, got none")
    if not name.strip():
        raise ValueError("name: expected a non-empty name to tell tokens apart")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = TokenRecord(
        token_id=secrets.token_hex(8),
        name=name.strip(),
        scopes=tuple(sorted({Scope(s).value for s in scopes})),
        token_hash=hash_token(secret),
        created_at=now,
    )
    store.add_token(record)
    return IssuedToken(secret, record)


def authorize(store: Store, secret: str, needed: Scope) -> TokenRecord | None:
    """The live token record for ``secret`` if it grants ``needed`` (admin grants read), else None."""
    record = store.token_by_hash(hash_token(secret))
    if record is None or record.revoked_at is not None:
        return None
    if needed.value in record.scopes or Scope.ADMIN.value in record.scopes:
        return record
    return None


def rotate_startup_token(store: Store, *, name: str, now: float) -> IssuedToken:
    """Revoke earlier live admin tokens called ``name`` and issue a new one (what `shelfsight serve` prints)."""
    for record in store.tokens():
        if record.name == name and record.revoked_at is None:
            store.revoke_token(record.token_id, at=now)
    return issue_token(store, name=name, scopes=[Scope.ADMIN], now=now)
