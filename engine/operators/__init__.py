"""The operator workspace: operators and their skills, presence, and automatic assignment
by offers (profiles.py, presence.py, offers.py, assignment.py with its choice rule in
rule.py, dispatch.py; call-backs live beside them).

For other parts of the workspace (call-backs, the inbox, the workload report), inside
their own unit of work:

``operator_for_actor(uow, login) -> OperatorRef``  the profile of a token's name (id,
    login, presence, active, load); OperatorNotFound (404) when the token has none
``operator_by_id(uow, operator_id) -> OperatorRef``
``presence_of(uow, login) -> str | None``  ready | busy | away | offline (None: no profile)
``open_load(uow, operator_id) -> Load``  conversations and work items held, offers pending
    of each kind (``Load.of(kind)`` is what counts against that capacity)
``time_in_states(uow, operator_id, now) -> {state: seconds}``  over the last 24 hours
    (spans in ``presence_spans``: ended_at NULL is the current one)
``withdraw_offers(uow, operator_id, now=None) -> [group]``  the operator's pending offers
    closed; their items are offered to others after the commit
``UnitOfWork.entered_queue(group)``  call it when an item starts waiting in a group's
    queue (e.g. a call-back that became a work item): assignment runs after the commit

Tables: operators, operator_skills, presence_spans, offers (engine/persistence/tables.py).
"""

from __future__ import annotations

from engine.operators.assignment import Outcome, assign_group, assign_groups, offer_next
from engine.operators.dispatch import Dispatcher
from engine.operators.groups import known_groups
from engine.operators.lookup import (
    OperatorRef,
    open_load,
    operator_by_id,
    operator_for_actor,
    presence_of,
    withdraw_offers,
)
from engine.operators.model import (
    PRESENCES,
    STRATEGIES,
    Load,
    OperatorSettings,
    Presence,
    Workspace,
)
from engine.operators.offers import accept, decline, expire_offers, my_offers
from engine.operators.presence import heartbeat, set_presence, silence_operators, time_in_states
from engine.operators.profiles import (
    Profile,
    create_operator,
    get_operator,
    import_operators,
    list_operators,
    update_operator,
)
from engine.operators.upkeep import build_workspace, upkeep

__all__ = [
    "PRESENCES",
    "STRATEGIES",
    "Dispatcher",
    "Load",
    "OperatorRef",
    "OperatorSettings",
    "Outcome",
    "Presence",
    "Profile",
    "Workspace",
    "accept",
    "assign_group",
    "assign_groups",
    "build_workspace",
    "create_operator",
    "decline",
    "expire_offers",
    "get_operator",
    "heartbeat",
    "import_operators",
    "known_groups",
    "list_operators",
    "my_offers",
    "offer_next",
    "open_load",
    "operator_by_id",
    "operator_for_actor",
    "presence_of",
    "set_presence",
    "silence_operators",
    "time_in_states",
    "update_operator",
    "upkeep",
    "withdraw_offers",
]
