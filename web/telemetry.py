"""Every request measured and logged: its latency in ``cuebook_http_request_seconds`` (by the
Flask URL rule, never the raw path, the method and the status), an ``X-Request-Id`` (the
client's, when it is a plain token, else a new one) sent back, and one log line on
``cuebook.requests`` with the request id, method, route, status, duration, the session,
script and version the request worked on, and the actor's name.

The line carries no body, no query string and no header but the request id: answers,
tokens and secrets never reach it. The metric update is a dictionary look-up and one
histogram observation (bench/request_metrics.py measures it).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from flask import Flask, g, request
from prometheus_client import Histogram

from engine.sessions import observed

log = logging.getLogger("cuebook.requests")

REQUEST_SECONDS = Histogram(
    "cuebook_http_request_seconds",
    "HTTP requests by route (the URL rule), method and status, with their latency",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
REQUEST_ID_HEADER = "X-Request-Id"
UNMATCHED = "unmatched"  # no URL rule (404, 405): one label, whatever the path
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_children: dict[tuple[str, str, int], Any] = {}


def observe(route: str, method: str, status: int, seconds: float) -> None:
    """Count one request and its latency (the labelled child is looked up once per kind)."""
    key = (route, method, status)
    child = _children.get(key)
    if child is None:
        child = _children[key] = REQUEST_SECONDS.labels(route, method, str(status))
    child.observe(seconds)


def request_id(incoming: str | None) -> str:
    """The client's request id when it is a plain token of at most 128 characters, else new."""
    if incoming and _REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def _fields(route: str, status: int, duration_ms: float) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "request_id": g.get("cuebook_request_id"),
        "method": request.method,
        "route": route,
        "path": request.path,
        "status": status,
        "duration_ms": round(duration_ms, 2),
    }
    touched = observed.touched()
    if touched is not None:
        fields.update(session_id=touched.session_id, script=touched.script)
        fields["version"] = touched.version
    elif request.view_args and "session_id" in request.view_args:
        fields["session_id"] = request.view_args["session_id"]
    who = g.get("cuebook_actor")
    if who is not None:
        fields["actor"] = who.name
    return fields


def install_telemetry(app: Flask) -> None:
    """Install the hooks; call before any other ``before_request`` so every request is timed."""

    @app.before_request
    def _begin() -> None:
        here = g._get_current_object()  # type: ignore[attr-defined]
        here.cuebook_started = time.perf_counter()
        here.cuebook_request_id = request_id(request.headers.get(REQUEST_ID_HEADER))
        observed.forget()

    @app.after_request
    def _end(response: Any) -> Any:
        ended = time.perf_counter()
        here = g._get_current_object()  # type: ignore[attr-defined]
        req = request._get_current_object()  # type: ignore[attr-defined]
        elapsed = ended - getattr(here, "cuebook_started", ended)
        rule = req.url_rule
        route = rule.rule if rule is not None else UNMATCHED
        status = response.status_code
        observe(route, req.method, status, elapsed)
        rid = getattr(here, "cuebook_request_id", None) or request_id(None)
        response.headers[REQUEST_ID_HEADER] = rid
        if log.isEnabledFor(logging.INFO):
            message = f"{req.method} {route} {status} {elapsed * 1000:.1f} ms"
            log.info(message, extra={"cuebook": _fields(route, status, elapsed * 1000)})
        return response
