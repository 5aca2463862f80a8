"""The operators API: profiles (admin), the operator's own presence and offers, and a
server-sent event stream of their offers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, jsonify

from engine.operators import (
    Workspace,
    create_operator,
    get_operator,
    list_operators,
    my_offers,
    set_presence,
    update_operator,
)
from engine.sessions import Actor
from player.operator_models import (
    CreatedOperator,
    CreateOperator,
    MyOffers,
    OperatorOut,
    OperatorPage,
    OperatorPageOut,
    PresenceOut,
    SetPresence,
    StreamQuery,
    UpdateOperator,
)
from web.auth import roles
from web.bodies import parse_body, parse_query
from web.context import actor, services
from web.described import Content, described

bp = Blueprint("operators", __name__, url_prefix="/api/v1/operators")
POLL_S = 1.0
KEEP_ALIVE_S = 10.0


def workspace() -> Workspace:
    return services().operators  # type: ignore[no-any-return]


@bp.get("")
@roles()
@described(summary="Operators, by id", query=OperatorPage, responses={200: OperatorPageOut})
def operators() -> Any:
    page = parse_query(OperatorPage)
    return jsonify(list_operators(workspace(), limit=page.limit, after=page.after))


@bp.post("")
@roles()
@described(
    summary="Make a token an operator (a token is made if none has the login)",
    body=CreateOperator,
    responses={201: CreatedOperator},
    errors=(409,),
)
def create() -> Any:
    request = parse_body(CreateOperator)
    return jsonify(create_operator(workspace(), request.profile())), 201


@bp.get("/<int:operator_id>")
@roles()
@described(summary="One operator, with time in each presence state", responses={200: OperatorOut})
def show(operator_id: int) -> Any:
    return jsonify(get_operator(workspace(), operator_id))


@bp.put("/<int:operator_id>")
@roles()
@described(
    summary="Change an operator's profile (the fields given)",
    body=UpdateOperator,
    responses={200: OperatorOut},
    errors=(409,),
)
def change(operator_id: int) -> Any:
    changes = parse_body(UpdateOperator).changes()
    return jsonify(update_operator(workspace(), operator_id, changes))


@bp.put("/me/presence")
@roles("operator")
@described(
    summary="Set my presence (the same again is a heartbeat)",
    body=SetPresence,
    responses={200: PresenceOut},
    errors=(404, 409),
)
def presence() -> Any:
    wanted = parse_body(SetPresence).presence
    return jsonify(set_presence(workspace(), actor(), wanted))


@bp.get("/me/offers")
@roles("operator")
@described(summary="My pending offers (a heartbeat)", responses={200: MyOffers}, errors=(404,))
def offers() -> Any:
    return jsonify(my_offers(workspace(), actor()))


@bp.get("/me/offers/stream")
@roles("operator")
@described(
    summary="My pending offers as server-sent events (event 'offers' on each change)",
    query=StreamQuery,
    responses={200: Content("text/event-stream")},
    errors=(404,),
)
def stream() -> Any:
    ws, who = workspace(), actor()
    first = my_offers(ws, who)  # 404 here, before the stream starts, for a token with no profile
    seconds = parse_query(StreamQuery).seconds or ws.settings.stream_seconds
    return offer_stream(ws, who, first, seconds)


def offer_stream(ws: Workspace, who: Actor, first: dict[str, Any], seconds: float) -> Response:
    """An event stream of ``who``'s offers for ``seconds`` (then the browser reconnects):
    ``offers`` events when they change, a comment line to keep the connection open."""
    resp = Response(_events(ws, who, first, seconds), mimetype="text/event-stream")
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Accel-Buffering"] = "no"
    return resp


def _event(data: dict[str, Any]) -> str:
    return f"event: offers\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _events(ws: Workspace, who: Actor, first: dict[str, Any], seconds: float) -> Iterator[str]:
    yield "retry: 2000\n\n"
    yield _event(first)
    shown = [o["id"] for o in first["offers"]]
    ends = time.monotonic() + seconds
    quiet = time.monotonic()
    pause = threading.Event()
    while time.monotonic() < ends:
        pause.wait(POLL_S)
        try:
            now = my_offers(ws, who)
        except Exception:  # the profile went, or the database: the browser reconnects
            return
        ids = [o["id"] for o in now["offers"]]
        if ids != shown:
            shown, quiet = ids, time.monotonic()
            yield _event(now)
        elif time.monotonic() - quiet > KEEP_ALIVE_S:
            quiet = time.monotonic()
            yield ": keep-alive\n\n"
