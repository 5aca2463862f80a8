"""The signed-cookie session of the server-rendered pages, opened only when sent.

Flask builds a cookie signer (key derivation included) for every request before it looks
for the cookie. Most requests are API calls with a bearer token and no cookie: they get an
empty session without it. A request that carries the cookie is read exactly as Flask reads
it.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class CookieSessions(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)
