"""Ticket pages of the operator player: a group's queue, a ticket, its route map.

The routes live on the player blueprint (``player.web.bp``), behind its sign-in gate and
CSRF check; ``player/web.py`` imports this module at its end so they are registered. Like
the script pages they call the engine's use cases directly and work without JavaScript.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_timedelta
from flask import Response, redirect, request, url_for
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from engine.customers import customer_history
from engine.errors import CustomerNotFound, Detail, InvalidAnswer, ValidationFailed, WrongState
from engine.tickets import (
    Comment,
    add_comment,
    claim,
    complete,
    get_ticket,
    get_work_item,
    group_queue,
    release,
    ticket_groups,
    ticket_route,
    transfer_ticket,
)
from engine.versions import version_diagram, version_element_names
from player.forms import answer_from_form, field_errors, fields
from player.web import _page, bp
from web.auth import public
from web.context import actor, services
from web.vendored import vendored_version

QUEUE_PAGE = 50
HISTORY_ITEMS = 10

# -- what a route shows ----------------------------------------------------------------


@dataclass(frozen=True)
class ElementTime:
    """The time a ticket spent in one diagram element, over all its visits."""

    element: str
    name: str
    visits: int
    seconds: float
    current: bool

    @property
    def label(self) -> str:
        return duration_text(self.seconds)


def moment(value: datetime | str | None) -> datetime | None:
    """A route time as a datetime (the engine may hand over ISO strings)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def duration_text(seconds: float) -> str:
    """A time span the way a person says it, in the reader's language ("3 min", "2 h")."""
    span = timedelta(seconds=max(seconds, 0))
    return str(format_timedelta(span, format="short", locale=get_locale() or "en"))


def element_times(
    elements: Iterable[Mapping[str, Any]], names: Mapping[str, str]
) -> list[ElementTime]:
    """The route's element visits summed per element, in the order they were first entered;
    an element not yet left is the current one."""
    order: list[str] = []
    visits: dict[str, int] = {}
    seconds: dict[str, float] = {}
    current: set[str] = set()
    for visit in elements:
        element = str(visit["element"])
        if element not in visits:
            order.append(element)
            visits[element], seconds[element] = 0, 0.0
        visits[element] += 1
        seconds[element] += float(visit.get("seconds") or 0)
        if visit.get("left_at") is None:
            current.add(element)
    return [ElementTime(e, names.get(e, e), visits[e], seconds[e], e in current) for e in order]


def event_text(event: str) -> str:
    """A route event in the reader's words (an unknown event as the engine named it)."""
    words = {
        "created": _("created"),
        "classified": _("classified"),
        "routed": _("routed"),
        "merged": _("merged"),
        "transferred": _("transferred"),
        "escalated": _("escalated"),
        "claimed": _("claimed"),
        "released": _("released"),
        "completed": _("completed"),
        "commented": _("commented"),
        "status_changed": _("status changed"),
        "resolved": _("resolved"),
        "closed": _("closed"),
        "reopened": _("reopened"),
    }
    return words.get(event, event.replace("_", " "))


def when_text(value: datetime | str | None) -> str:
    at = moment(value)
    return str(format_datetime(at, "short")) if at else ""


def due_text(value: datetime | str | None, now: datetime) -> str:
    """How far a due time is: "in 3 hr", "overdue by 20 min"."""
    due = moment(value)
    if due is None:
        return ""
    if due >= now:
        return _("in %(time)s", time=duration_text((due - now).total_seconds()))
    return _("overdue by %(time)s", time=duration_text((now - due).total_seconds()))


def status_text(status: str | None) -> str:
    """A ticket's status in the reader's words."""
    words = {
        "open": _("open"),
        "in_progress": _("in progress"),
        "waiting_customer": _("waiting for the customer"),
        "resolved": _("resolved"),
        "closed": _("closed"),
    }
    return words.get(status or "", (status or "").replace("_", " "))


