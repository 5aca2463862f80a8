"""Accept or decline an offer."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from engine.operators import accept, decline
from player.operator_models import DecidedOffer
from player.operators import workspace
from player.renderers import render
from web.auth import roles
from web.context import actor
from web.described import described

bp = Blueprint("offers", __name__, url_prefix="/api/v1/offers")


@bp.post("/<offer_id>/accept")
@roles("operator")
@described(
    summary="Accept an offer: the item is claimed for me, as a claim by hand",
    responses={200: DecidedOffer},
    errors=(409, 502),
)
def take(offer_id: str) -> Any:
    done = accept(workspace(), offer_id, actor())
    if "session" in done:
        done["session"] = render(done["session"], "web")
    return jsonify(done)


@bp.post("/<offer_id>/decline")
@roles("operator")
@described(
    summary="Decline an offer: the item goes to the next operator",
    responses={200: DecidedOffer},
    errors=(409,),
)
def refuse(offer_id: str) -> Any:
    return jsonify(decline(workspace(), offer_id, actor()))
