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
from player.responses import (
    HeldWork,
    OpenedTicket,
    TicketOut,
    TicketPageOut,
    TicketRoute,
    WorkItemOut,
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
from web.described import an_object, described

bp = Blueprint("tickets", __name__, url_prefix="/api/v1")
CLIENTS = ("operator", "bot")
PEOPLE = ("operator",)


@bp.post("/tickets")
@roles(*CLIENTS)
@described(
    summary="Open a ticket (or join the open one of the same problem)",
    body=OpenTicket,
    responses={201: OpenedTicket, 200: OpenedTicket},
    errors=(404, 409, 502),
)
def open_ticket() -> Any:
    request = parse_body(OpenTicket).request()
    svc = services()
    view, merged = create_ticket(
        svc.database, svc.engine, request, actor(), default_script=svc.settings.ticket_script
    )
    return jsonify({**view, "merged": merged}), (200 if merged else 201)


@bp.get("/tickets")
@roles(*CLIENTS)
@described(
    summary="Tickets, newest first",
    query=TicketPage,
    responses={200: TicketPageOut},
    errors=(400,),
)
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
@described(summary="One ticket", responses={200: TicketOut})
def show(ticket_id: str) -> Any:
    svc = services()
    return jsonify(get_ticket(svc.database, svc.engine, ticket_id))


@bp.get("/tickets/<ticket_id>/route")
@roles(*CLIENTS)
@described(summary="A ticket's route", responses={200: TicketRoute})
def route(ticket_id: str) -> Any:
    svc = services()
    return jsonify(ticket_route(svc.database, svc.engine, ticket_id))


@bp.post("/tickets/<ticket_id>/comments")
@roles(*CLIENTS)
@described(
    summary="Comment on a ticket",
    body=AddComment,
    responses={201: TicketOut},
    errors=(409, 502),
)
def comment(ticket_id: str) -> Any:
    said = parse_body(AddComment).comment()
    svc = services()
    return jsonify(add_comment(svc.database, svc.engine, ticket_id, said, actor())), 201


@bp.post("/tickets/<ticket_id>/transfer")
@roles(*PEOPLE)
@described(
    summary="Move a ticket to another group",
    body=TransferTicket,
    responses={200: TicketOut},
    errors=(409, 502),
)
def move(ticket_id: str) -> Any:
    body = parse_body(TransferTicket)
    svc = services()
    return jsonify(
        transfer_ticket(svc.database, svc.engine, ticket_id, body.group, body.reason, actor())
    )


@bp.get("/tickets/<ticket_id>/groups")
@roles(*CLIENTS)
@described(
    summary="The groups a ticket may move to",
    responses={200: an_object("A routing script's groups (key, title, calendar, transfers_to).")},
)
def groups_for_ticket(ticket_id: str) -> Any:
    svc = services()
    return jsonify(ticket_groups(svc.database, svc.engine, ticket_id))


@bp.get("/groups")
@roles(*CLIENTS)
@described(
    summary="A routing script's groups",
    query=GroupsQuery,
    responses={200: an_object("A routing script's groups (key, title, calendar, transfers_to).")},
    errors=(404, 409),
)
def groups() -> Any:
    query = parse_query(GroupsQuery)
    svc = services()
    script = query.script or svc.settings.ticket_script
    return jsonify(script_groups(svc.database, svc.engine, script))


@bp.get("/work-items")
@roles(*PEOPLE)
@described(summary="Work items a person holds", query=WorkPage, responses={200: HeldWork})
def held() -> Any:
    page = parse_query(WorkPage)
    svc = services()
    return jsonify(assigned_to(svc.database, svc.engine, page.assignee or actor().name, page.limit))


@bp.get("/work-items/<item_id>")
@roles(*PEOPLE)
@described(summary="One work item", responses={200: WorkItemOut})
def work_item(item_id: str) -> Any:
    svc = services()
    return jsonify(get_work_item(svc.database, svc.engine, item_id))


@bp.post("/work-items/<item_id>/claim")
@roles(*PEOPLE)
@described(summary="Claim a work item", responses={200: WorkItemOut}, errors=(409,))
def take(item_id: str) -> Any:
    svc = services()
    return jsonify(claim(svc.database, svc.engine, item_id, actor()))


@bp.post("/work-items/<item_id>/release")
@roles(*PEOPLE)
@described(summary="Release a work item", responses={200: WorkItemOut}, errors=(409,))
def give_back(item_id: str) -> Any:
    svc = services()
    return jsonify(release(svc.database, svc.engine, item_id, actor()))


@bp.post("/work-items/<item_id>/transfer")
@roles(*PEOPLE)
@described(
    summary="Transfer a work item's ticket to another group",
    body=TransferWork,
    responses={200: TicketOut},
    errors=(409, 502),
)
def hand_over(item_id: str) -> Any:
    body = parse_body(TransferWork)
    svc = services()
    return jsonify(transfer(svc.database, svc.engine, item_id, body.group, body.reason, actor()))


@bp.post("/work-items/<item_id>/complete")
@roles(*PEOPLE)
@described(
    summary="Complete a work item with its form's answer",
    body=CompleteWork,
    responses={200: TicketOut},
    errors=(409, 502),
)
def finish(item_id: str) -> Any:
    body = parse_body(CompleteWork)
    svc = services()
    return jsonify(complete(svc.database, svc.engine, item_id, body.answer, actor()))
