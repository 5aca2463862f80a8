"""Script analytics for methodologists: automation rate, handoffs, where sessions stop."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from engine.analytics import script_figures
from web.auth import roles
from web.context import services
from web.described import an_object, described

bp = Blueprint("analytics", __name__, url_prefix="/api/v1/analytics")


@bp.get("/scripts/<key>")
@roles("methodologist")
@described(
    summary="How a script's sessions ended and where they wait",
    responses={200: an_object("Automation rate, handoffs by reason, where sessions wait.")},
)
def script(key: str) -> Any:
    with services().database.unit_of_work() as uow:
        return jsonify(script_figures(uow, key))
