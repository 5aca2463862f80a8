"""Presence: ready (offered work), busy, away, offline, with the time spent in each.

Every change ends the current presence span and opens the next (``presence_spans``), so
time in each state is a sum of spans. Leaving ``ready`` takes back the operator's pending
offers (their items are offered to others after the commit); becoming ``ready`` makes the
operator the longest idle of those who just became ready and offers their groups' items.
Going ``offline`` while holding accepted work is refused (409 ``would_strand_work``): the
conversations and work items they hold would wait for nobody. An operator whose heartbeat
(a presence change, polling their offers, the offer stream) stops for the heartbeat
timeout is set offline by ``cuebook worker`` whatever they hold: they are gone, and their
pending offers go to others.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from engine.errors import Detail, ValidationFailed, WouldStrandWork
from engine.operators.lookup import OperatorRef, operator_for_actor, withdraw_offers
from engine.operators.model import PRESENCES, Presence, Workspace, iso, utc
from engine.persistence.database import UnitOfWork
from engine.sessions import Actor

SILENT_BATCH = 200
STATE_WINDOW = timedelta(hours=24)


def _checked(state: str) -> Presence:
    if state not in PRESENCES:
        raise ValidationFailed(
            f"unknown presence {state!r}",
            [Detail("presence", f"must be one of {', '.join(PRESENCES)}")],
        )
    return Presence(state)


def change_presence_in(
    uow: UnitOfWork, operator: OperatorRef, state: Presence, now: datetime, *, forced: bool = False
) -> None:
    """Move ``operator`` to ``state`` (``forced``: the heartbeat ran out, nothing refused)."""
    if state is Presence.OFFLINE and operator.load.held and not forced:
        raise WouldStrandWork(
            f"you hold {operator.load.conversations} conversation(s) and "
            f"{operator.load.tickets} work item(s): finish or hand them back before going "
            "offline (or choose away)",
            [Detail("presence", "held work would be left with nobody")],
        )
    values: dict[str, Any] = {"last_seen_at": now, "updated_at": now}
    if state.value != operator.presence:
        values.update(presence=state.value, presence_since=now)
        uow.operators.start_span(operator.id, state.value, now)
        if state is Presence.READY:
            values["idle_since"] = now
    uow.operators.update(operator.id, **values)
    if state is not Presence.READY:
        withdraw_offers(uow, operator.id, now)
    elif operator.presence != Presence.READY.value and operator.active:
        for group, _level in uow.operators.skills([operator.id])[operator.id]:
            uow.entered_queue(group)


def set_presence(ws: Workspace, actor: Actor, state: str) -> dict[str, Any]:
    """The actor's presence; the same state again is a heartbeat."""
    presence = _checked(state)
    now = ws.now()
    with ws.database.unit_of_work() as uow:
        operator = operator_for_actor(uow, actor.name)
        change_presence_in(uow, operator, presence, now)
        return presence_view(uow, operator.id, now)


def heartbeat(ws: Workspace, actor: Actor) -> None:
    with ws.database.unit_of_work() as uow:
        uow.operators.seen(operator_for_actor(uow, actor.name).id, ws.now())


def presence_view(uow: UnitOfWork, operator_id: int, now: datetime) -> dict[str, Any]:
    row = uow.operators.get(operator_id)
    assert row is not None
    return {
        "operator_id": operator_id,
        "login": str(row["login"]),
        "presence": str(row["presence"]),
        "presence_since": iso(row["presence_since"]),
        "last_seen_at": iso(row["last_seen_at"]),
        "time_in_states": time_in_states(uow, operator_id, now),
    }


def time_in_states(uow: UnitOfWork, operator_id: int, now: datetime) -> dict[str, float]:
    """Seconds in each presence state over the last 24 hours."""
    since = now - STATE_WINDOW
    totals = {state: 0.0 for state in PRESENCES}
    for span in uow.operators.spans(operator_id, since):
        start = max(utc(span["started_at"]) or since, since)
        end = utc(span["ended_at"]) or now
        if span["state"] in totals and end > start:
            totals[span["state"]] += round((end - start).total_seconds(), 3)
    return totals


def silence_operators(ws: Workspace, now: datetime | None = None) -> int:
    """Operators silent past the heartbeat timeout go offline (the worker's pass); their
    pending offers go to others. Returns how many."""
    now = now or ws.now()
    before = now - timedelta(seconds=ws.settings.heartbeat_timeout)
    with ws.database.unit_of_work() as uow:
        silent = uow.operators.silent_since(before, SILENT_BATCH)
        for operator_id in silent:
            row = uow.operators.get(operator_id)
            assert row is not None
            change_presence_in(uow, OperatorRef.from_row(row), Presence.OFFLINE, now, forced=True)
    return len(silent)
