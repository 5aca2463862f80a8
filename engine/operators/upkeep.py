"""The workspace built once per process, and the worker's pass over it.

``build_workspace`` hangs the dispatcher on the database's after-commit listener, so every
queue change of this process reaches assignment. ``upkeep`` is ``cuebook worker``'s pass:
offers past their time expire (their items go to the next operator), silent operators go
offline, and every group with a ready operator is assigned once more, which also offers
whatever a server could not (it crashed after a commit, before its dispatcher ran).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.operators.assignment import assign_group
from engine.operators.dispatch import Dispatcher
from engine.operators.model import OperatorSettings, Workspace
from engine.operators.offers import expire_offers
from engine.operators.presence import silence_operators
from engine.persistence.database import Database
from engine.sessions import Engine


def build_workspace(
    database: Database, engine: Engine, settings: OperatorSettings | None = None
) -> Workspace:
    ws = Workspace(database, engine, settings or OperatorSettings())
    ws.dispatcher = Dispatcher(lambda group: assign_group(ws, group))
    database.on_queued = ws.queued
    return ws


@dataclass(frozen=True)
class Upkept:
    expired: int = 0
    silenced: int = 0
    offered: int = 0


def upkeep(ws: Workspace) -> Upkept:
    """One pass: expire, silence, assign the groups of ready operators (in this thread)."""
    now = ws.now()
    expired = expire_offers(ws, now)
    silenced = silence_operators(ws, now)
    with ws.database.unit_of_work() as uow:
        uow.queued.clear()
        groups = uow.operators.ready_groups()
    offered = sum(assign_group(ws, group)[0] for group in groups)
    return Upkept(expired, silenced, offered)
