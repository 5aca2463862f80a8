"""The API described: ``GET /api/v1/openapi.json`` and a docs page (Swagger UI, vendored)
at ``/api/docs``. Both are open without a token: they describe the API, not its data."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, send_from_directory

from web.auth import public
from web.described import described
from web.openapi import openapi_document
from web.vendored import VENDOR, VENDOR_MAX_AGE, vendored_version

bp = Blueprint("api_docs", __name__)
PAGE = Path(__file__).resolve().parent / "static" / "api_docs"
SWAGGER_UI = "swagger-ui-dist"
_DOCUMENT = "cuebook.openapi"
_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)


def _version() -> str:
    try:
        return metadata.version("cuebook")
    except metadata.PackageNotFoundError:
        return "0"


def document() -> dict[str, Any]:
    """The app's OpenAPI document, built once per process (routes do not change)."""
    app = current_app
    built = app.extensions.get(_DOCUMENT)
    if built is None:
        built = app.extensions[_DOCUMENT] = openapi_document(
            app, title="Cuebook API", version=_version()
        )
    return built  # type: ignore[no-any-return]


@bp.get("/api/v1/openapi.json")
@public
@described(
    summary="This document",
    responses={200: {"type": "object", "description": "An OpenAPI 3.1 document."}},
    tag="meta",
)
def openapi_json() -> Any:
    """The OpenAPI 3.1 document of the JSON API, built from the routes and their models."""
    return jsonify(document())


@bp.get("/api/docs")
@public
def page() -> Response:
    text = (PAGE / "index.html").read_text(encoding="utf-8")
    html = text.replace("{version}", vendored_version(SWAGGER_UI))
    resp = Response(html, mimetype="text/html")
    resp.headers["Content-Security-Policy"] = _CSP
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "same-origin"
    return resp


@bp.get("/api/docs/api-docs.js")
@public
def page_script() -> Response:
    return send_from_directory(PAGE, "api-docs.js", max_age=300)


@bp.get("/api/docs/vendor/<path:name>")
@public
def vendor(name: str) -> Response:
    """Swagger UI's files, vendored from npm (web/static/vendor/swagger-ui-dist)."""
    return send_from_directory(VENDOR / SWAGGER_UI, name, max_age=VENDOR_MAX_AGE)
