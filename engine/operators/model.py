"""What the operator workspace speaks: presence states, an operator's open load, the
settings of assignment, and the workspace (database, engine, settings, dispatcher) its use
cases are given."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from engine.persistence.database import Database
from engine.persistence.operators import CONVERSATION, TICKET
from engine.sessions import Engine

if TYPE_CHECKING:
    from engine.operators.dispatch import Dispatcher

KINDS = (CONVERSATION, TICKET)
STRATEGIES = ("longest_idle", "least_loaded")
CHANNELS = ("web", "chat", "ivr", "ticket")


class Presence(StrEnum):
    READY = "ready"  # offered work
    BUSY = "busy"  # working, offered nothing new
    AWAY = "away"  # at a break, offered nothing
    OFFLINE = "offline"  # signed off (or silent past the heartbeat timeout)


PRESENCES = tuple(p.value for p in Presence)


@dataclass(frozen=True)
class OperatorSettings:
    """``offer_timeout``: seconds an offer waits for an answer (it counts against the
    operator's capacity meanwhile); ``heartbeat_timeout``: seconds without a sign of life
    before an operator goes offline; ``strategy``: longest_idle | least_loaded;
    ``decline_cooldown``: seconds an operator who declined or let pass an item is not
    offered it again; ``stream_seconds``: how long one server-sent event stream stays open
    (the browser reconnects, so a server thread is never held for ever)."""

    offer_timeout: float = 20.0
    heartbeat_timeout: float = 90.0
    strategy: str = "longest_idle"
    decline_cooldown: float = 300.0
    stream_seconds: float = 25.0


@dataclass
class Workspace:
    """The collaborators of the workspace's use cases, built once by the composition root."""

    database: Database
    engine: Engine
    settings: OperatorSettings = field(default_factory=OperatorSettings)
    dispatcher: Dispatcher | None = None

    def now(self) -> datetime:
        return self.engine.clock()

    def queued(self, groups: set[str]) -> None:
        """Groups whose queues gained an item (or an operator who may take it)."""
        if self.dispatcher is not None and groups:
            self.dispatcher.notify(groups)


@dataclass(frozen=True)
class Load:
    """An operator's open load: what they hold and what they were offered (pending)."""

    conversations: int = 0
    tickets: int = 0
    offered_conversations: int = 0
    offered_tickets: int = 0

    @classmethod
    def from_row(cls, row: Any) -> Load:
        return cls(
            int(row["held_conversations"] or 0),
            int(row["held_tickets"] or 0),
            int(row["pending_conversations"] or 0),
            int(row["pending_tickets"] or 0),
        )

    @property
    def held(self) -> int:
        return self.conversations + self.tickets

    def of(self, kind: str) -> int:
        """Held plus offered of ``kind``: what counts against the capacity of that kind."""
        if kind == CONVERSATION:
            return self.conversations + self.offered_conversations
        return self.tickets + self.offered_tickets

    def as_dict(self) -> dict[str, int]:
        return {
            "conversations": self.conversations,
            "tickets": self.tickets,
            "offered_conversations": self.offered_conversations,
            "offered_tickets": self.offered_tickets,
        }


def utc(value: datetime | None) -> datetime | None:
    """A stored time with its zone (SQLite keeps none: UTC)."""
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def iso(value: datetime | None) -> str | None:
    found = utc(value)
    return None if found is None else found.astimezone(UTC).isoformat()


def json_list(text: str | None) -> list[str]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []
