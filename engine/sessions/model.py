"""The session as the use cases see it: a typed object over an instance row.

``Session`` is read from a row once per use case; the use cases change it only through
``Transition`` (engine/sessions/transitions.py), which writes the row back.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from engine.model import TICKET_CHANNEL, Handoff, VersionRef

BOT_CHANNELS = ("chat", "ivr")


class Status(StrEnum):
    WAITING = "waiting"
    HANDED_OFF = "handed_off"
    COMPLETED = "completed"
    FAILED = "failed"

    @property
    def ended(self) -> bool:
        return self in (Status.COMPLETED, Status.FAILED)


ENDED = (Status.COMPLETED.value, Status.FAILED.value)


class HandoffReason(StrEnum):
    """Why a session went to a person: a stable code for metrics and analytics."""

    STEP_NEEDS_PERSON = "step_needs_person"
    CUSTOMER_ASKED = "customer_asked"
    NOT_UNDERSTOOD = "not_understood"


@dataclass(frozen=True)
class Actor:
    """Who acts: a token's name and role (``bot``, ``operator``, ...)."""

    name: str
    role: str

    @property
    def is_bot(self) -> bool:
        return self.role == "bot"


@dataclass(frozen=True)
class Reply:
    """What a client sends for a step: a form answer, or a channel's own terms."""

    step_token: str
    answer: dict[str, Any] | None = None
    text: str | None = None
    digits: str | None = None
    speech: str | None = None

    @property
    def said(self) -> str | None:
        """What the customer said or keyed, for the transcript (None for a form answer)."""
        for value in (self.text, self.speech, self.digits):
            if value is not None:
                return value
        return None

    @property
    def given(self) -> list[str]:
        """The kinds of reply present (a valid reply has exactly one)."""
        return [n for n in ("answer", "text", "digits", "speech") if getattr(self, n) is not None]


@dataclass
class Session:
    """One instance row, typed. ``state`` is the saved workflow (JSON text)."""

    id: str
    script_id: int
    script_key: str
    version_id: int
    version_number: int
    status: Status
    channel: str
    session_key: str | None
    state: str
    lock_version: int
    step_seq: int
    step_token: str | None
    current_element: str | None
    misses: int
    outcome: str | None
    handoff_queue: str | None
    handoff_reason: str | None
    handoff_code: str | None
    handed_off_at: datetime | None
    assignee: str | None
    next_timer_at: datetime | None
    created_at: datetime
    updated_at: datetime
    ended_at: datetime | None = None
    error: str | None = None
    customer_key: str | None = None

    @classmethod
    def from_row(cls, row: Any) -> Session:
        values = {f.name: row[f.name] for f in fields(cls)}
        values["status"] = Status(values["status"])
        return cls(**values)

    def as_row(self) -> dict[str, Any]:
        row = {f.name: getattr(self, f.name) for f in fields(self)}
        row["status"] = self.status.value
        return row

    @property
    def ended(self) -> bool:
        return self.status.ended

    @property
    def with_person(self) -> bool:
        return self.status is Status.HANDED_OFF

    @property
    def on_bot_channel(self) -> bool:
        return self.channel in BOT_CHANNELS

    @property
    def is_ticket(self) -> bool:
        """The instance is a ticket's routing workflow (moved by work items, not steps)."""
        return self.channel == TICKET_CHANNEL

    @property
    def version(self) -> VersionRef:
        return VersionRef(self.script_key, self.version_number)

    @property
    def handoff(self) -> Handoff | None:
        if not self.with_person:
            return None
        return Handoff(
            self.handoff_queue or "",
            self.handoff_reason or "",
            self.handoff_code or "",
            self.assignee,
        )
