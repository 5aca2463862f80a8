"""One script version's analytics over a time range: sessions started, completed, handed
off, abandoned; per element how many sessions reached it, where they dropped off and the
time spent there (p50 / p90); the most common paths; the automation rate per channel.

The answer is the rollup's hours in the range (engine/analytics/rollup.py) plus the
history rows past the rollup's cursor, folded now by the same code (fold.py); both are
read in one REPEATABLE READ transaction on PostgreSQL, so a worker's pass committing
meanwhile can neither hide rows nor count them twice. ``rollup=False`` folds every row at
request time instead (the same answer, slower: the baseline bench/analytics.py compares).

Ranges are cut at whole hours (UTC): ``from`` is taken back to the start of its hour,
``to`` forward to the end of its hour (a date alone: the end of that day). Events count
in the hour they happened; a step's time counts in the hour it was entered. Abandoned
sessions (waiting, not with a person, untouched for ``abandoned_after`` seconds, as
engine.analytics.figures.compare_versions decides) are those started in the range, read
from the instances table as they are now.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from engine.analytics.fold import SessionCounts, StepCounts, Tally, bucket_of, fold
from engine.analytics.histogram import quantile
from engine.analytics.rollup import cursor_position
from engine.analytics.rows import context_of, rows_after
from engine.errors import Detail, ScriptNotFound, ValidationFailed, VersionNotFound
from engine.persistence.database import UnitOfWork
from engine.persistence.tables import (
    analytics_paths,
    analytics_sessions,
    analytics_steps,
    analytics_times,
    instances,
    script_versions,
)
from engine.versions import version_element_names

DEFAULT_DAYS = 30
TOP_PATHS = 10
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class AnalyticsRange:
    """[start, end) on whole hours, UTC."""

    start: datetime
    end: datetime

    @classmethod
    def cut(
        cls, start: datetime | date | None, end: datetime | date | None, *, now: datetime
    ) -> AnalyticsRange:
        """The range asked for, widened to whole hours; by default the last 30 days."""
        upper = _instant(end, end_of_day=True) if end is not None else _aware(now)
        lower = _instant(start) if start is not None else upper - timedelta(days=DEFAULT_DAYS)
        if lower > upper:
            raise ValidationFailed(
                "from is after to",
                [Detail("from", f"{lower.isoformat()} is after to ({upper.isoformat()})")],
            )
        first = bucket_of(lower)
        last = bucket_of(upper)
        return cls(first, last if last == upper and last > first else last + HOUR)


def _aware(value: datetime) -> datetime:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


def _instant(value: datetime | date, *, end_of_day: bool = False) -> datetime:
    if isinstance(value, datetime):
        return _aware(value)
    day = datetime.combine(value, time(0), tzinfo=UTC)
    return day + timedelta(days=1) if end_of_day else day


@dataclass
class _Sums:
    """The range's counts for one version, rollup and live rows merged."""

    steps: dict[str, StepCounts]
    times: dict[str, Counter[int]]
    sessions: dict[str, SessionCounts]
    paths: Counter[str]
    path_text: dict[str, str]


def script_analytics(
    uow: UnitOfWork,
    key: str,
    *,
    version: int | None,
    span: AnalyticsRange,
    now: datetime,
    abandoned_after: float,
    rollup: bool = True,
) -> dict[str, Any]:
    """The analytics of one version of a script (by default the published one)."""
    if not uow.is_sqlite:  # must come first in the transaction
        uow.conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
    number = _version(uow, key, version)
    last_id = cursor_position(uow) if rollup else 0
    sums = _rolled_up(uow, key, number, span) if rollup else _empty()
    live = _live(uow, key, number, last_id)
    _merge(sums, live, span)
    if rollup:
        _add_rolled_paths(uow, key, number, span, sums)
    stale = now - timedelta(seconds=abandoned_after)
    abandoned = _abandoned(uow, key, number, span, stale)
    names = version_element_names(uow, key, number)
    return _answer(key, number, span, abandoned_after, sums, abandoned, names, last_id)


