"""Plain dataclasses the rest of Cuebook speaks.

A :class:`StepView` is channel-neutral: renderers in ``player/`` turn it into
HTML, chat JSON or IVR JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SessionStatus = Literal["waiting", "completed", "handed_off", "failed"]
StepKind = Literal["form", "choice", "message", "wait", "handoff", "end"]
Channel = Literal["web", "chat", "ivr", "ticket"]
CHANNELS: tuple[str, ...] = ("web", "chat", "ivr")  # what a session may be started on
TICKET_CHANNEL = "ticket"  # the instance of a ticket's routing workflow (not a session)
INSTANCE_CHANNELS: tuple[str, ...] = (*CHANNELS, TICKET_CHANNEL)


@dataclass(frozen=True)
class VersionRef:
    script: str
    number: int


@dataclass(frozen=True)
class Option:
    """One answer a choice step offers. ``synonyms`` help match free text and speech."""

    value: Any
    label: str
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    """What the waiting task asks for.

    ``field`` is the answer key a choice step fills (``{field: option.value}``).
    ``voice`` is an optional SSML/plain voice prompt for IVR; without it the IVR
    renderer speaks ``text``. ``max_misses`` is how many not-understood replies
    a bot channel allows before the session goes to a person.
    """

    id: str
    kind: StepKind
    title: str = ""
    text: str = ""
    hints: str = ""
    schema: dict[str, Any] | None = None
    ui_schema: dict[str, Any] | None = None
    options: tuple[Option, ...] = ()
    field_options: dict[str, tuple[Option, ...]] = field(default_factory=dict)  # choice fields
    can_go_back: bool = False
    field: str | None = None
    voice: str | None = None
    max_misses: int = 3
    lane: str | None = None
    item: Item | None = None


@dataclass(frozen=True)
class Item:
    """Which instance of a multi-instance or looping task a step is: "item 2 of 5"
    (``count`` is None while a loop's end is not known)."""

    index: int
    count: int | None


@dataclass(frozen=True)
class Handoff:
    """Where a session waits for a person and why (``code``: a HandoffReason value)."""

    queue: str
    reason: str
    code: str = ""
    assignee: str | None = None  # the person who claimed it, once claimed


@dataclass(frozen=True)
class Progress:
    """Where in the script the session is: steps taken so far."""

    steps_taken: int


@dataclass(frozen=True)
class StepView:
    session_id: str
    status: SessionStatus
    step_token: str | None
    version: VersionRef
    step: Step | None
    channel: str = "web"
    handoff: Handoff | None = None
    misses: int = 0
    notice: str | None = None
    progress: Progress | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    for_person: bool = False  # the reader is an operator (sees the real step when handed off)
    language: str = ""  # the script's language (its manifest), for renderers' own phrases
