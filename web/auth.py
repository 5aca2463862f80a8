"""Bearer tokens and role checks, before every request.

The JSON API takes bearer tokens only; the player's pages (marked public here) check their
own sign-in cookie, so a cookie can never call the API behind a signed-in operator's back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from cachetools import TTLCache
from flask import Flask, current_app, g, request

from engine.errors import NotAuthenticated, NotPermitted
from engine.sessions import Actor
from engine.tokens import authenticate_hash, hash_token
from web.context import services

F = TypeVar("F", bound=Callable[..., Any])
PUBLIC_ATTR = "cuebook_public"
ROLES_ATTR = "cuebook_roles"
CACHE_SECONDS = 5.0
CACHE_SIZE = 10_000
CACHE_KEY = "cuebook.tokens"
_UNKNOWN = object()  # a cached unknown token is None; a miss is this


def public(view: F) -> F:
    """Mark a view as open without a token (health, metrics, sign-in)."""
    setattr(view, PUBLIC_ATTR, True)
    return view


def roles(*allowed: str) -> Callable[[F], F]:
    """Only these roles (and admin) may call the view."""

    def mark(view: F) -> F:
        setattr(view, ROLES_ATTR, frozenset(allowed) | {"admin"})
        return view

    return mark


class _TokenCache:
    """A few seconds of memory per token hash, so a step costs no token query."""

    def __init__(self, ttl_s: float = CACHE_SECONDS, size: int = CACHE_SIZE) -> None:
        self._items: TTLCache[str, Actor | None] = TTLCache(maxsize=size, ttl=ttl_s)
        self._lock = threading.Lock()

    def lookup(self, token_hash: str) -> Actor | None:
        with self._lock:
            hit = self._items.get(token_hash, _UNKNOWN)
        if hit is not _UNKNOWN:
            return hit  # type: ignore[return-value]
        with services().database.unit_of_work() as uow:
            found = authenticate_hash(uow, token_hash)
        with self._lock:
            self._items[token_hash] = found
        return found


def _token_cache(app: Flask) -> _TokenCache:
    cache = app.extensions.get(CACHE_KEY)
    if cache is None:
        cache = app.extensions[CACHE_KEY] = _TokenCache()
    return cache  # type: ignore[no-any-return]


def authenticate_token(token: str) -> Actor | None:
    """The actor of a bearer token (None: unknown or revoked), remembered a few seconds.

    The API's token check and the player's sign-in both ask here.
    """
    return _token_cache(current_app).lookup(hash_token(token))


def authenticate_token_hash(token_hash: str) -> Actor | None:
    """The actor of a stored token hash (the player's sign-in cookie holds one), cached the
    same way."""
    return _token_cache(current_app).lookup(token_hash)


def bearer_token() -> str | None:
    """The request's ``Authorization: Bearer`` token, if any."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def install_auth(app: Flask) -> None:
    _token_cache(app)

    @app.before_request
    def _authenticate() -> None:
        view = app.view_functions.get(request.endpoint or "")
        if view is None or getattr(view, PUBLIC_ATTR, False) or request.method == "OPTIONS":
            return
        token = bearer_token()
        actor = None
        if token:
            actor = authenticate_token(token)
            if actor is None:
                raise NotAuthenticated("the token is not valid")
        if actor is None:
            raise NotAuthenticated("an Authorization: Bearer token is required")
        allowed = getattr(view, ROLES_ATTR, None)
        if allowed is not None and actor.role not in allowed:
            raise NotPermitted(
                f"role {actor.role!r} may not do this; needs one of {', '.join(sorted(allowed))}"
            )
        g.cuebook_actor = actor
