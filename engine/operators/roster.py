"""Who the operators are, as the call-backs, the inbox and the workload report need them:
an operator by login (the token's name, the name work is assigned to) or by id, whether they
are away, and whether a group is one work can be sent to.

One operator is read through the workspace's repository (``uow.operators``); the lists
(operators skilled in a group, the groups anyone is skilled in) are small queries here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from engine.errors import Detail, ValidationFailed
from engine.persistence.database import UnitOfWork
from engine.persistence.tables import operator_skills, operators

# Presence states in which an operator takes no new work: a call-back due for them then goes
# to its group's queue. Every other state (available, busy, ...) keeps it theirs.
AWAY_STATES = frozenset({"away", "offline"})


@dataclass(frozen=True)
class Operator:
    id: int
    login: str
    name: str
    presence: str
    active: bool

    @property
    def away(self) -> bool:
        return not self.active or self.presence in AWAY_STATES

    @classmethod
    def from_row(cls, row: Any) -> Operator:
        return cls(
            id=int(row["id"]),
            login=str(row["login"]),
            name=str(row["name"] or ""),
            presence=str(row["presence"]),
            active=bool(row["active"]),
        )


def _select() -> Any:
    c = operators.c
    return sa.select(c.id, c.login, c.name, c.presence, c.active)


def operator_by_login(uow: UnitOfWork, login: str) -> Operator | None:
    row = uow.operators.by_login(login)
    return None if row is None else Operator.from_row(row)


def operator_by_id(uow: UnitOfWork, operator_id: int) -> Operator | None:
    row = uow.operators.get(operator_id)
    return None if row is None else Operator.from_row(row)


def known_operator(uow: UnitOfWork, login: str, path: str = "operator") -> Operator:
    """The operator of ``login``; 422 naming ``path`` if there is none."""
    found = operator_by_login(uow, login)
    if found is None:
        raise ValidationFailed(
            f"unknown operator {login!r}", [Detail(path, f"no operator {login!r}")]
        )
    return found


def operators_of(uow: UnitOfWork, group: str | None) -> list[Operator]:
    """Every operator (with a skill in ``group`` when one is named), by login."""
    q = _select().order_by(operators.c.login)
    if group is not None:
        skilled = sa.select(operator_skills.c.operator_id).where(operator_skills.c.group == group)
        q = q.where(operators.c.id.in_(skilled))
    return [Operator.from_row(r) for r in uow.conn.execute(q).mappings()]


def skill_groups(uow: UnitOfWork) -> set[str]:
    """The groups some operator has a skill in."""
    q = sa.select(operator_skills.c.group).distinct()
    return {str(g) for g in uow.conn.execute(q).scalars()}


def check_group(group: str, known: Iterable[str], path: str = "group") -> str:
    """``group`` if it is one of ``known``; 422 naming ``path`` otherwise."""
    names = sorted(set(known))
    if group not in names:
        listed = ", ".join(names[:30]) or "none"
        raise ValidationFailed(
            f"unknown group {group!r}; known groups: {listed}",
            [Detail(path, f"unknown group {group!r}")],
        )
    return group


def aware(value: datetime) -> datetime:
    """A stored time with its zone (SQLite keeps none: UTC)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def iso(value: datetime | None) -> str | None:
    return None if value is None else aware(value).astimezone(UTC).isoformat()
