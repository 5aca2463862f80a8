"""Operators: an API token of role operator plus a profile (name, skills per group with a
level, languages, channels, capacity: conversations and tickets at once).

``create_operator``   a profile for the token named ``login`` (role operator); with no such
                      token one is made and shown once
``update_operator``   the fields given; refused (409 ``would_strand_work``) when a lower
                      capacity or deactivation would leave held work with nobody
``import_operators``  many at once, created or updated by login, in one transaction
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from engine.errors import (
    Detail,
    OperatorExists,
    OperatorNotFound,
    ValidationFailed,
    WouldStrandWork,
)
from engine.operators.groups import check_groups, known_groups
from engine.operators.lookup import withdraw_offers
from engine.operators.model import CHANNELS, Load, Workspace, iso, json_list
from engine.operators.presence import time_in_states
from engine.persistence.database import UnitOfWork
from engine.tokens import create_token

MAX_LEVEL = 10
MAX_CAPACITY = 100


@dataclass(frozen=True)
class Profile:
    login: str
    name: str = ""
    skills: tuple[tuple[str, int], ...] = ()
    languages: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    capacity_conversations: int = 1
    capacity_tickets: int = 5
    active: bool = True


def check_profile(profile: Profile, known: set[str], path: str = "") -> None:
    """422 naming each bad field (``skills[0].group``, ``capacity_tickets``, ...)."""
    bad: list[Detail] = []
    if not profile.login.strip():
        bad.append(Detail(f"{path}login", "must not be empty"))
    for i, (_group, level) in enumerate(profile.skills):
        if not 1 <= level <= MAX_LEVEL:
            bad.append(Detail(f"{path}skills[{i}].level", f"must be 1 to {MAX_LEVEL}"))
    for i, channel in enumerate(profile.channels):
        if channel not in CHANNELS:
            bad.append(Detail(f"{path}channels[{i}]", f"must be one of {', '.join(CHANNELS)}"))
    for name in ("capacity_conversations", "capacity_tickets"):
        if not 0 <= getattr(profile, name) <= MAX_CAPACITY:
            bad.append(Detail(f"{path}{name}", f"must be 0 to {MAX_CAPACITY}"))
    groups = [g for g, _ in profile.skills]
    if len(set(groups)) != len(groups):
        bad.append(Detail(f"{path}skills", "a group is listed twice"))
    if bad:
        raise ValidationFailed("the operator's profile is not valid", bad)
    check_groups(groups, known, f"{path}skills")


def _values(profile: Profile, now: datetime) -> dict[str, Any]:
    return {
        "name": profile.name,
        "languages": json.dumps(list(profile.languages)),
        "channels": json.dumps(list(profile.channels)),
        "capacity_conversations": profile.capacity_conversations,
        "capacity_tickets": profile.capacity_tickets,
        "active": profile.active,
        "updated_at": now,
    }


def operator_view(
    uow: UnitOfWork, row: Any, skills: list[tuple[str, int]] | None = None
) -> dict[str, Any]:
    if skills is None:
        skills = uow.operators.skills([int(row["id"])])[int(row["id"])]
    return {
        "id": int(row["id"]),
        "login": str(row["login"]),
        "name": str(row["name"] or ""),
        "skills": [{"group": g, "level": lv} for g, lv in skills],
        "languages": json_list(row["languages"]),
        "channels": json_list(row["channels"]),
        "capacity_conversations": int(row["capacity_conversations"]),
        "capacity_tickets": int(row["capacity_tickets"]),
        "active": bool(row["active"]),
        "presence": str(row["presence"]),
        "presence_since": iso(row["presence_since"]),
        "last_seen_at": iso(row["last_seen_at"]),
        "idle_since": iso(row["idle_since"]),
        "load": Load.from_row(row).as_dict(),
    }


def _create_in(uow: UnitOfWork, profile: Profile, now: datetime) -> str | None:
    """Insert the profile; the new token if one had to be made."""
    if uow.operators.by_login(profile.login) is not None:
        raise OperatorExists(f"operator {profile.login!r} exists", [Detail("login", "taken")])
    secret = None
    token = uow.operators.token_for(profile.login)
    if token is None:
        secret = create_token(uow, "operator", profile.login, now)
        token = uow.operators.token_for(profile.login)
        assert token is not None
    elif token["role"] != "operator":
        raise ValidationFailed(
            f"token {profile.login!r} has role {token['role']}; an operator needs role operator",
            [Detail("login", f"names a {token['role']} token")],
        )
    operator_id = uow.operators.add(
        token_id=int(token["id"]), login=profile.login, presence="offline", created_at=now,
        **_values(profile, now),
    )  # fmt: skip
    uow.operators.set_skills(operator_id, profile.skills)
    return secret


def create_operator(ws: Workspace, profile: Profile) -> dict[str, Any]:
    """A new operator; ``token`` in the answer when a token was made for them."""
    now = ws.now()
    with ws.database.unit_of_work() as uow:
        check_profile(profile, known_groups(uow, ws.engine))
        secret = _create_in(uow, profile, now)
        row = uow.operators.by_login(profile.login)
        view = operator_view(uow, row)
    return {**view, "token": secret}


def _load_row(uow: UnitOfWork, operator_id: int) -> Any:
    row = uow.operators.get(operator_id)
    if row is None:
        raise OperatorNotFound(f"operator {operator_id} not found")
    return row


def profile_of(uow: UnitOfWork, row: Any) -> Profile:
    skills = uow.operators.skills([int(row["id"])])[int(row["id"])]
    return Profile(
        login=str(row["login"]),
        name=str(row["name"] or ""),
        skills=tuple(skills),
        languages=tuple(json_list(row["languages"])),
        channels=tuple(json_list(row["channels"])),
        capacity_conversations=int(row["capacity_conversations"]),
        capacity_tickets=int(row["capacity_tickets"]),
        active=bool(row["active"]),
    )


def _check_strands(row: Any, after: Profile) -> None:
    load = Load.from_row(row)
    if not after.active and load.held:
        raise WouldStrandWork(
            f"operator {row['login']} holds {load.conversations} conversation(s) and "
            f"{load.tickets} work item(s): hand them back or finish them before deactivating",
            [Detail("active", "held work would be left with nobody")],
        )
    for kind, name, held in (
        ("conversation", "capacity_conversations", load.conversations),
        ("work item", "capacity_tickets", load.tickets),
    ):
        if getattr(after, name) < held:
            raise WouldStrandWork(
                f"operator {row['login']} holds {held} {kind}(s), more than a capacity of "
                f"{getattr(after, name)}",
                [Detail(name, f"below the {held} held now")],
            )


def update_in(uow: UnitOfWork, ws: Workspace, row: Any, changes: dict[str, Any]) -> None:
    before = profile_of(uow, row)
    after = replace(before, **changes)
    check_profile(after, known_groups(uow, ws.engine))
    _check_strands(row, after)
    now = ws.now()
    uow.operators.update(int(row["id"]), **_values(after, now))
    if after.skills != before.skills:
        uow.operators.set_skills(int(row["id"]), after.skills)
    withdraw_offers(uow, int(row["id"]), now)  # offered again under the new profile
    if row["presence"] == "ready" and after.active:
        for group, _level in after.skills:
            uow.entered_queue(group)


def update_operator(ws: Workspace, operator_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    with ws.database.unit_of_work() as uow:
        row = _load_row(uow, operator_id)
        update_in(uow, ws, row, changes)
        return operator_view(uow, _load_row(uow, operator_id))


def get_operator(ws: Workspace, operator_id: int) -> dict[str, Any]:
    with ws.database.unit_of_work() as uow:
        row = _load_row(uow, operator_id)
        view = operator_view(uow, row)
        view["time_in_states"] = time_in_states(uow, operator_id, ws.now())
        return view


def list_operators(ws: Workspace, *, limit: int, after: int = 0) -> dict[str, Any]:
    with ws.database.unit_of_work() as uow:
        rows = uow.operators.all(limit + 1, after)
        page = rows[:limit]
        skills = uow.operators.skills([int(r["id"]) for r in page])
        items = [operator_view(uow, r, skills[int(r["id"])]) for r in page]
    more = len(rows) > limit
    return {"operators": items, "next": items[-1]["id"] if more and items else None}


def import_operators(ws: Workspace, profiles: list[Profile]) -> list[dict[str, Any]]:
    """Create or update each profile by login, all in one transaction: a bad row changes
    nothing (422 naming ``[row].field``). Returns per login: created, and a new token."""
    now = ws.now()
    done: list[dict[str, Any]] = []
    with ws.database.unit_of_work() as uow:
        known = known_groups(uow, ws.engine)
        for i, profile in enumerate(profiles):
            check_profile(profile, known, f"[{i}].")
        for profile in profiles:
            row = uow.operators.by_login(profile.login)
            if row is None:
                secret = _create_in(uow, profile, now)
                done.append({"login": profile.login, "created": True, "token": secret})
                continue
            changes = {k: v for k, v in profile.__dict__.items() if k != "login"}
            update_in(uow, ws, row, changes)
            done.append({"login": profile.login, "created": False, "token": None})
    return done
