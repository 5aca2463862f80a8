"""Customers: the identities (phone numbers, e-mail addresses, chat ids) that name one
customer key, and what a customer has been through across channels.

An identity belongs to at most one customer. A ticket may name its customer by an identity
instead of a key; an identity nobody has claimed yet becomes the key ``<kind>:<value>`` (and
is linked to it), so the next request by the same phone number finds the same customer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from engine.errors import CustomerNotFound, Detail, IdentityTaken, ValidationFailed
from engine.persistence.database import Database, UnitOfWork

IDENTITY_KINDS = ("phone", "email", "chat")
MAX_KEY = 200
_PHONE_NOISE = re.compile(r"[\s\-().]")


@dataclass(frozen=True)
class Identity:
    kind: str
    value: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "value": self.value}


def check_customer_key(key: str, path: str = "customer_key") -> str:
    if not key or len(key) > MAX_KEY or key != key.strip():
        raise ValidationFailed(
            f"bad customer key {key!r}: 1-{MAX_KEY} characters without surrounding spaces",
            [Detail(path, f"1-{MAX_KEY} characters without surrounding spaces")],
        )
    return key


def identity(kind: str, value: str, path: str = "identity") -> Identity:
    """A checked identity in its one written form (a phone without spaces or dashes, an
    e-mail address in lower case), so the same person is found however it was typed."""
    if kind not in IDENTITY_KINDS:
        raise ValidationFailed(
            f"unknown identity kind {kind!r}; use one of {', '.join(IDENTITY_KINDS)}",
            [Detail(f"{path}.kind", f"must be one of {', '.join(IDENTITY_KINDS)}")],
        )
    clean = value.strip()
    if kind == "phone":
        clean = _PHONE_NOISE.sub("", clean)
        ok = re.fullmatch(r"\+?\d{5,15}", clean) is not None
    elif kind == "email":
        clean = clean.lower()
        ok = re.fullmatch(r"[^@\s]+@[^@\s]+", clean) is not None
    else:
        ok = bool(clean)
    if not ok or len(clean) > MAX_KEY:
        raise ValidationFailed(
            f"{value!r} is not a valid {kind}", [Detail(f"{path}.value", f"not a valid {kind}")]
        )
    return Identity(kind, clean)


def resolve_customer(uow: UnitOfWork, found: Identity, now: datetime) -> str:
    """The customer key of an identity; an unknown one becomes its own customer."""
    owner = uow.customers.owner(found.kind, found.value)
    if owner is not None:
        return owner
    key = f"{found.kind}:{found.value}"
    uow.customers.link(found.kind, found.value, key, now)
    return uow.customers.owner(found.kind, found.value) or key  # a concurrent link may win


def set_identities(
    database: Database, customer_key: str, identities: list[Identity], now: datetime
) -> dict[str, Any]:
    """Make ``identities`` the customer's identities, all in one transaction. An identity of
    another customer is refused (409 naming it): unlink it there first."""
    check_customer_key(customer_key)
    wanted = list(dict.fromkeys(identities))
    with database.unit_of_work() as uow:
        for position, found in enumerate(wanted):
            owner = uow.customers.owner(found.kind, found.value)
            if owner is not None and owner != customer_key:
                raise IdentityTaken(
                    f"{found.kind} {found.value} belongs to customer {owner}",
                    [Detail(f"identities[{position}]", f"belongs to customer {owner}")],
                )
        uow.customers.unlink(customer_key, [(i.kind, i.value) for i in wanted])
        for found in wanted:
            uow.customers.link(found.kind, found.value, customer_key, now)
        rows = uow.customers.identities(customer_key)
    return {
        "customer_key": customer_key,
        "identities": [{"kind": r["kind"], "value": r["value"]} for r in rows],
    }


def get_identities(database: Database, customer_key: str) -> dict[str, Any]:
    with database.unit_of_work() as uow:
        rows = uow.customers.identities(customer_key)
    return {
        "customer_key": customer_key,
        "identities": [{"kind": r["kind"], "value": r["value"]} for r in rows],
    }


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite keeps no zone: UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def _conversation(row: Any) -> dict[str, Any]:
    ended = row["status"] in ("completed", "failed")
    how = row["outcome"] or ("failed" if row["status"] == "failed" else None)
    return {
        "kind": "conversation",
        "id": row["id"],
        "at": _iso(row["created_at"]),
        "about": row["title"] or row["script_key"],
        "script": row["script_key"],
        "version": row["version_number"],
        "channel": row["channel"],
        "status": row["status"],
        "ended": ended,
        "ended_how": how if ended else None,
        "ended_at": _iso(row["ended_at"]),
        "where": row["handoff_queue"] or row["current_element"],
    }


def _ticket(row: Any) -> dict[str, Any]:
    done = row["status"] in ("resolved", "closed")
    return {
        "kind": "ticket",
        "id": row["id"],
        "number": row["number"],
        "at": _iso(row["created_at"]),
        "about": row["subject"] or f"{row['type']} / {row['category']}",
        "type": row["type"],
        "category": row["category"],
        "channel": row["channel"],
        "status": row["status"],
        "group": row["group"],
        "ended": done,
        "ended_how": row["status"] if done else None,
        "ended_at": _iso(row["closed_at"]),
    }


def customer_history(database: Database, customer_key: str, *, limit: int) -> dict[str, Any]:
    """Conversations and tickets of a customer across channels, newest first."""
    with database.unit_of_work() as uow:
        identities = uow.customers.identities(customer_key)
        session_keys = [customer_key, *(r["value"] for r in identities)]
        talks = uow.customers.conversations(customer_key, session_keys, limit)
        tickets = uow.tickets.page(
            customer_key=customer_key, status=None, group=None, limit=limit, before=None
        )
    if not identities and not talks and not tickets:
        raise CustomerNotFound(f"customer {customer_key} not found: no identity, ticket or talk")
    items = [_conversation(r) for r in talks] + [_ticket(r) for r in tickets]
    items.sort(key=lambda item: item["at"] or "", reverse=True)
    return {
        "customer_key": customer_key,
        "identities": [{"kind": r["kind"], "value": r["value"]} for r in identities],
        "items": items[:limit],
    }
