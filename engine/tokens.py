"""API tokens and roles. Tokens are random; only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from engine.errors import Detail, ValidationFailed
from engine.persistence.database import UnitOfWork
from engine.sessions import Actor

ROLES = ("admin", "methodologist", "operator", "bot")
PREFIX = "cb_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(uow: UnitOfWork, role: str, name: str, now: datetime) -> str:
    """Store a new token for ``role`` and return it (the only time it is shown)."""
    if role not in ROLES:
        raise ValidationFailed(
            f"unknown role {role!r}; use one of {', '.join(ROLES)}",
            [Detail("role", f"must be one of {', '.join(ROLES)}")],
        )
    token = PREFIX + secrets.token_urlsafe(32)
    uow.tokens.add(name or role, role, hash_token(token), now)
    return token


def authenticate(uow: UnitOfWork, token: str) -> Actor | None:
    return authenticate_hash(uow, hash_token(token))


def authenticate_hash(uow: UnitOfWork, token_hash: str) -> Actor | None:
    """The actor of a stored token hash, or None if it is unknown or revoked."""
    row = uow.tokens.by_hash(token_hash)
    if row is None:
        return None
    return Actor(name=row["name"], role=row["role"])
