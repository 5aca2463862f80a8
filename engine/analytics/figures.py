"""Business figures from the instances table: automation rate, handoff reasons, drop-off;
and two versions' sessions side by side (a canary against the version it may replace)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from engine.errors import Detail, ScriptNotFound, VersionNotFound
from engine.persistence.database import UnitOfWork
from engine.persistence.tables import history, instances
from engine.releases import read_split


def script_figures(uow: UnitOfWork, key: str) -> dict[str, Any]:
    """How a script's sessions ended: automated vs handed off (the field's target: 80-85%)."""
    if uow.scripts.get(key) is None:
        raise ScriptNotFound(f"script {key!r} not found")
    conn = uow.conn
    where = instances.c.script_key == key
    by_status: dict[Any, int] = dict(
        conn.execute(
            sa.select(instances.c.status, sa.func.count()).where(where).group_by(instances.c.status)
        ).all()
    )
    by_outcome: dict[Any, int] = dict(
        conn.execute(
            sa.select(instances.c.outcome, sa.func.count())
            .where(where, instances.c.outcome.is_not(None))
            .group_by(instances.c.outcome)
        ).all()
    )
    reasons = conn.execute(
        sa.select(instances.c.handoff_reason, sa.func.count())
        .where(where, instances.c.outcome == "handed_off")
        .group_by(instances.c.handoff_reason)
        .order_by(sa.func.count().desc())
        .limit(20)
    ).all()
    codes = conn.execute(
        sa.select(instances.c.handoff_code, sa.func.count())
        .where(where, instances.c.outcome == "handed_off")
        .group_by(instances.c.handoff_code)
    ).all()
    open_at = conn.execute(
        sa.select(instances.c.current_element, sa.func.count())
        .where(where, instances.c.status == "waiting")
        .group_by(instances.c.current_element)
        .order_by(sa.func.count().desc())
        .limit(50)
    ).all()
    automated = int(by_outcome.get("automated", 0))
    handed = int(by_outcome.get("handed_off", 0))
    decided = automated + handed
    return {
        "script": key,
        "sessions": int(sum(by_status.values())),
        "by_status": {str(k): int(v) for k, v in by_status.items()},
        "automated": automated,
        "handed_off": handed,
        "automation_rate": round(automated / decided, 4) if decided else None,
        "handoff_reasons": [{"reason": r or "", "count": int(c)} for r, c in reasons],
        "handoffs_by_code": {str(code or "unknown"): int(c) for code, c in codes},
        "waiting_at_step": [{"step": s or "", "count": int(c)} for s, c in open_at],
    }


# -- comparing versions ---------------------------------------------------------------------

_TOP_STEPS = 30


def compare_versions(
    uow: UnitOfWork,
    key: str,
    numbers: tuple[int, int],
    *,
    now: datetime,
    abandoned_after: float,
    since: datetime | None = None,
) -> dict[str, Any]:
    """How the sessions of two versions went, side by side: completed, handed off, failed,
    abandoned (waiting, not with a person, untouched for ``abandoned_after`` seconds), and
    the time spent on a step (from entering it to the next step or the end), p50 and p90.
    Counted over sessions started since ``since``: by default, since the latest release
    that split new sessions between the two."""
    script = uow.scripts.get(key)
    if script is None:
        raise ScriptNotFound(f"script {key!r} not found")
    for field, number in zip(("a", "b"), numbers, strict=True):
        if uow.scripts.version(script["id"], number) is None:
            raise VersionNotFound(
                f"script {key!r} has no version {number}", [Detail(field, f"no version {number}")]
            )
    since = _split_since(uow, script["id"], numbers) if since is None else _aware(since)
    where = [instances.c.script_key == key, instances.c.version_number.in_(numbers)]
    if since is not None:
        where.append(instances.c.created_at >= since)
    stale = now - timedelta(seconds=abandoned_after)
    outcomes = _outcomes(uow, where, stale)
    steps = _step_times(uow, where)
    return {
        "script": key,
        "since": since.isoformat() if since else None,
        "abandoned_after_seconds": abandoned_after,
        "versions": [
            {
                "number": n,
                **outcomes.get(n, _outcome_row(0, 0, 0, 0, 0)),
                **steps.get(n, _no_steps()),
            }
            for n in numbers
        ],
    }


def _split_since(uow: UnitOfWork, script_id: int, numbers: tuple[int, int]) -> datetime | None:
    """When the latest release serving both versions at once was made (None: never)."""
    for row in uow.scripts.releases(script_id):
        live = {s.number for s in read_split(row["split"])} if row["split"] else set()
        if set(numbers) <= live:
            return row["released_at"]  # type: ignore[no-any-return]
    return None


def _outcome_row(sessions: int, completed: int, handed: int, failed: int, abandoned: int) -> Any:
    def rate(count: int) -> float | None:
        return round(count / sessions, 4) if sessions else None

    return {
        "sessions": sessions,
        "completed": completed,
        "handed_off": handed,
        "failed": failed,
        "abandoned": abandoned,
        "completion_rate": rate(completed),
        "handoff_rate": rate(handed),
        "failure_rate": rate(failed),
        "abandonment_rate": rate(abandoned),
    }


def _outcomes(uow: UnitOfWork, where: list[Any], stale: datetime) -> dict[int, Any]:
    i = instances.c

    def count(*cond: Any) -> Any:
        return sa.func.count().filter(sa.and_(*cond))

    q = (
        sa.select(
            i.version_number,
            sa.func.count(),
            count(i.status == "completed"),
            count(i.handed_off_at.is_not(None)),
            count(i.status == "failed"),
            count(i.status == "waiting", i.updated_at < stale),
        )
        .where(*where)
        .group_by(i.version_number)
    )
    return {int(r[0]): _outcome_row(*(int(v) for v in r[1:])) for r in uow.conn.execute(q)}


def _no_steps() -> dict[str, Any]:
    return {"steps_timed": 0, "step_p50_seconds": None, "step_p90_seconds": None, "by_step": []}


def _step_times(uow: UnitOfWork, where: list[Any]) -> dict[int, Any]:
    """Per version: seconds from entering a step to the next step or the end."""
    h = history.c
    moves = (
        sa.select(
            instances.c.version_number.label("version"),
            h.element,
            h.event,
            h.at,
            sa.func.lead(h.at, type_=h.at.type)
            .over(partition_by=h.instance_id, order_by=h.id)
            .label("next_at"),
        )
        .select_from(history.join(instances, instances.c.id == h.instance_id))
        .where(*where, h.event.in_(("entered", "ended")))
        .subquery()
    )
    rows = uow.conn.execute(
        sa.select(moves.c.version, moves.c.element, moves.c.at, moves.c.next_at).where(
            moves.c.event == "entered", moves.c.next_at.is_not(None)
        )
    ).all()
    times: dict[int, dict[str, list[float]]] = {}
    for version, element, at, next_at in rows:
        seconds = (_aware(next_at) - _aware(at)).total_seconds()
        times.setdefault(int(version), {}).setdefault(str(element), []).append(seconds)
    return {version: _summary(by_step) for version, by_step in times.items()}


def _summary(by_step: dict[str, list[float]]) -> dict[str, Any]:
    every = sorted(s for values in by_step.values() for s in values)
    steps = sorted(by_step.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:_TOP_STEPS]
    return {
        "steps_timed": len(every),
        "step_p50_seconds": percentile(every, 0.5),
        "step_p90_seconds": percentile(every, 0.9),
        "by_step": [
            {
                "step": element,
                "count": len(values),
                "p50_seconds": percentile(sorted(values), 0.5),
                "p90_seconds": percentile(sorted(values), 0.9),
            }
            for element, values in steps
        ],
    }


def percentile(ordered: list[float], q: float) -> float | None:
    """The q-quantile of sorted values, interpolated (as PostgreSQL's percentile_cont)."""
    if not ordered:
        return None
    pos = (len(ordered) - 1) * q
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (pos - low), 3)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
