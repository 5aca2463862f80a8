"""Script analytics for methodologists: automation rate, handoffs, where sessions stop."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from engine.analytics import script_figures
from web.auth import roles
from web.context import services

bp = Blueprint("analytics", __name__, url_prefix="/api/v1/analytics")


@bp.get("/scripts/<key>")
@roles("methodologist")
def script(key: str) -> Any:
    with services().database.unit_of_work() as uow:
        return jsonify(script_figures(uow, key))
