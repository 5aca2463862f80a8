"""What a session leaves behind: history rows, outbox events and business counters.

History is append-only, one row per element left or entered and per handoff, claim,
miss or going back; events go to the outbox in the same transaction as the change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine import metrics
from engine.bpmn.runner import Position, TaskEvent
from engine.model import Handoff, Step
from engine.outbox import event_row
from engine.sessions.model import Status


@dataclass
class Outcome:
    """Where a workflow arrived after a change, computed before any write."""

    position: Position
    step: Step
    status: Status
    handoff: Handoff | None = None


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


class Journal:
    """History rows and events of one change to one session, collected, then written."""

    def __init__(
        self, session_id: str, script: str, channel: str, now: datetime, actor: str = ""
    ) -> None:
        self.session_id = session_id
        self.script = script
        self.channel = channel
        self.now = now
        self.actor = actor  # who moved the instance (an operator, "timer", a message's sender)
        self.history: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []

    def note(self, event: str, **values: Any) -> None:
        row = {
            "instance_id": self.session_id,
            "at": self.now,
            "event": event,
            "element": "",
            "name": "",
            "kind": "",
            "actor": "",
            "channel": self.channel,
            "text": None,
            "answer": None,
        }
        row.update(values)
        self.history.append(row)

    def emit(self, kind: str, **data: Any) -> None:
        self.events.append(
            event_row(f"session.{kind}", self.session_id, {"script": self.script, **data}, self.now)
        )

    def ran(self, ran: list[TaskEvent], actor: str) -> None:
        for e in ran:
            self.note("left", element=e.element, name=e.name, kind=e.kind, actor=actor)

    def arrived(self, outcome: Outcome) -> None:
        """History of where the session arrived: an end, or a step entered (and a handoff)."""
        step = outcome.step
        if outcome.status.ended:
            self.note("ended", element=step.id, kind=outcome.status.value, text=step.text or None)
            return
        self.note(
            "entered", element=step.id, name=step.title, kind=step.kind, text=step.text or None
        )
        if outcome.handoff is not None:
            self.handed_off(step.id, outcome.handoff, actor="")

    def arrival_events(self, outcome: Outcome) -> None:
        """Events of an arrival that changes the session's status (a plain arrival is carried
        by the step_taken / started event itself)."""
        if outcome.status.ended:
            self.emit(outcome.status.value, end=outcome.step.id)
        elif outcome.handoff is not None:
            self.handoff_event(outcome.handoff)

    def handed_off(self, element: str, handoff: Handoff, *, actor: str) -> None:
        self.note("handoff", element=element, kind=handoff.queue, actor=actor, text=handoff.reason)

    def handoff_event(self, handoff: Handoff) -> None:
        self.emit("handed_off", queue=handoff.queue, reason=handoff.reason, code=handoff.code)


def count_arrival(script: str, outcome: Outcome, earlier_outcome: str | None) -> None:
    """Business counters for where a session arrived (ends, handoffs, steps reached)."""
    if outcome.status.ended:
        ended = "failed" if outcome.status is Status.FAILED else earlier_outcome or "automated"
        metrics.SESSIONS_ENDED.labels(script, ended).inc()
    elif outcome.handoff is not None:
        count_handoff(script, outcome.handoff)
    if outcome.status is not Status.COMPLETED and outcome.step.id:
        metrics.STEPS_ENTERED.labels(script, outcome.step.id).inc()


def count_handoff(script: str, handoff: Handoff) -> None:
    metrics.HANDOFFS.labels(script, handoff.queue, handoff.code).inc()
