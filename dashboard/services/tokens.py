"""API tokens: random secrets shown once, stored as their sha256, with scopes.

A token is ``ss_`` + 32 random bytes (URL-safe base64). The secret has 256 bits of entropy, so a plain
sha256 is a sound hash at rest (a slow password hash matters only for guessable secrets), and lookups are by
hash. Scopes: ``read`` (events, metrics, pages) and ``admin`` (tokens, dead letters, retention; implies read).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from shelfsight.dashboard.storage.base import Store, TokenRecord

TOKEN_PREFIX = "ss_"
SESSION_S = 7 * 86_400
"""Lifetime of a page sign-in session (the cookie's max-age too), seconds."""
SIGN_IN_LINK_S = 86_400
"""Lifetime of the sign-in link `shelfsight serve` prints (itself a read-scope session), seconds."""
SIGN_IN_LINK_NAME = "serve sign-in link"


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


def issue_token(
    store: Store, *, name: str, scopes: Sequence[Scope], now: float, expires_at: float | None = None
) -> IssuedToken:
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
        expires_at=expires_at,
    )
    store.add_token(record)
    return IssuedToken(secret, record)


def authorize(store: Store, secret: str, needed: Scope, *, now: float | None = None) -> TokenRecord | None:
    """The live token record for ``secret`` if it grants ``needed`` (admin grants read), else None.

    ``now``: the clock an expiring session is checked against (epoch s; the wall clock when omitted).
    """
    record = store.token_by_hash(hash_token(secret))
    if record is None or record.revoked_at is not None:
        return None
    if record.expires_at is not None and record.expires_at <= (time.time() if now is None else now):
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


def start_session(store: Store, signed_in_with: TokenRecord, *, now: float) -> IssuedToken:
    """A page session for someone who signed in with ``signed_in_with``: read scope, expires after `SESSION_S`."""
    return issue_token(
        store, name=f"session ({signed_in_with.name})", scopes=[Scope.READ], now=now, expires_at=now + SESSION_S
    )


def end_session(store: Store, secret: str, *, now: float) -> bool:
    """Revoke the session ``secret`` (sign-out); False when it is not a live session.

    Only sessions are revoked (they carry an expiry): a cookie set before sessions existed holds a real token,
    which signing out must not revoke for its other users.
    """
    record = store.token_by_hash(hash_token(secret))
    if record is None or record.expires_at is None or record.revoked_at is not None:
        return False
    return store.revoke_token(record.token_id, at=now)


def sign_in_link_session(store: Store, *, now: float) -> IssuedToken:
    """The read-scope session of the sign-in link `shelfsight serve` prints; earlier links are revoked."""
    for record in store.tokens():
        if record.name == SIGN_IN_LINK_NAME and record.revoked_at is None:
            store.revoke_token(record.token_id, at=now)
    return issue_token(store, name=SIGN_IN_LINK_NAME, scopes=[Scope.READ], now=now, expires_at=now + SIGN_IN_LINK_S)
