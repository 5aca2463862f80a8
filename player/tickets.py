"""The tickets API: open (or join) a ticket, read it, its route, comment; work items."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from engine.tickets import (
    add_comment,
    assigned_to,
    claim,
    complete,
    create_ticket,
    get_ticket,
    get_work_item,
    list_tickets,
    release,
    script_groups,
    ticket_groups,
    ticket_route,
    transfer,
    transfer_ticket,
)
from player.ticket_requests import (
    AddComment,
    CompleteWork,
    GroupsQuery,
    OpenTicket,
    TicketPage,
    TransferTicket,
    TransferWork,
    WorkPage,
)
from web.auth import roles
from web.bodies import parse_body, parse_query
from web.context import actor, services

bp = Blueprint("tickets", __name__, url_prefix="/api/v1")
CLIENTS = ("operator", "bot")
PEOPLE = ("operator",)


@bp.post("/tickets")
@roles(*CLIENTS)
def open_ticket() -> Any:
    request = parse_body(OpenTicket).request()
    svc = services()
    view, merged = create_ticket(
        svc.database, svc.engine, request, actor(), default_script=svc.settings.ticket_script
    )
    return jsonify({**view, "merged": merged}), (200 if merged else 201)


@bp.get("/tickets")
@roles(*CLIENTS)
def tickets() -> Any:
    page = parse_query(TicketPage)
    found = list_tickets(
        services().database,
        customer_key=page.customer_key,
        status=page.status,
        group=page.group,
        limit=page.limit,
        after=page.after,
    )
    return jsonify(found)


@bp.get("/tickets/<ticket_id>")
@roles(*CLIENTS)
def show(ticket_id: str) -> Any:
    svc = services()
    return jsonify(get_ticket(svc.database, svc.engine, ticket_id))


@bp.get("/tickets/<ticket_id>/route")
@roles(*CLIENTS)
def route(ticket_id: str) -> Any:
    svc = services()
    return jsonify(ticket_route(svc.database, svc.engine, ticket_id))


@bp.post("/tickets/<ticket_id>/comments")
@roles(*CLIENTS)
def comment(ticket_id: str) -> Any:
    said = parse_body(AddComment).comment()
    svc = services()
    return jsonify(add_comment(svc.database, svc.engine, ticket_id, said, actor())), 201


@bp.post("/tickets/<ticket_id>/transfer")
@roles(*PEOPLE)
def move(ticket_id: str) -> Any:
    body = parse_body(TransferTicket)
    svc = services()
    return jsonify(
        transfer_ticket(svc.database, svc.engine, ticket_id, body.group, body.reason, actor())
    )


@bp.get("/tickets/<ticket_id>/groups")
@roles(*CLIENTS)
def groups_for_ticket(ticket_id: str) -> Any:
    svc = services()
    return jsonify(ticket_groups(svc.database, svc.engine, ticket_id))


@bp.get("/groups")
@roles(*CLIENTS)
def groups() -> Any:
    query = parse_query(GroupsQuery)
    svc = services()
    script = query.script or svc.settings.ticket_script
    return jsonify(script_groups(svc.database, svc.engine, script))


@bp.get("/work-items")
@roles(*PEOPLE)
def held() -> Any:
    page = parse_query(WorkPage)
    svc = services()
    return jsonify(assigned_to(svc.database, svc.engine, page.assignee or actor().name, page.limit))


@bp.get("/work-items/<item_id>")
@roles(*PEOPLE)
def work_item(item_id: str) -> Any:
    svc = services()
    return jsonify(get_work_item(svc.database, svc.engine, item_id))


@bp.post("/work-items/<item_id>/claim")
@roles(*PEOPLE)
def take(item_id: str) -> Any:
    svc = services()
    return jsonify(claim(svc.database, svc.engine, item_id, actor()))


@bp.post("/work-items/<item_id>/release")
@roles(*PEOPLE)
def give_back(item_id: str) -> Any:
    svc = services()
    return jsonify(release(svc.database, svc.engine, item_id, actor()))


@bp.post("/work-items/<item_id>/transfer")
@roles(*PEOPLE)
def hand_over(item_id: str) -> Any:
    body = parse_body(TransferWork)
    svc = services()
    return jsonify(transfer(svc.database, svc.engine, item_id, body.group, body.reason, actor()))


@bp.post("/work-items/<item_id>/complete")
@roles(*PEOPLE)
def finish(item_id: str) -> Any:
    body = parse_body(CompleteWork)
    svc = services()
    return jsonify(complete(svc.database, svc.engine, item_id, body.answer, actor()))
