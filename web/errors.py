"""Every error response has one envelope: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from engine.errors import (
    CuebookError,
    DoesNotExist,
    IntegrationFailed,
    MalformedInput,
    NotAuthenticated,
    NotPermitted,
    SavedStateUnreadable,
    ScriptFailed,
    ValidationFailed,
    WrongState,
)

log = logging.getLogger("cuebook.web")
DATABASE_RETRY_AFTER_S = 5

# The engine's error families, each to one status (the first match wins).
STATUS: list[tuple[type[CuebookError], int]] = [
    (ValidationFailed, 422),
    (MalformedInput, 400),
    (DoesNotExist, 404),
    (WrongState, 409),
    (NotAuthenticated, 401),
    (NotPermitted, 403),
    (IntegrationFailed, 502),
    (ScriptFailed, 500),
    (SavedStateUnreadable, 500),
]


# What of an error's ``extra`` reaches the response (a draft conflict says what changed).
PASSED_ON = ("element", "function", "retry", "conflict")


def status_of(exc: CuebookError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def envelope(
    code: str, message: str, details: list[dict[str, str]] | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message, "details": details or []}
    body.update(extra)
    return {"error": body}


def _reply(status: int, code: str, message: str) -> Any:
    resp = jsonify(envelope(code, message))
    resp.status_code = status
    return resp


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CuebookError)
    def _cuebook(exc: CuebookError) -> Any:
        status = status_of(exc)
        if status >= 500:
            log.warning("%s: %s", exc.code, exc.message)
        extra = {k: v for k, v in exc.extra.items() if k in PASSED_ON}
        resp = jsonify(envelope(exc.code, exc.message, [d.as_dict() for d in exc.details], **extra))
        resp.status_code = status
        if status == 401:
            resp.headers["WWW-Authenticate"] = 'Bearer realm="cuebook"'
        return resp

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        code = (exc.name or "error").lower().replace(" ", "_")
        return _reply(exc.code or 500, code, exc.description or exc.name or "error")

    @app.errorhandler(DataError)
    def _bad_data(exc: DataError) -> Any:
        return _reply(400, "bad_request", "a value in the request cannot be stored or looked up")

    @app.errorhandler(IntegrityError)
    def _conflict(exc: IntegrityError) -> Any:
        return _reply(
            409, "conflict", "the request conflicts with a change made at the same time; retry"
        )

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_down(exc: Exception) -> Any:
        # The database is out of reach (restarting, failing over): nothing was changed, and
        # the pool replaces the broken connections, so the same request can be sent again.
        log.warning("database unavailable: %s", str(exc).splitlines()[0][:200])
        resp = _reply(
            503, "database_unavailable", "the database is out of reach; retry in a few seconds"
        )
        resp.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_S)
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        log.exception("unexpected error")
        return _reply(500, "internal_error", "internal error; the request changed nothing")
