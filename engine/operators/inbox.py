"""An operator's inbox: what they hold now, each item with the customer's history beside it.

- conversations: handed-off sessions they claimed (``instances.assignee``), oldest handoff
  first, with the variables and transcript a queue shows;
- tickets: the open work items they hold (``work_items.assignee``), the soonest due first
  (a fired call-back is one of these);
- call-backs: their scheduled call-backs, the soonest first;
- history: for each conversation and ticket, the customer's other conversations and tickets
  (engine/customers.py), newest first, the current one left out.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from engine.customers import customer_history
from engine.errors import CustomerNotFound
from engine.operators.callbacks import callbacks_of
from engine.operators.roster import operator_by_login
from engine.persistence.database import Database, UnitOfWork
from engine.persistence.tables import instances
from engine.sessions import Engine
from engine.sessions.queries import handoff_item
from engine.tickets.views import queue_item_view

HISTORY_ITEMS = 5


def _held_conversations(uow: UnitOfWork, login: str, limit: int) -> list[Any]:
    c = instances.c
    q = (
        sa.select(instances)
        .where(c.assignee == login, c.status == "handed_off")
        .order_by(c.handed_off_at, c.id)
        .limit(limit)
    )
    return list(uow.conn.execute(q).mappings())


def _customer_of(row: Any, variables: dict[str, Any]) -> str | None:
    key = row["customer_key"] or variables.get("customer_key") or row["session_key"]
    return str(key) if key else None


def history_beside(
    database: Database, customer_key: str | None, current: str, limit: int = HISTORY_ITEMS
) -> list[dict[str, Any]]:
    """The customer's other conversations and tickets, newest first (none when unknown)."""
    if not customer_key:
        return []
    try:
        found = customer_history(database, customer_key, limit=limit + 1)
    except CustomerNotFound:
        return []
    return [i for i in found["items"] if i["id"] != current][:limit]


def inbox(
    database: Database, engine: Engine, login: str, *, limit: int, history: int = HISTORY_ITEMS
) -> dict[str, Any]:
    """What ``login`` holds now (conversations, tickets, call-backs), with histories."""
    now = engine.clock()
    with database.unit_of_work() as uow:
        operator = operator_by_login(uow, login)
        talks = []
        for row in _held_conversations(uow, login, limit):
            item = handoff_item(uow, engine, row, now) | {"kind": "conversation"}
            item["customer_key"] = _customer_of(row, item["variables"])
            item["handed_off_to"] = row["handoff_queue"]
            talks.append(item)
        work = [queue_item_view(r, now) for r in uow.work_items.assigned(login, limit)]
        promised = callbacks_of(uow, operator.id, limit) if operator is not None else []
    for talk in talks:
        talk["history"] = history_beside(
            database, talk["customer_key"], talk["session_id"], history
        )
    for item in work:
        item["history"] = history_beside(database, item["customer_key"], item["ticket_id"], history)
    return {
        "operator": login,
        "name": operator.name if operator else login,
        "presence": operator.presence if operator else None,
        "conversations": talks,
        "tickets": work,
        "callbacks": promised,
        "counts": {"conversations": len(talks), "tickets": len(work), "callbacks": len(promised)},
    }
