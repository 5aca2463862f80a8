"""How a ticket follows its routing workflow: after every advance the engine reads what the
diagram set and moves the ticket to match.

Variables the diagram sets (all optional):

``group``            the group the ticket belongs in. The first value classifies the ticket
                     (route entry ``classified`` with ``rule``); a later change moves it
                     (``escalated`` when the element that ran or ``route_reason`` speaks of
                     escalation, else ``transferred``). A group not in groups.json, or none
                     at all after the first advance (no decision rule matched), sends the
                     ticket to the fallback group, and the route says why.
``rule``             which decision rule matched (recorded with the classification).
``ticket_status``    open | in_progress | waiting_customer | resolved | closed.
``customer_notice``  text for the customer, carried by the ``ticket.status_changed`` event.
``due_at``           ISO 8601 time the ticket is due (empty: no due time, e.g. while paused).
``route_reason``     why the diagram moved the ticket, for the route.

The ticket's group is the truth: after a fallback or a transfer the workflow's ``group``
variable is set to it, so the diagram always sees where the ticket is. When the workflow
ends, a ticket not resolved or closed is closed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from engine import metrics
from engine.bpmn.routing import GROUPS_FILE, RoutingRules
from engine.tickets.journal import TicketJournal
from engine.tickets.model import STATUSES, Ticket, TicketStatus, iso

GROUP = "group"
RULE = "rule"
STATUS = "ticket_status"
NOTICE = "customer_notice"
DUE = "due_at"
REASON = "route_reason"
ESCALATION_WORDS = ("escalat", "эскалац")

_ABSENT = object()


@dataclass(frozen=True)
class Left:
    """An element the workflow left during the advance (for the route's ``element``)."""

    element: str
    name: str = ""
    kind: str = ""


@dataclass(frozen=True)
class Reading:
    """What the diagram's variables say; ``due_at`` is ``_ABSENT`` when not set at all."""

    group: str | None
    rule: str | None
    status: TicketStatus | None
    notice: str | None
    reason: str | None
    due_at: Any


def _text(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    return str(value) if value not in (None, "") else None


def _due(value: Any) -> Any:
    if value is _ABSENT:
        return _ABSENT
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return _ABSENT  # not a time: ignored
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def read(data: dict[str, Any]) -> Reading:
    status = _text(data, STATUS)
    return Reading(
        group=_text(data, GROUP),
        rule=_text(data, RULE),
        status=TicketStatus(status) if status in STATUSES else None,
        notice=_text(data, NOTICE),
        reason=_text(data, REASON),
        due_at=_due(data.get(DUE, _ABSENT)),
    )


def follow(
    ticket: Ticket,
    reading: Reading,
    rules: RoutingRules,
    journal: TicketJournal,
    *,
    ended: bool,
    left: list[Left],
) -> Ticket:
    """The ticket moved to match the workflow; route entries and events go to ``journal``."""
    after = replace(ticket)
    journal.ticket = after
    if after.group is None:
        _classify(after, reading, rules, journal, left)
    else:
        _move(after, reading, rules, journal, left)
    _follow_status(after, reading, journal, ended=ended, left=left)
    if reading.due_at is not _ABSENT and reading.due_at != after.due_at:
        after.due_at = reading.due_at
    return after


def _last(left: list[Left], kind: str = "") -> Left | None:
    for item in reversed(left):
        if item.element and kind in item.kind:
            return item
    return None


def _classify(
    ticket: Ticket, reading: Reading, rules: RoutingRules, journal: TicketJournal, left: list[Left]
) -> None:
    wanted = reading.group
    reason = reading.reason
    if wanted is None:
        target = rules.fallback_group
        reason = "no decision rule matched (the workflow set no group): fallback group"
    elif not rules.knows(wanted):
        target = rules.fallback_group
        reason = f"group {wanted!r} is not in {GROUPS_FILE}: fallback group"
    else:
        target = wanted
    ticket.group = target
    ticket.rule = reading.rule
    where = _last(left, "BusinessRule") or _last(left)
    journal.entry(
        "classified",
        to_group=target,
        rule=reading.rule,
        reason=reason,
        element=where.element if where else None,
    )


def _move(
    ticket: Ticket, reading: Reading, rules: RoutingRules, journal: TicketJournal, left: list[Left]
) -> None:
    wanted = reading.group
    if wanted is None or wanted == ticket.group:
        return
    where = _last(left)
    reason = reading.reason or (where.name if where else None)
    target = wanted
    if not rules.knows(wanted):
        target = rules.fallback_group
        reason = f"group {wanted!r} is not in {GROUPS_FILE}: fallback group"
        if target == ticket.group:
            return
    said = " ".join(filter(None, [reading.reason, where.name if where else "", wanted])).lower()
    event = "escalated" if any(word in said for word in ESCALATION_WORDS) else "transferred"
    source = ticket.group
    ticket.group = target
    if reading.rule:
        ticket.rule = reading.rule
    journal.entry(
        event,
        from_group=source,
        to_group=target,
        rule=reading.rule,
        reason=reason,
        element=where.element if where else None,
    )
    journal.emit(event, from_group=source, to_group=target, reason=reason, actor=journal.actor)
    if event == "escalated":
        metrics.TICKET_ESCALATIONS.labels(target).inc()


def _follow_status(
    ticket: Ticket, reading: Reading, journal: TicketJournal, *, ended: bool, left: list[Left]
) -> None:
    target = reading.status
    reason = None
    if ended and not (target or ticket.status).done:
        target, reason = TicketStatus.CLOSED, "the routing workflow ended"
    if target is None or target == ticket.status:
        return
    change_status(ticket, target, journal, notice=reading.notice, reason=reason, left=left)


def change_status(
    ticket: Ticket,
    target: TicketStatus,
    journal: TicketJournal,
    *,
    notice: str | None,
    reason: str | None,
    left: list[Left],
) -> None:
    """Set the status: a route entry, and an event for channel systems to tell the customer
    (in the channel they last wrote in) with the diagram's text."""
    previous = ticket.status
    ticket.status = target
    ticket.closed_at = (ticket.closed_at or journal.now) if target.done else None
    where = _last(left)
    journal.entry(
        "status_changed",
        status=target.value,
        reason=reason,
        element=where.element if where else None,
    )
    journal.emit(
        "status_changed",
        previous_status=previous.value,
        channel=ticket.channel,
        customer_notice=notice,
        due_at=iso(ticket.due_at),
    )
