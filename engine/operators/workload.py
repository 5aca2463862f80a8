"""The workload report: per operator and per group over a time range [from, to).

items handled   tickets: work items completed in the range (``work_items.closed_by``, the
                group the item was in when done); conversations: handed-off sessions an
                operator claimed whose handling ended in the range (handed back, or the
                session ended while they held it; the group is the queue it was claimed from)
handle time     from the claim to the end of that handling; p50 and p90 by linear
                interpolation between the nearest ranks (PostgreSQL's percentile_cont), over
                tickets and conversations together; null when nothing was handled
presence        seconds in each presence state (``presence_spans``), each span clipped to the
                range (a span still open counts up to now)
SLA             completed work items that had a due time: kept when done by it, else missed
transfers       ``transferred`` route entries in the range made by the operator (a group's:
                made out of the group by anyone but the call-back firing)

Counts, SLA and time per presence state are SQL aggregates (COUNT, SUM over CASE, SUM of
clipped spans, GROUP BY) that run on PostgreSQL and SQLite; times are subtracted in SQL
(``extract(epoch ...)``, SQLite's ``julianday``), so rows come back as seconds, not as times
to parse. The percentiles are taken here from the handle times, because the two databases
share no percentile function (PostgreSQL's percentile_cont; SQLite has none).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from engine.errors import Detail, ValidationFailed
from engine.operators.groups import known_groups
from engine.operators.roster import (
    Operator,
    check_group,
    iso,
    operators_of,
    skill_groups,
)
from engine.persistence.database import Database, UnitOfWork
from engine.persistence.tables import history, instances, presence_spans, ticket_route, work_items
from engine.sessions import Engine

STATES = ("ready", "busy", "away", "offline")
LONGEST = timedelta(days=366)
# A conversation claimed this long before the range may still end inside it.
CLAIM_LOOKBACK = timedelta(days=7)
SYSTEM_ACTORS = ("callbacks",)


@dataclass
class Figures:
    """What one operator or one group did."""

    tickets: int = 0
    conversations: int = 0
    durations: list[float] = field(default_factory=list)
    sla_kept: int = 0
    sla_missed: int = 0
    transfers: int = 0
    presence: dict[str, float] = field(default_factory=dict)
    handlers: set[str] = field(default_factory=set)

    def view(self) -> dict[str, Any]:
        ordered = sorted(self.durations)
        return {
            "items_handled": self.tickets + self.conversations,
            "tickets_handled": self.tickets,
            "conversations_handled": self.conversations,
            "handle_time_p50_s": percentile(ordered, 0.5),
            "handle_time_p90_s": percentile(ordered, 0.9),
            "sla_kept": self.sla_kept,
            "sla_missed": self.sla_missed,
            "transfers": self.transfers,
            "presence_seconds": {k: round(v, 3) for k, v in sorted(self.presence.items())},
        }


def percentile(ordered: list[float], fraction: float) -> float | None:
    """Linear interpolation between the nearest ranks of a sorted list (None when empty)."""
    if not ordered:
        return None
    rank = fraction * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (rank - low), 3)


def check_range(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    for name, value in (("from", start), ("to", end)):
        if value is None:
            raise ValidationFailed(f"{name} is required", [Detail(name, "is required")])
        if value.tzinfo is None:
            raise ValidationFailed(f"{name} needs a time zone", [Detail(name, "needs a time zone")])
    assert start is not None and end is not None
    if start >= end:
        raise ValidationFailed(
            f"from ({start.isoformat()}) is not before to ({end.isoformat()})",
            [Detail("from", "must be before to")],
        )
    if end - start > LONGEST:
        raise ValidationFailed(
            "the range is longer than 366 days", [Detail("to", "at most 366 days after from")]
        )
    return start, end


# -- what the tables say -----------------------------------------------------------------


def _ticket_counts(uow: UnitOfWork, start: datetime, end: datetime, group: str | None) -> Any:
    w = work_items.c
    kept = sa.case((sa.and_(w.due_at.is_not(None), w.closed_at <= w.due_at), 1), else_=0)
    missed = sa.case((sa.and_(w.due_at.is_not(None), w.closed_at > w.due_at), 1), else_=0)
    q = (
        sa.select(
            w.closed_by,
            w.group,
            sa.func.count().label("done"),
            sa.func.sum(kept).label("kept"),
            sa.func.sum(missed).label("missed"),
        )
        .where(w.status == "done", w.closed_at >= start, w.closed_at < end)
        .where(w.closed_by.is_not(None))
        .group_by(w.closed_by, w.group)
    )
    if group is not None:
        q = q.where(w.group == group)
    return uow.conn.execute(q).mappings().all()


# -- time arithmetic in SQL: the rows come back as seconds, not as times to parse ------------


def seconds(uow: UnitOfWork, later: Any, earlier: Any) -> Any:
    """``later - earlier`` in seconds, on either database."""
    if uow.is_sqlite:
        return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 86400.0
    return sa.func.extract("epoch", later - earlier)


def _least(uow: UnitOfWork, *values: Any) -> Any:
    return sa.func.min(*values) if uow.is_sqlite else sa.func.least(*values)


def _greatest(uow: UnitOfWork, *values: Any) -> Any:
    return sa.func.max(*values) if uow.is_sqlite else sa.func.greatest(*values)


def _at(value: datetime) -> Any:
    """A time bound as the columns store times (SQLite: the same text form)."""
    return sa.literal(value, presence_spans.c.started_at.type)


def _ticket_durations(uow: UnitOfWork, start: datetime, end: datetime, group: str | None) -> Any:
    w = work_items.c
    took = seconds(uow, w.closed_at, w.claimed_at).label("seconds")
    q = sa.select(w.closed_by, w.group, took).where(
        w.status == "done", w.closed_at >= start, w.closed_at < end,
        w.closed_by.is_not(None), w.claimed_at.is_not(None),
    )  # fmt: skip
    if group is not None:
        q = q.where(w.group == group)
    return uow.conn.execute(q).all()


def _conversations(uow: UnitOfWork, start: datetime, end: datetime, group: str | None) -> Any:
    """Claims of handed-off sessions with how long the handling took (to the hand back, or
    to the session's end), for handlings that ended in the range; claims are looked at from
    ``CLAIM_LOOKBACK`` before the range.

    One pass over the claim and hand-back rows of that window: each claim's next row of its
    session (``lead`` over the session's rows in order) is its hand back, if it is one. A hand
    back at or after the range's end needs no look-up: the handling then ended outside it.
    """
    h = history.c
    next_event = sa.func.lead(h.event).over(partition_by=h.instance_id, order_by=h.id)
    next_at = sa.func.lead(h.at).over(partition_by=h.instance_id, order_by=h.id)
    moves = (
        sa.select(
            h.instance_id, h.event, h.actor, h.kind, h.at,
            next_event.label("next_event"), next_at.label("next_at"),
        )
        .where(h.event.in_(("claimed", "handed_back")))
        .where(h.at >= start - CLAIM_LOOKBACK, h.at < end)
        .cte("moves")
    )  # fmt: skip
    m = moves.c
    back_at = sa.case((m.next_event == "handed_back", m.next_at), else_=None)
    ended_at = instances.c.ended_at
    # The handling ended at the hand back, or at the session's end if that came first.
    ended = sa.case(
        (sa.and_(back_at.is_not(None), sa.or_(ended_at.is_(None), back_at <= ended_at)), back_at),
        else_=ended_at,
    )
    q = (
        sa.select(m.actor, m.kind, seconds(uow, ended, m.at))
        .select_from(moves.join(instances, instances.c.id == m.instance_id))
        .where(m.event == "claimed", ended >= _at(start), ended < _at(end), ended >= m.at)
    )
    if group is not None:
        q = q.where(m.kind == group)
    return uow.conn.execute(q).all()


def _transfers(uow: UnitOfWork, start: datetime, end: datetime, group: str | None) -> Any:
    r = ticket_route.c
    q = (
        sa.select(r.actor, r.from_group, sa.func.count().label("moves"))
        .where(r.event == "transferred", r.at >= start, r.at < end)
        .where(r.actor.not_in(SYSTEM_ACTORS))
        .group_by(r.actor, r.from_group)
    )
    if group is not None:
        q = q.where(r.from_group == group)
    return uow.conn.execute(q).mappings().all()


def _presence(
    uow: UnitOfWork, operator_ids: list[int], start: datetime, end: datetime, now: datetime
) -> Any:
    """Seconds per operator and state: each span clipped to the range (an open one to now)."""
    s = presence_spans.c
    stop = _least(uow, sa.func.coalesce(s.ended_at, _at(now)), _at(end))
    begin = _greatest(uow, s.started_at, _at(start))
    q = (
        sa.select(s.operator_id, s.state, sa.func.sum(seconds(uow, stop, begin)))
        .where(s.operator_id.in_(operator_ids), s.started_at < end, stop > begin)
        .group_by(s.operator_id, s.state)
    )
    return uow.conn.execute(q).all() if operator_ids else []


# -- folding ------------------------------------------------------------------------------


@dataclass
class Tally:
    people: dict[str, Figures] = field(default_factory=lambda: defaultdict(Figures))
    groups: dict[str, Figures] = field(default_factory=lambda: defaultdict(Figures))

    def both(self, login: str, group: str | None) -> Iterable[Figures]:
        yield self.people[login]
        if group:
            self.groups[group].handlers.add(login)
            yield self.groups[group]


def _fold_tickets(tally: Tally, counts: Any, durations: Any) -> None:
    for row in counts:
        for figures in tally.both(row["closed_by"], row["group"]):
            figures.tickets += int(row["done"])
            figures.sla_kept += int(row["kept"] or 0)
            figures.sla_missed += int(row["missed"] or 0)
    for login, group, took in durations:
        for figures in tally.both(login, group):
            figures.durations.append(max(0.0, round(float(took), 3)))


def _fold_conversations(tally: Tally, rows: Any) -> None:
    for login, group, took in rows:
        for figures in tally.both(login, group or None):
            figures.conversations += 1
            figures.durations.append(max(0.0, round(float(took), 3)))


def _fold_transfers(tally: Tally, rows: Any) -> None:
    for row in rows:
        tally.people[row["actor"]].transfers += int(row["moves"])
        if row["from_group"]:
            tally.groups[row["from_group"]].transfers += int(row["moves"])


# -- the report ---------------------------------------------------------------------------


def workload_report(
    database: Database,
    engine: Engine,
    *,
    start: datetime | None,
    end: datetime | None,
    group: str | None = None,
) -> dict[str, Any]:
    """The figures of every operator (with a skill in ``group`` when one is named, and anyone
    who handled its work) and every group, over [start, end)."""
    start, end = check_range(start, end)
    now = engine.clock()
    tally = Tally()
    with database.unit_of_work() as uow:
        if group is not None:
            check_group(group, skill_groups(uow) | known_groups(uow, engine))
        profiles: dict[str, Operator | None] = {o.login: o for o in operators_of(uow, group)}
        _fold_tickets(tally, _ticket_counts(uow, start, end, group),
                      _ticket_durations(uow, start, end, group))  # fmt: skip
        _fold_conversations(tally, _conversations(uow, start, end, group))
        _fold_transfers(tally, _transfers(uow, start, end, group))
        for login in tally.people:  # handlers without a profile stay; their presence is unknown
            profiles.setdefault(login, None)
        by_id = {o.id: o.login for o in profiles.values() if o is not None}
        for operator_id, state, spent in _presence(uow, list(by_id), start, end, now):
            tally.people[by_id[operator_id]].presence[state] = float(spent)
    return _report_view(tally, profiles, start, end, group)


def _report_view(
    tally: Tally,
    profiles: dict[str, Operator | None],
    start: datetime,
    end: datetime,
    group: str | None,
) -> dict[str, Any]:
    operators = []
    for login in sorted(profiles):
        profile = profiles[login]
        operators.append(
            {
                "operator": login,
                "name": profile.name if profile is not None else login,
                "has_profile": profile is not None,
                **tally.people[login].view(),
            }
        )
    groups = sorted(tally.groups) if group is None else [group]
    total = Figures()
    for figures in tally.people.values():
        total.tickets += figures.tickets
        total.conversations += figures.conversations
        total.durations += figures.durations
        total.sla_kept, total.sla_missed = (total.sla_kept + figures.sla_kept,
                                            total.sla_missed + figures.sla_missed)  # fmt: skip
        total.transfers += figures.transfers
    return {
        "from": iso(start),
        "to": iso(end),
        "group": group,
        "states": list(STATES),
        "operators": operators,
        "groups": [
            {"group": g, "operators": len(tally.groups[g].handlers), **tally.groups[g].view()}
            for g in groups
        ],
        "total": total.view(),
    }


CSV_FIELDS = (
    "items_handled", "tickets_handled", "conversations_handled", "handle_time_p50_s",
    "handle_time_p90_s", "sla_kept", "sla_missed", "transfers",
)  # fmt: skip


def report_csv(report: dict[str, Any]) -> str:
    """One line per operator and per group; presence in seconds per state (operators)."""
    states = list(report["states"])
    for row in report["operators"]:
        states += [s for s in row["presence_seconds"] if s not in states]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["kind", "key", "name", *CSV_FIELDS, *(f"{s}_s" for s in states),
                     "from", "to"])  # fmt: skip
    lines = [("operator", r["operator"], r["name"], r) for r in report["operators"]]
    lines += [("group", r["group"], r["group"], r) for r in report["groups"]]
    for kind, key, name, row in lines:
        presence = row["presence_seconds"]
        writer.writerow(
            [
                kind,
                key,
                name,
                *(_cell(row[f]) for f in CSV_FIELDS),
                *(_cell(presence.get(s, 0.0)) if kind == "operator" else "" for s in states),
                report["from"],
                report["to"],
            ]
        )
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return str(value)