def _version(uow: UnitOfWork, key: str, version: int | None) -> int:
    script = uow.scripts.get(key) if "~" not in key else None
    if script is None:
        raise ScriptNotFound(f"script {key!r} not found")
    if version is not None:
        if uow.scripts.version(script["id"], version) is None:
            raise VersionNotFound(
                f"script {key!r} has no version {version}",
                [Detail("version", f"no version {version}")],
            )
        return version
    if script["published_version"] is not None:
        return int(script["published_version"])
    newest = uow.conn.execute(
        sa.select(sa.func.max(script_versions.c.number)).where(
            script_versions.c.script_id == script["id"]
        )
    ).scalar()
    if newest is None:
        raise VersionNotFound(f"script {key!r} has no version", [Detail("version", "none")])
    return int(newest)


def _empty() -> _Sums:
    return _Sums({}, {}, {}, Counter(), {})


def _in_range(table: sa.Table, key: str, number: int, span: AnalyticsRange) -> list[Any]:
    c = table.c
    return [
        c.script_key == key,
        c.version_number == number,
        c.bucket >= span.start,
        c.bucket < span.end,
    ]


def _rolled_up(uow: UnitOfWork, key: str, number: int, span: AnalyticsRange) -> _Sums:
    sums = _empty()
    s = analytics_steps.c
    counts = ("sessions", "entered", "exited", "ended", "handed_off", "failed")
    q = (
        sa.select(s.element, *(sa.func.sum(s[n]) for n in counts))
        .where(*_in_range(analytics_steps, key, number, span))
        .group_by(s.element)
    )
    for element, *values in uow.conn.execute(q):
        sessions, entered, exited, ended, handed, failed = (int(v) for v in values)
        sums.steps[element] = StepCounts(sessions, entered, exited, ended, handed, failed)
    t = analytics_times.c
    q = (
        sa.select(t.element, t.slot, sa.func.sum(t.samples))
        .where(*_in_range(analytics_times, key, number, span))
        .group_by(t.element, t.slot)
    )
    for element, slot, samples in uow.conn.execute(q):
        sums.times.setdefault(element, Counter())[int(slot)] += int(samples)
    c = analytics_sessions.c
    names = ("started", "completed", "failed", "handed_off", "automated")
    q = (
        sa.select(c.channel, *(sa.func.sum(c[n]) for n in names))
        .where(*_in_range(analytics_sessions, key, number, span))
        .group_by(c.channel)
    )
    for channel, *values in uow.conn.execute(q):
        sums.sessions[channel] = SessionCounts(*(int(v) for v in values))
    return sums


def _live(uow: UnitOfWork, key: str, number: int, last_id: int) -> Tally:
    rows = rows_after(uow, last_id, script=key, version=number)
    return fold(rows, context_of(uow, rows, last_id))


def _merge(sums: _Sums, live: Tally, span: AnalyticsRange) -> None:
    def inside(bucket: datetime) -> bool:
        return span.start <= bucket < span.end

    for (_s, _v, bucket, element), counts in live.steps.items():
        if inside(bucket):
            sums.steps.setdefault(element, StepCounts()).add(counts)
    for (_s, _v, bucket, element), hist in live.times.items():
        if inside(bucket):
            sums.times.setdefault(element, Counter()).update(hist)
    for (_s, _v, bucket, channel), session in live.sessions.items():
        if inside(bucket):
            sums.sessions.setdefault(channel, SessionCounts()).add(session)
    for (_s, _v, bucket, digest), n in live.paths.items():
        if inside(bucket):
            sums.paths[digest] += n
            sums.path_text[digest] = live.path_text[digest]


def _add_rolled_paths(
    uow: UnitOfWork, key: str, number: int, span: AnalyticsRange, sums: _Sums
) -> None:
    """The rollup's most common paths, and its counts of the paths the live rows took:
    enough for the merged top list to be exact (a path in neither can beat none of the
    rollup's top ones, which only grew)."""
    p = analytics_paths.c
    total = sa.func.sum(p.sessions)
    base = (
        sa.select(p.path_hash, sa.func.min(p.path), total)
        .where(*_in_range(analytics_paths, key, number, span))
        .group_by(p.path_hash)
    )
    found = list(uow.conn.execute(base.order_by(total.desc(), p.path_hash).limit(TOP_PATHS)))
    live = [d for d in sums.paths if d not in {r[0] for r in found}]
    if live:
        found += list(uow.conn.execute(base.where(p.path_hash.in_(live))))
    for digest, text, n in found:
        sums.paths[digest] += int(n)
        sums.path_text[digest] = text


