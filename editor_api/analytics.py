"""Script analytics for methodologists.

- GET /api/v1/analytics/scripts/{key}: automation rate, handoffs, where sessions wait;
- GET /api/v1/scripts/{key}/analytics: one version over a time range (engine/analytics/
  report.py): sessions started, completed, handed off, abandoned; per element reached,
  drop-off and time (p50 / p90); the most common paths; automation per channel.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, jsonify
from pydantic import Field, field_validator

from engine.analytics import AnalyticsRange, script_analytics, script_figures
from web.auth import roles
from web.bodies import RequestQuery, parse_query
from web.context import services
from web.described import Answer, an_object, described

bp = Blueprint("analytics", __name__, url_prefix="/api/v1/analytics")
by_script = Blueprint("script_analytics", __name__, url_prefix="/api/v1/scripts")


@bp.get("/scripts/<key>")
@roles("methodologist")
@described(
    summary="How a script's sessions ended and where they wait",
    responses={200: an_object("Automation rate, handoffs by reason, where sessions wait.")},
)
def script(key: str) -> Any:
    with services().database.unit_of_work() as uow:
        return jsonify(script_figures(uow, key))


# -- one version over a time range -------------------------------------------------------


class AnalyticsQuery(RequestQuery):
    """GET /api/v1/scripts/{key}/analytics: which version, which hours."""

    version: int | None = Field(
        None, ge=1, le=2_000_000_000, description="The version; by default the published one."
    )
    start: str | None = Field(
        None,
        alias="from",
        max_length=40,
        description="From this instant or date (ISO 8601, UTC unless a zone is given), taken "
        "back to the start of its hour; by default 30 days before `to`.",
    )
    end: str | None = Field(
        None,
        alias="to",
        max_length=40,
        description="Up to this instant (ISO 8601), taken forward to the end of its hour; a "
        "date alone means the end of that day; by default now.",
    )

    @field_validator("start", "end")
    @classmethod
    def _readable(cls, value: str | None) -> str | None:
        if value is not None:
            moment(value)
        return value

    @property
    def span(self) -> tuple[datetime | date | None, datetime | date | None]:
        return moment(self.start), moment(self.end)


def moment(value: str | None) -> datetime | date | None:
    """An ISO 8601 date (a whole day) or instant; ValueError naming the forms otherwise."""
    if value is None:
        return None
    try:
        found = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            "not a date or an instant in ISO 8601 (2026-12-01 or 2026-12-01T09:00:00Z)"
        ) from None
    if not 1970 <= found.year <= 2999:
        raise ValueError("must be in the years 1970 to 2999")
    return found


class SessionFigures(Answer):
    started: int
    completed: int
    failed: int
    handed_off: int = Field(description="Sessions that went to a person (once each).")
    automated: int = Field(description="Sessions completed without a person.")
    automation_rate: float | None = Field(description="automated / (automated + handed_off).")


class AllSessions(SessionFigures):
    abandoned: int = Field(
        description="Sessions started in the range, waiting, untouched for "
        "abandoned_after_seconds (read as they are now)."
    )


class ChannelFigures(SessionFigures):
    channel: str


class ElementFigures(Answer):
    element: str = Field(description="The BPMN element id.")
    name: str = Field(description="The element's name in the diagram ('' when none).")
    sessions: int = Field(description="Sessions that reached the element (once each).")
    entered: int = Field(description="Times a session arrived at it as a step to wait at.")
    left: int
    ended: int = Field(description="Sessions that ended at it.")
    handed_off: int
    failed: int
    abandoned: int
    dropped: int = Field(description="handed_off + failed + abandoned here.")
    drop_rate: float | None = Field(description="dropped / sessions.")
    timed: int = Field(description="Visits timed (entered, then a next step or the end).")
    p50_seconds: float | None
    p90_seconds: float | None


class FunnelStage(Answer):
    stage: str = Field(description="started, step or completed.")
    element: str | None
    sessions: int
    share: float | None = Field(description="Of the sessions started.")


class PathFigures(Answer):
    steps: list[str] = Field(description="Element ids: the steps entered, then the end.")
    sessions: int
    share: float | None = Field(description="Of the sessions that ended.")


class ScriptAnalytics(Answer):
    script: str
    version: int
    from_: str = Field(alias="from", description="The range's start (an hour, UTC).")
    to: str = Field(description="The range's end, exclusive (an hour, UTC).")
    bucket: str = Field(description="The granularity of the range: hour.")
    abandoned_after_seconds: float
    rolled_up_through: int = Field(description="The history id the worker's rollup holds.")
    sessions: AllSessions
    channels: list[ChannelFigures]
    elements: list[ElementFigures]
    funnel: list[FunnelStage]
    paths: list[PathFigures] = Field(description="The ten most common, most first.")


@by_script.get("/<key>/analytics")
@roles("methodologist")
@described(
    summary="A script version's analytics over a time range",
    query=AnalyticsQuery,
    responses={200: ScriptAnalytics},
)
def version_analytics(key: str) -> Any:
    """Counts per element, drop-off, time per element, paths and automation per channel.
    The range is cut at whole hours (UTC): the worker keeps hourly counts."""
    query = parse_query(AnalyticsQuery)
    return jsonify(analytics_of(key, query.version, *query.span))


def analytics_of(
    key: str, version: int | None, start: datetime | date | None, end: datetime | date | None
) -> dict[str, Any]:
    """The analytics the API answers (the analytics page shows the same)."""
    svc = services()
    now = svc.engine.clock()
    span = AnalyticsRange.cut(start, end, now=now)
    with svc.database.unit_of_work() as uow:
        return script_analytics(
            uow,
            key,
            version=version,
            span=span,
            now=now,
            abandoned_after=svc.settings.abandoned_after,
        )
