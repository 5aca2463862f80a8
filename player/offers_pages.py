"""The operator's offers in the player: a panel on every player page, a page of its own,
the live stream, and the forms that accept, decline and set presence.

The routes live on the player blueprint (``player.web.bp``), behind its sign-in gate and
CSRF check; ``player/web.py`` imports this module at its end. The panel
(``templates/player/_offers.html``, included by the base page) is rendered on the server;
``offers.js`` keeps it current from the server-sent event stream (``EventSource``). Without
JavaScript the panel links to ``/player/offers``, which refreshes itself every few seconds.
Its words come from a catalogue of its own (domain ``offers``).
"""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, request, send_from_directory, url_for
from flask_babel import Domain
from werkzeug.wrappers import Response as BaseResponse

from engine.errors import OperatorNotFound
from engine.operators import PRESENCES, accept, decline, my_offers, set_presence
from player.operators import offer_stream, workspace
from player.web import ASSET_MAX_AGE, LOCALE, STATIC, _page, _safe_next, bp
from web.auth import public
from web.context import actor

OFFERS = Domain(translation_directories=str(LOCALE), domain="offers")
REFRESH_S = 5


def offers_text(message: str, **values: Any) -> str:
    return str(OFFERS.gettext(message, **values))


def offers_panel() -> dict[str, Any] | None:
    """The signed-in operator's presence and pending offers (None: not an operator)."""
    try:
        return my_offers(workspace(), actor())
    except OperatorNotFound:
        return None


@bp.app_context_processor
def _offers_globals() -> dict[str, Any]:
    return {"offers_panel": offers_panel, "o_": offers_text, "presences": PRESENCES}


@bp.get("/<any('offers.js', 'offers.css'):name>")
@public
def offers_asset(name: str) -> Response:
    return send_from_directory(STATIC, name, max_age=ASSET_MAX_AGE)


@bp.get("/offers")
@public
def offers_page() -> Response:
    return _page("player/offers.html", refresh=REFRESH_S, offers_page=True)


@bp.get("/offers/stream")
@public
def offers_stream() -> Response:
    ws, who = workspace(), actor()
    return offer_stream(ws, who, my_offers(ws, who), ws.settings.stream_seconds)


@bp.post("/offers/<offer_id>/accept")
@public
def offer_accept(offer_id: str) -> BaseResponse:
    done = accept(workspace(), offer_id, actor())
    if "session" in done:
        return redirect(url_for("player.session_page", session_id=done["session"].session_id), 303)
    ticket = done["work_item"]["ticket_id"]
    return redirect(url_for("player.ticket_page", ticket_id=ticket), 303)


@bp.post("/offers/<offer_id>/decline")
@public
def offer_decline(offer_id: str) -> BaseResponse:
    decline(workspace(), offer_id, actor())
    return redirect(_safe_next(request.form.get("next")), 303)


@bp.post("/presence")
@public
def presence_form() -> BaseResponse:
    set_presence(workspace(), actor(), request.form.get("presence", ""))
    return redirect(_safe_next(request.form.get("next")), 303)
