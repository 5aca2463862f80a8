"""The workload report: GET /api/v1/reports/workload (JSON, or CSV with ``format=csv`` or
``Accept: text/csv``) and the page /player/reports/workload with bar charts drawn on the
server, for supervisors (admin, methodologist)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, request, url_for
from flask_babel import gettext as _
from pydantic import Field

from engine.errors import Detail, ValidationFailed
from engine.operators.workload import report_csv, workload_report
from player.charts import Row, Segment, bar_chart
from player.tickets_pages import duration_text
from player.web import _page, page_roles
from player.web import bp as player_bp
from web.auth import public, roles
from web.bodies import RequestQuery, Text, parse_query
from web.context import services
from web.described import Answer, Content, described

bp = Blueprint("workload", __name__, url_prefix="/api/v1/reports")
SUPERVISORS = ("methodologist",)  # and admin
CSV = "text/csv"


class WorkloadQuery(RequestQuery):
    start: Annotated[Text, Field(max_length=40)] | None = Field(
        None, alias="from", description="Start (ISO 8601 with a zone, or a date: UTC midnight)."
    )
    end: Annotated[Text, Field(max_length=40)] | None = Field(
        None, alias="to", description="End, not included (as from)."
    )
    group: Annotated[Text, Field(max_length=100)] | None = Field(
        None, description="Only this group's work and the operators skilled in it."
    )
    format: Literal["json", "csv"] | None = Field(
        None, description="csv for a spreadsheet (or send Accept: text/csv)."
    )


def moment(value: str | None, name: str) -> datetime | None:
    """An ISO 8601 time with a zone, or a date (its UTC midnight); 422 naming ``name``."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
        found = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(
            f"{name} {value!r} is not an ISO 8601 time", [Detail(name, "not an ISO 8601 time")]
        ) from None
    if found.tzinfo is None:
        raise ValidationFailed(f"{name} needs a time zone", [Detail(name, "needs a time zone")])
    return found


class FiguresOut(Answer):
    items_handled: int
    tickets_handled: int
    conversations_handled: int
    handle_time_p50_s: float | None
    handle_time_p90_s: float | None
    sla_kept: int
    sla_missed: int
    transfers: int
    presence_seconds: dict[str, float] = Field(description="Seconds in each presence state.")


class OperatorFigures(FiguresOut):
    operator: str
    name: str
    has_profile: bool


class GroupFigures(FiguresOut):
    group: str
    operators: int = Field(description="Operators who handled the group's work.")


class WorkloadOut(Answer):
    start: str = Field(alias="from")
    end: str = Field(alias="to")
    group: str | None
    states: list[str]
    operators: list[OperatorFigures]
    groups: list[GroupFigures]
    total: FiguresOut


def _report(query: WorkloadQuery) -> dict[str, Any]:
    svc = services()
    return workload_report(
        svc.database,
        svc.engine,
        start=moment(query.start, "from"),
        end=moment(query.end, "to"),
        group=query.group,
    )


def _wants_csv(query: WorkloadQuery) -> bool:
    if query.format is not None:
        return query.format == "csv"
    return request.accept_mimetypes.best_match(["application/json", CSV]) == CSV


@bp.get("/workload")
@roles(*SUPERVISORS)
@described(
    summary="Workload per operator and group over a time range",
    query=WorkloadQuery,
    responses={200: (WorkloadOut, Content(CSV, {"type": "string"}))},
)
def workload() -> Any:
    query = parse_query(WorkloadQuery)
    report = _report(query)
    if _wants_csv(query):
        name = f"workload-{report['from'][:10]}-{report['to'][:10]}.csv"
        return Response(
            report_csv(report),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return jsonify(report)


# -- the page ---------------------------------------------------------------------------

PRESENCE_COLOURS = {"ready": "#2e7d32", "busy": "#1f5fbf", "away": "#e0b44c", "offline": "#9aa3ad"}


def _charts(report: dict[str, Any], state_text: Any) -> dict[str, Any]:
    people = report["operators"]
    kinds = [
        Segment("tickets_handled", _("tickets"), "#1f5fbf"),
        Segment("conversations_handled", _("conversations"), "#7fa7e0"),
    ]
    sla = [
        Segment("sla_kept", _("SLA kept"), "#2e7d32"),
        Segment("sla_missed", _("SLA missed"), "#b3261e"),
    ]
    states = [
        Segment(s, state_text(s), PRESENCE_COLOURS.get(s, "#5b6472")) for s in report["states"]
    ]
    return {
        "operators_items": bar_chart(
            _("Items handled per operator"),
            [Row(p["name"], {k.key: p[k.key] for k in kinds}) for p in people],
            kinds,
        ),
        "operators_presence": bar_chart(
            _("Time in each presence state"),
            [Row(p["name"], dict(p["presence_seconds"])) for p in people],
            states,
            duration_text,
        ),
        "groups_items": bar_chart(
            _("Items handled per group"),
            [Row(g["group"], {k.key: g[k.key] for k in kinds}) for g in report["groups"]],
            kinds,
        ),
        "groups_sla": bar_chart(
            _("SLA per group"),
            [Row(g["group"], {k.key: g[k.key] for k in sla}) for g in report["groups"]],
            sla,
        ),
    }


def _default_range() -> tuple[str, str]:
    today = services().engine.clock().date()
    return (today - timedelta(days=6)).isoformat(), (today + timedelta(days=1)).isoformat()


def _sent() -> dict[str, str]:
    """The page's form as sent (this week, up to today, when nothing is)."""
    first, last = _default_range()
    return {
        "from": request.args.get("from") or first,
        "to": request.args.get("to") or last,
        "group": request.args.get("group", "").strip(),
    }


@player_bp.get("/reports/workload.csv")
@public
@page_roles(*SUPERVISORS)
def workload_csv_page() -> Response:
    """The page's figures as CSV (the player's sign-in; the API takes a token)."""
    sent = _sent()
    report = _report(WorkloadQuery.model_validate({k: v for k, v in sent.items() if v}))
    name = f"workload-{report['from'][:10]}-{report['to'][:10]}.csv"
    return Response(
        report_csv(report),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@player_bp.get("/reports/workload")
@public
@page_roles(*SUPERVISORS)
def workload_page() -> Response:
    from player.inbox import presence_text

    sent = _sent()
    query = WorkloadQuery.model_validate({k: v for k, v in sent.items() if v})
    try:
        report = _report(query)
    except ValidationFailed as exc:
        return _page("player/workload.html", 422, sent=sent, report=None, error=exc.message)
    return _page(
        "player/workload.html",
        sent=sent,
        report=report,
        charts=_charts(report, presence_text),
        duration_text=duration_text,
        presence_text=presence_text,
        csv_url=url_for("player.workload_csv_page") + "?" + urlencode(sent),
        error="",
    )
