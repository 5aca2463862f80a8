"""Plain dataclasses the rest of Cuebook speaks.

A :class:`StepView` is channel-neutral: renderers in ``player/`` turn it into
HTML, chat JSON or IVR JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SessionStatus = Literal["waiting", "completed", "handed_off", "failed"]
StepKind = Literal["form", "choice", "message", "handoff", "end"]
Channel = Literal["web", "chat", "ivr"]
CHANNELS: tuple[str, ...] = ("web", "chat", "ivr")


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
    can_go_back: bool = False
    field: str | None = None
    voice: str | None = None
    max_misses: int = 3
    lane: str | None = None


@dataclass(frozen=True)
class Handoff:
    queue: str
    reason: str


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

    def as_dict(self) -> dict[str, Any]:
        """The JSON form of the API (variables are not part of it). Built by hand: hot path."""
        step = self.step
        return {
            "session_id": self.session_id,
            "status": self.status,
            "step_token": self.step_token,
            "version": {"script": self.version.script, "number": self.version.number},
            "step": None
            if step is None
            else {
                "id": step.id,
                "kind": step.kind,
                "title": step.title,
                "text": step.text,
                "hints": step.hints,
                "schema": step.schema,
                "ui_schema": step.ui_schema,
                "options": [{"value": o.value, "label": o.label} for o in step.options],
                "can_go_back": step.can_go_back,
                "field": step.field,
                "voice": step.voice,
                "max_misses": step.max_misses,
                "lane": step.lane,
            },
            "channel": self.channel,
            "handoff": None
            if self.handoff is None
            else {"queue": self.handoff.queue, "reason": self.handoff.reason},
            "misses": self.misses,
            "notice": self.notice,
            "progress": None
            if self.progress is None
            else {"steps_taken": self.progress.steps_taken},
        }
