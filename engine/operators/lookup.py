"""What other parts ask of the workspace inside their own unit of work: who an operator
is, their open load, and taking back their pending offers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from engine.errors import OperatorNotFound
from engine.operators.model import Load
from engine.persistence.database import UnitOfWork


@dataclass(frozen=True)
class OperatorRef:
    """Who an operator is, as other parts need it."""

    id: int
    login: str
    presence: str
    active: bool
    load: Load = field(default_factory=Load)

    @classmethod
    def from_row(cls, row: Any) -> OperatorRef:
        return cls(
            int(row["id"]), str(row["login"]), str(row["presence"]), bool(row["active"]),
            Load.from_row(row),
        )  # fmt: skip


def operator_for_actor(uow: UnitOfWork, login: str) -> OperatorRef:
    """The operator whose token is named ``login``; OperatorNotFound (404) if none."""
    row = uow.operators.by_login(login)
    if row is None:
        raise OperatorNotFound(f"token {login!r} has no operator profile")
    return OperatorRef.from_row(row)


def operator_by_id(uow: UnitOfWork, operator_id: int) -> OperatorRef:
    row = uow.operators.get(operator_id)
    if row is None:
        raise OperatorNotFound(f"operator {operator_id} not found")
    return OperatorRef.from_row(row)


def open_load(uow: UnitOfWork, operator_id: int) -> Load:
    """What the operator holds (conversations, open work items) and was offered (pending)."""
    row = uow.operators.load_of(operator_id)
    if row is None:
        raise OperatorNotFound(f"operator {operator_id} not found")
    return Load.from_row(row)


def presence_of(uow: UnitOfWork, login: str) -> str | None:
    """The presence of the operator named ``login`` (None: no profile)."""
    row = uow.operators.by_login(login)
    return None if row is None else str(row["presence"])


def withdraw_offers(uow: UnitOfWork, operator_id: int, now: datetime | None = None) -> list[str]:
    """Close the operator's pending offers (as expired); their items go back to their
    groups, which are offered again once the caller's transaction commits. Returns the
    groups."""
    groups = uow.offers.withdraw_of(operator_id, now or datetime.now(UTC))
    for group in groups:
        uow.entered_queue(group)
    return groups
