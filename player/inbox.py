"""An operator's personal inbox: GET /api/v1/operators/me/inbox, and the player's page
/player/inbox (registered on the player blueprint, behind its sign-in)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from flask_babel import gettext as _
from pydantic import Field

from engine.operators.inbox import inbox
from player.callbacks import CallbackOut
from player.tickets_pages import _time_helpers
from player.web import _page
from player.web import bp as player_bp
from web.auth import public, roles
from web.bodies import RequestQuery, parse_query
from web.context import actor, services
from web.described import Answer, described

bp = Blueprint("inbox", __name__, url_prefix="/api/v1/operators")
PAGE_ITEMS = 50


class InboxQuery(RequestQuery):
    limit: int = Field(50, ge=1, le=200, description="At most this many of each kind.")
    history: int = Field(5, ge=0, le=20, description="Items of each customer's history.")


class InboxCounts(Answer):
    conversations: int
    tickets: int
    callbacks: int


class InboxOut(Answer):
    operator: str = Field(description="The login (the token's name) work is assigned to.")
    name: str
    presence: str | None = Field(description="ready, busy, away, offline (null: no profile).")
    conversations: list[dict[str, Any]] = Field(
        description="Claimed handed-off conversations, each with the customer's history."
    )
    tickets: list[dict[str, Any]] = Field(
        description="Work items held, the soonest due first, each with the customer's history."
    )
    callbacks: list[CallbackOut] = Field(description="Scheduled call-backs, the soonest first.")
    counts: InboxCounts


@bp.get("/me/inbox")
@roles("operator")
@described(
    summary="The caller's inbox: what they hold now", query=InboxQuery, responses={200: InboxOut}
)
def my_inbox() -> Any:
    query = parse_query(InboxQuery)
    svc = services()
    return jsonify(
        inbox(svc.database, svc.engine, actor().name, limit=query.limit, history=query.history)
    )


def presence_text(presence: str) -> str:
    """A presence state in the reader's words."""
    words = {
        "ready": _("ready"),
        "busy": _("busy"),
        "away": _("away"),
        "offline": _("offline"),
    }
    return words.get(presence, presence)


@player_bp.get("/inbox")
@public
def inbox_page() -> Response:
    svc = services()
    found = inbox(svc.database, svc.engine, actor().name, limit=PAGE_ITEMS)
    return _page("player/inbox.html", inbox=found, presence_text=presence_text, **_time_helpers())
