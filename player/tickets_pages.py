"""Ticket pages of the operator player: a ticket's route drawn on its routing diagram.

The routes live on the player blueprint (``player.web.bp``), behind its sign-in gate and
CSRF check; ``player/web.py`` imports this module at its end so they are registered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_timedelta
from flask import Response
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _

from engine.errors import DoesNotExist
from engine.versions import version_diagram, version_element_names
from player.web import _page, bp
from web.auth import public
from web.context import services
from web.vendored import vendored_version

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


# -- where a route comes from ----------------------------------------------------------


def route_of(ticket_id: str) -> dict[str, Any]:
    """The ticket's route: ``{"ticket_id", "number", "script", "version", "entries",
    "elements"}`` (see GET /api/v1/tickets/{id}/route)."""
    raise DoesNotExist(f"ticket {ticket_id!r} not found")


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
        event_text=event_text,
        when_text=when_text,
    )


@bp.get("/scripts/<key>/versions/<int:number>/diagram")
@public
def diagram(key: str, number: int) -> Response:
    """The version's diagram for the map page (the API's twin, with the player's sign-in)."""
    with services().database.unit_of_work() as uow:
        xml = version_diagram(uow, key, number)
    return Response(xml, content_type="application/xml")