def _abandoned(
    uow: UnitOfWork, key: str, number: int, span: AnalyticsRange, stale: datetime
) -> Counter[str]:
    i = instances.c
    q = (
        sa.select(i.current_element, sa.func.count())
        .where(
            i.status == "waiting",
            i.created_at >= span.start,
            i.created_at < span.end,
            i.script_key == key,
            i.version_number == number,
            i.updated_at < stale,
        )
        .group_by(i.current_element)
    )
    return Counter({str(e or ""): int(n) for e, n in uow.conn.execute(q)})


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _answer(
    key: str,
    number: int,
    span: AnalyticsRange,
    abandoned_after: float,
    sums: _Sums,
    abandoned: Counter[str],
    names: dict[str, str],
    last_id: int,
) -> dict[str, Any]:
    total = SessionCounts()
    for counts in sums.sessions.values():
        total.add(counts)
    elements = _elements(sums, abandoned, names)
    return {
        "script": key,
        "version": number,
        "from": span.start.isoformat(),
        "to": span.end.isoformat(),
        "bucket": "hour",
        "abandoned_after_seconds": abandoned_after,
        "rolled_up_through": last_id,
        "sessions": {
            **_session_figures(total),
            "abandoned": sum(abandoned.values()),
        },
        "channels": [
            {"channel": ch, **_session_figures(c)} for ch, c in sorted(sums.sessions.items())
        ],
        "elements": elements,
        "funnel": _funnel(total, elements),
        "paths": _paths(sums),
    }


def _session_figures(c: SessionCounts) -> dict[str, Any]:
    return {
        "started": c.started,
        "completed": c.completed,
        "failed": c.failed,
        "handed_off": c.handed_off,
        "automated": c.automated,
        "automation_rate": _rate(c.automated, c.automated + c.handed_off),
    }


def _elements(sums: _Sums, abandoned: Counter[str], names: dict[str, str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for element in sorted(set(sums.steps) | set(sums.times) | {e for e in abandoned if e}):
        c = sums.steps.get(element, StepCounts())
        hist = sums.times.get(element, Counter())
        dropped = c.handed_off + c.failed + abandoned.get(element, 0)
        out.append(
            {
                "element": element,
                "name": names.get(element, ""),
                "sessions": c.sessions,
                "entered": c.entered,
                "left": c.exited,
                "ended": c.ended,
                "handed_off": c.handed_off,
                "failed": c.failed,
                "abandoned": abandoned.get(element, 0),
                "dropped": dropped,
                "drop_rate": _rate(dropped, c.sessions),
                "timed": sum(hist.values()),
                "p50_seconds": quantile(hist, 0.5),
                "p90_seconds": quantile(hist, 0.9),
            }
        )
    out.sort(key=lambda e: (-int(e["sessions"]), str(e["element"])))
    return out


def _funnel(total: SessionCounts, elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sessions started, then each step sessions waited at (most reached first), then
    completed; each with its share of the sessions started."""
    stages: list[dict[str, Any]] = [
        {"stage": "started", "element": None, "sessions": total.started}
    ]
    stages += [
        {"stage": "step", "element": e["element"], "sessions": e["sessions"]}
        for e in elements
        if e["entered"]
    ]
    stages.append({"stage": "completed", "element": None, "sessions": total.completed})
    for stage in stages:
        stage["share"] = _rate(stage["sessions"], total.started)
    return stages


def _paths(sums: _Sums) -> list[dict[str, Any]]:
    ended = sum(sums.paths.values())
    top = sorted(sums.paths.items(), key=lambda kv: (-kv[1], sums.path_text[kv[0]]))
    return [
        {
            "steps": sums.path_text[digest].split(" "),
            "sessions": n,
            "share": _rate(n, ended),
        }
        for digest, n in top[:TOP_PATHS]
    ]
