"""Operators for the workspace tests: a token and an ``operators`` row (with skills and a
presence), a routing bundle that takes call-backs, and an app whose ticket script is it."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from engine.persistence.tables import api_tokens, operator_skills, operators
from engine.tokens import create_token
from tests.conftest import BUNDLES

ROUTING = BUNDLES / "ticket_routing"


def routing_with_callbacks() -> dict[str, bytes]:
    """The fixture routing bundle's groups.json with the ``callback`` ticket type (never
    merged into an open one)."""
    groups = json.loads((ROUTING / "groups.json").read_text(encoding="utf-8"))
    groups["types"]["callback"] = {"title": "Call-back", "dedup_window_hours": 0}
    return {"groups.json": json.dumps(groups).encode()}


def make_operator(
    services: Any,
    *,
    presence: str = "ready",
    groups: tuple[str, ...] = (),
    login: str | None = None,
    role: str = "operator",
) -> tuple[str, str, int]:
    """(token, login, operator id) of a new operator."""
    login = login or f"op-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    with services.database.unit_of_work() as uow:
        token = create_token(uow, role, login, now)
        token_id = uow.conn.execute(
            sa.select(api_tokens.c.id).where(api_tokens.c.name == login)
        ).scalar_one()
        operator_id = uow.conn.execute(
            operators.insert()
            .values(
                token_id=token_id,
                login=login,
                name=login.title(),
                presence=presence,
                presence_since=now,
                last_seen_at=now,  # just seen: the worker's upkeep leaves them as they are
                created_at=now,
                updated_at=now,
            )
            .returning(operators.c.id)
        ).scalar_one()
        for group in groups:
            uow.conn.execute(operator_skills.insert().values(operator_id=operator_id, group=group))
    return token, login, int(operator_id)


def set_presence(services: Any, operator_id: int, presence: str) -> None:
    with services.database.unit_of_work() as uow:
        uow.conn.execute(
            operators.update().where(operators.c.id == operator_id).values(presence=presence)
        )


def services_with_script(settings: Any, script: str) -> Any:
    """Services (and their built-ins) whose ticket script is ``script``."""
    from cuebook.wiring import build_services

    return build_services(replace(settings, ticket_script=script))