def _time_helpers() -> dict[str, Any]:
    now = services().engine.clock()
    return {
        "now": now,
        "when_text": when_text,
        "due_text": lambda value: due_text(value, now),
        "overdue": lambda value: (moment(value) or now) < now,
        "status_text": status_text,
        "event_text": event_text,
        "duration_text": duration_text,
    }


# -- where a route comes from ----------------------------------------------------------


def route_of(ticket_id: str) -> dict[str, Any]:
    """The ticket's route: ``{"ticket_id", "number", "script", "version", "entries",
    "elements"}`` (as GET /api/v1/tickets/{id}/route)."""
    svc = services()
    return ticket_route(svc.database, svc.engine, ticket_id)


# -- pages -----------------------------------------------------------------------------


@bp.get("/tickets/<ticket_id>/map")
@public
def ticket_map(ticket_id: str) -> Response:
    route = route_of(ticket_id)
    script, version = str(route["script"]), int(route["version"])
    with services().database.unit_of_work() as uow:
        names = version_element_names(uow, script, version)
        row = uow.scripts.get(script)
    times = element_times(route["elements"], names)
    entries = [{**e, "at": moment(e.get("at"))} for e in route["entries"]]
    return _page(
        "player/ticket_map.html",
        route=route,
        script=script,
        script_title=str(row["title"]) if row is not None and row["title"] else script,
        version=version,
        times=times,
        entries=entries,
        map_data={
            "elements": [
                {
                    "element": t.element,
                    "label": t.label,
                    "visits": t.visits,
                    "current": t.current,
                    "timed": t.seconds >= 1,
                }
                for t in times
            ],
            "path": [str(v["element"]) for v in route["elements"]],
        },
        bpmn_js_version=vendored_version("bpmn-js"),
        **_time_helpers(),
    )


@bp.get("/scripts/<key>/versions/<int:number>/diagram")
@public
def diagram(key: str, number: int) -> Response:
    """The version's diagram for the map page (the API's twin, with the player's sign-in)."""
    with services().database.unit_of_work() as uow:
        xml = version_diagram(uow, key, number)
    return Response(xml, content_type="application/xml")


# -- a group's queue -------------------------------------------------------------------


@bp.get("/queues")
@public
def queue_lookup() -> BaseResponse:
    """The group named in the index page's form (``?group=``)."""
    group = request.args.get("group", "").strip()
    if not group:
        return redirect(url_for("player.index"), 303)
    return redirect(url_for("player.queue_page", group=group), 303)


@bp.get("/queues/<group>")
@public
def queue_page(group: str) -> Response:
    svc = services()
    after = request.args.get("after") or None
    found = group_queue(svc.database, svc.engine, group, limit=QUEUE_PAGE, after=after)
    return _page("player/queue.html", group=group, queue=found, after=after, **_time_helpers())


# -- a ticket --------------------------------------------------------------------------


def _to_ticket(ticket_id: str, anchor: str = "") -> BaseResponse:
    url = url_for("player.ticket_page", ticket_id=ticket_id)
    return redirect(url + (f"#{anchor}" if anchor else ""), 303)


def _work(ticket: dict[str, Any], me: str) -> dict[str, Any] | None:
    """The open work item the reader works on (claimed by them), with its form."""
    for item in ticket.get("work_items") or []:
        if item["assignee"] == me:
            svc = services()
            return get_work_item(svc.database, svc.engine, item["id"])
    return None


def _history(customer_key: str, ticket_id: str) -> list[dict[str, Any]]:
    try:
        found = customer_history(services().database, customer_key, limit=HISTORY_ITEMS + 1)
    except CustomerNotFound:
        return []
    return [i for i in found["items"] if i.get("id") != ticket_id][:HISTORY_ITEMS]


