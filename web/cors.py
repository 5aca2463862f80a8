"""CORS for the JSON API, by flask-cors: pages from ``settings.cors_origins`` may call
``/api/`` with a bearer token (the ``<cuebook-player>`` component in a CRM page).

No credentials are allowed across origins: cookies never authenticate a cross-origin call.
"""

from __future__ import annotations

from flask import Flask
from flask_cors import CORS

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
HEADERS = ["Authorization", "Content-Type", "Accept", "Idempotency-Key"]
EXPOSED = ["WWW-Authenticate"]
PREFLIGHT_MAX_AGE_S = 600
_INSTALLED = "cuebook.cors"


def install_cors(app: Flask) -> None:
    """CORS on ``/api/`` for the origins of the app's settings; installing twice changes
    nothing. ``*`` among the origins lets any page call (its origin is echoed)."""
    if app.extensions.get(_INSTALLED):
        return
    app.extensions[_INSTALLED] = True
    settings = app.extensions["cuebook"].settings
    origins = [o.rstrip("/") for o in (settings.cors_origins or ()) if o.strip()]
    CORS(
        app,
        resources={r"/api/*": {"origins": origins}},
        methods=METHODS,
        allow_headers=HEADERS,
        expose_headers=EXPOSED,
        supports_credentials=False,
        max_age=PREFLIGHT_MAX_AGE_S,
        send_wildcard=False,
        vary_header=True,
    )
