"""The script API for bots, IVR and players: sessions and their steps."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from engine.errors import Detail, MalformedInput
from engine.model import StepView
from engine.sessions import (
    claim,
    get_session,
    go_back,
    hand_back,
    session_history,
    start_session,
    submit_step,
)
from player.renderers import RENDERERS, render, renderer_for
from player.requests import GoBack, RenderChoice, StartSession, TakeStep
from player.responses import SessionHistory, SessionStep, WebStep
from web.auth import roles
from web.bodies import parse_body, parse_query
from web.context import actor, services
from web.described import described

bp = Blueprint("sessions", __name__, url_prefix="/api/v1/sessions")
# Methodologists run sessions too: the editor tries out a draft through this same API.
CLIENTS = ("operator", "bot", "methodologist")


def _requested_render() -> str | None:
    """The ``render`` query parameter, checked before anything changes."""
    kind = parse_query(RenderChoice).render
    if kind is not None:
        renderer_for(kind)
    return kind


def _rendered(view: StepView, kind: str | None = None) -> Any:
    # A ticket's workflow (channel "ticket") reads as the web's JSON.
    return render(view, kind or (view.channel if view.channel in RENDERERS else "web"))


@bp.post("")
@roles(*CLIENTS)
@described(
    summary="Start a session",
    body=StartSession,
    query=RenderChoice,
    responses={201: SessionStep, 200: SessionStep},
    errors=(404, 409, 502),
)
def start() -> Any:
    kind = _requested_render()
    body = parse_body(StartSession)
    svc = services()
    view, created = start_session(
        svc.database,
        svc.engine,
        script=body.script,
        channel=body.channel,
        variables=body.variables,
        session_key=body.session_key,
        actor=actor(),
        customer_key=body.customer_key,
    )
    return jsonify(_rendered(view, kind)), (201 if created else 200)


@bp.get("/<session_id>")
@roles(*CLIENTS)
@described(
    summary="The session's current step",
    query=RenderChoice,
    responses={200: SessionStep},
    errors=(400,),
)
def show(session_id: str) -> Any:
    kind = _requested_render()
    svc = services()
    view = get_session(svc.database, svc.engine, session_id, for_person=not actor().is_bot)
    return jsonify(_rendered(view, kind))


@bp.post("/<session_id>/steps")
@roles(*CLIENTS)
@described(
    summary="Answer the waiting step",
    body=TakeStep,
    query=RenderChoice,
    responses={200: SessionStep},
    errors=(409, 502),
)
def step(session_id: str) -> Any:
    kind = _requested_render()
    reply = parse_body(TakeStep).reply()
    given = reply.given
    if len(given) > 1:
        raise MalformedInput(
            f"send one of answer, text, digits, speech (got {', '.join(given)})",
            [Detail(given[1], "only one kind of reply at a time")],
        )
    svc = services()
    view = submit_step(svc.database, svc.engine, session_id, reply, actor())
    return jsonify(_rendered(view, kind))


@bp.get("/<session_id>/history")
@roles(*CLIENTS)
@described(summary="The session's history", responses={200: SessionHistory})
def history(session_id: str) -> Any:
    entries = session_history(services().database, session_id)
    return jsonify({"session_id": session_id, "history": entries})


@bp.post("/<session_id>/back")
@roles(*CLIENTS)
@described(
    summary="Go back to the previous step",
    body=GoBack,
    query=RenderChoice,
    responses={200: SessionStep},
    errors=(409, 502),
)
def back(session_id: str) -> Any:
    kind = _requested_render()
    token = parse_body(GoBack).step_token
    svc = services()
    view = go_back(svc.database, svc.engine, session_id, token, actor())
    return jsonify(_rendered(view, kind))


@bp.post("/<session_id>/claim")
@roles("operator")
@described(summary="Take a handed-off session", responses={200: WebStep}, errors=(409, 502))
def take(session_id: str) -> Any:
    svc = services()
    view = claim(svc.database, svc.engine, session_id, actor())
    return jsonify(_rendered(view, "web"))


@bp.post("/<session_id>/handback")
@roles("operator")
@described(summary="Hand a session back to its bot", responses={200: WebStep}, errors=(409, 502))
def give_back(session_id: str) -> Any:
    svc = services()
    view = hand_back(svc.database, svc.engine, session_id, actor())
    return jsonify(_rendered(view, "web"))