def _ticket_page(
    ticket_id: str,
    *,
    status: int = 200,
    values: dict[str, Any] | None = None,
    details: list[Detail] | tuple[Detail, ...] = (),
    transfer_form: dict[str, str] | None = None,
    transfer_error: str = "",
    comment_error: str = "",
) -> Response:
    svc = services()
    ticket = get_ticket(svc.database, svc.engine, ticket_id)
    me = actor().name
    work = _work(ticket, me)
    form = (work or {}).get("form") or {}
    shown: list[Any] = []
    other_errors = [f"{d.path}: {d.message}" if d.path else d.message for d in details]
    if form.get("schema"):
        names = (form["schema"].get("properties") or {}).keys()
        per_field, other_errors = field_errors(details, names)
        shown = fields(form["schema"], form.get("ui_schema"), values, per_field)
    return _page(
        "player/ticket.html",
        status,
        ticket=ticket,
        me=me,
        work=work,
        form=form,
        fields=shown,
        invalid=[f for f in shown if f.error],
        other_errors=other_errors,
        lang="",  # the routing script's own language is not known here
        transfer_form=transfer_form or {},
        transfer_groups=_transfer_groups(ticket),
        transfer_error=transfer_error,
        comment_error=comment_error,
        history=_history(ticket["customer_key"], ticket["id"]),
        **_time_helpers(),
    )


def _transfer_groups(ticket: dict[str, Any]) -> list[dict[str, Any]]:
    """The groups the ticket may be handed to now (the same rule the move is checked by)."""
    if ticket["status"] in ("resolved", "closed"):
        return []
    svc = services()
    found = ticket_groups(svc.database, svc.engine, ticket["id"])["groups"]
    return [g for g in found if g["transfer"]]


@bp.get("/tickets/<ticket_id>")
@public
def ticket_page(ticket_id: str) -> Response:
    return _ticket_page(ticket_id)


@bp.post("/tickets/<ticket_id>/work-items/<item_id>/claim")
@public
def claim_work(ticket_id: str, item_id: str) -> BaseResponse:
    svc = services()
    claim(svc.database, svc.engine, item_id, actor())
    return _to_ticket(ticket_id, "work")


@bp.post("/tickets/<ticket_id>/work-items/<item_id>/release")
@public
def release_work(ticket_id: str, item_id: str) -> BaseResponse:
    svc = services()
    release(svc.database, svc.engine, item_id, actor())
    return _to_ticket(ticket_id)


@bp.post("/tickets/<ticket_id>/work-items/<item_id>/complete")
@public
def complete_work(ticket_id: str, item_id: str) -> BaseResponse:
    svc = services()
    answer: dict[str, Any] = {}
    try:
        form = get_work_item(svc.database, svc.engine, item_id).get("form") or {}
        answer = answer_from_form(form.get("schema"), request.form)
        complete(svc.database, svc.engine, item_id, answer, actor())
    except InvalidAnswer as exc:
        return _ticket_page(ticket_id, status=422, values=answer, details=exc.details)
    return _to_ticket(ticket_id)


@bp.post("/tickets/<ticket_id>/transfer")
@public
def transfer_page(ticket_id: str) -> BaseResponse:
    """Hand the ticket to the group chosen in the form, with or without an open work item."""
    group = request.form.get("group", "").strip()
    reason = request.form.get("reason", "").strip()
    sent = {"group": group, "reason": reason}
    if not group or not reason:
        missing = _("Choose the group and say why.")
        return _ticket_page(ticket_id, status=422, transfer_form=sent, transfer_error=missing)
    svc = services()
    try:
        transfer_ticket(svc.database, svc.engine, ticket_id, group, reason, actor())
    except (ValidationFailed, WrongState) as exc:
        status = 422 if isinstance(exc, ValidationFailed) else 409
        return _ticket_page(
            ticket_id, status=status, transfer_form=sent, transfer_error=exc.message
        )
    return _to_ticket(ticket_id)


@bp.post("/tickets/<ticket_id>/comments")
@public
def comment_ticket(ticket_id: str) -> BaseResponse:
    text = request.form.get("text", "").strip()
    if not text:
        return _ticket_page(ticket_id, status=422, comment_error=_("Write the comment first."))
    svc = services()
    add_comment(svc.database, svc.engine, ticket_id, Comment(author="operator", text=text), actor())
    return _to_ticket(ticket_id, "messages")
