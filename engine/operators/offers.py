"""Offers: an item proposed to one operator, who accepts or declines it in time.

``accept``    within the offer's time: the item is claimed exactly as a claim by hand
              does (the sessions' or work items' own ``claim_in``: assignee, history,
              events), in the same transaction as the offer's close; after its time: 409
              ``offer_expired``, the offer closed and the item offered to the next operator
``decline``   the item goes to the next operator at once
``expire_offers``    the worker's pass: offers past their time closed, items offered again
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.errors import (
    ClaimedByAnother,
    NotWithPerson,
    OfferClosed,
    OfferExpired,
    OfferNotFound,
    WorkItemClosed,
)
from engine.operators.lookup import operator_for_actor
from engine.operators.model import Workspace, iso, utc
from engine.persistence.database import UnitOfWork
from engine.persistence.operators import CONVERSATION
from engine.sessions import Actor
from engine.sessions.handoff import claim_in as claim_session_in
from engine.tickets.work import claim_in as claim_work_item_in

EXPIRE_BATCH = 500


def offer_view(row: Any, now: datetime | None = None) -> dict[str, Any]:
    expires = utc(row["expires_at"])
    view = {
        "id": str(row["id"]),
        "item_kind": str(row["item_kind"]),
        "item_id": str(row["item_id"]),
        "group": str(row["group"]),
        "operator_id": int(row["operator_id"]),
        "status": str(row["status"]),
        "offered_at": iso(row["offered_at"]),
        "expires_at": iso(expires),
        "decided_at": iso(row["decided_at"]),
    }
    if now is not None and expires is not None:
        view["seconds_left"] = max(0.0, round((expires - now).total_seconds(), 1))
    return view


def my_offers(ws: Workspace, actor: Actor) -> dict[str, Any]:
    """The actor's pending offers, oldest first; counts as a heartbeat."""
    now = ws.now()
    with ws.database.unit_of_work() as uow:
        operator = operator_for_actor(uow, actor.name)
        uow.operators.seen(operator.id, now)
        rows = [r for r in uow.offers.pending_of(operator.id) if _open_until(r) > now]
        return {
            "operator_id": operator.id,
            "presence": operator.presence,
            "offers": [offer_view(r, now) for r in rows],
        }


def _open_until(row: Any) -> datetime:
    until = utc(row["expires_at"])
    assert until is not None  # the column is not nullable
    return until


def _pending_offer(uow: UnitOfWork, offer_id: str, actor: Actor) -> Any:
    row = uow.offers.get(offer_id, for_update=True) if len(offer_id) <= 36 else None
    if row is None:
        raise OfferNotFound(f"offer {offer_id} not found")
    operator = operator_for_actor(uow, actor.name)
    if int(row["operator_id"]) != operator.id:
        raise OfferClosed(f"offer {offer_id} was made to another operator")
    if row["status"] != "pending":
        raise OfferClosed(f"offer {offer_id} is {row['status']}")
    return row


def accept(ws: Workspace, offer_id: str, actor: Actor) -> dict[str, Any]:
    """Take the offered item: the claim, as by hand, and the offer closed as accepted."""
    now = ws.now()
    expired = False
    with ws.database.unit_of_work() as uow:
        row = _pending_offer(uow, offer_id, actor)
        if _open_until(row) <= now:
            uow.offers.decide(offer_id, "expired", now)
            uow.entered_queue(str(row["group"]))
            expired = True
    if expired:
        raise OfferExpired(
            f"offer {offer_id} expired at {iso(row['expires_at'])}; the item went back to "
            f"queue {row['group']}"
        )
    try:
        with ws.database.unit_of_work() as uow:
            row = _pending_offer(uow, offer_id, actor)
            claimer = Actor(name=actor.name, role="operator")
            taken: dict[str, Any]
            if row["item_kind"] == CONVERSATION:
                taken = {"session": claim_session_in(uow, ws.engine, row["item_id"], claimer)}
            else:
                taken = {"work_item": claim_work_item_in(uow, ws.engine, row["item_id"], claimer)}
            uow.offers.decide(offer_id, "accepted", now)
            uow.operators.update(int(row["operator_id"]), idle_since=now, last_seen_at=now)
            accepted = uow.offers.get(offer_id)
    except (ClaimedByAnother, NotWithPerson, WorkItemClosed):
        _close_stale(ws, offer_id, now)
        raise
    return {"offer": offer_view(accepted, now), **taken}


def _close_stale(ws: Workspace, offer_id: str, now: datetime) -> None:
    """The item was taken by hand (or ended) after it was offered: the offer is closed so it
    no longer counts against the operator's capacity."""
    with ws.database.unit_of_work() as uow:
        uow.offers.decide(offer_id, "expired", now)


def decline(ws: Workspace, offer_id: str, actor: Actor) -> dict[str, Any]:
    """Refuse the offer; the item is offered to the next operator after the commit."""
    now = ws.now()
    with ws.database.unit_of_work() as uow:
        row = _pending_offer(uow, offer_id, actor)
        uow.offers.decide(offer_id, "declined", now)
        uow.operators.seen(int(row["operator_id"]), now)
        uow.entered_queue(str(row["group"]))
        return {"offer": offer_view(uow.offers.get(offer_id), now)}


def expire_offers(ws: Workspace, now: datetime | None = None) -> int:
    """Close the offers past their time (the worker's pass); their groups are offered again
    after the commit. Returns how many expired."""
    now = now or ws.now()
    with ws.database.unit_of_work() as uow:
        rows = uow.offers.expire_due(now, EXPIRE_BATCH)
        for row in rows:
            uow.entered_queue(str(row["group"]))
    return len(rows)
