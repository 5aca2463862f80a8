"""Signing in to the server-rendered pages (the operator's player, the editor): a token
pasted once becomes a signed cookie session holding the token's hash, checked against the
token store on every request (a revoked token ends the browser session too), with a CSRF
token for every form the pages post."""

from __future__ import annotations

import hmac
import secrets

from flask import request, session

from web.auth import Actor, authenticate_token, authenticate_token_hash, bearer_token, hash_token


def cookie_actor() -> Actor | None:
    """Who the signed-in browser is, or None."""
    stored = session.get("token_hash")
    if not isinstance(stored, str):
        return None
    return authenticate_token_hash(stored)


def page_actor() -> tuple[str | None, Actor | None]:
    """(bearer token, who): a page opened with a bearer token (an embedding CRM, a test)
    goes by it, any other by the signed-in cookie."""
    token = bearer_token()
    return token, (authenticate_token(token) if token else cookie_actor())


def csrf_token() -> str:
    """The session's CSRF token (made on first use), for the forms a page renders."""
    token = session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def csrf_ok() -> bool:
    """Whether the posted form carries the session's CSRF token."""
    sent = request.form.get("csrf_token", "")
    kept = session.get("csrf")
    return bool(sent) and isinstance(kept, str) and hmac.compare_digest(sent, kept)


def posted_token() -> tuple[str, Actor | None]:
    """The token the sign-in form posted and whom it names (None: not a valid token)."""
    token = request.form.get("token", "").strip()
    return token, (authenticate_token(token) if token else None)


def remember(token: str) -> None:
    """A fresh browser session for ``token`` (a new CSRF token: none from before survives)."""
    session.clear()
    session["token_hash"] = hash_token(token)
    session["csrf"] = secrets.token_urlsafe(32)


def safe_next(target: str | None, prefix: str) -> str | None:
    """``target`` if it is a path under ``prefix`` of this site (never another host), else
    None."""
    if target and target.startswith(prefix) and not target.startswith("//"):
        return target
    return None
