"""Messages delivered to a waiting instance: the trigger that puts a message into a
workflow, and a message to one session that must be waiting for it
(``POST /api/v1/sessions/{id}/messages``). Messages by correlation key, from Kafka or
``POST /api/v1/messages``, go through ``engine/events/inbound.py``.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.util.task import TaskState

from engine.errors import Detail, NotWaitingForMessage, ValidationFailed
from engine.events.known import KnownMessages
from engine.model import StepView
from engine.persistence.database import Database, UnitOfWork
from engine.service_calls import calls_outside_the_lock
from engine.sessions import Engine, get_session_in, resume


def _waiting_definition(workflow: Any, name: str) -> Any | None:
    """The message definition a waiting task would catch ``name`` with: its own, or one of
    an event-based gateway's (SpiffWorkflow keeps those as one definition of several)."""
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        inner = getattr(definition, "event_definitions", None) or [definition]
        for candidate in inner:
            if isinstance(candidate, MessageEventDefinition) and candidate.name == name:
                return candidate
    return None


def waits_for(workflow: Any, name: str) -> bool:
    return _waiting_definition(workflow, name) is not None


def deliver_message(name: str, payload: Any) -> Any:
    """A trigger for ``resume``: the message ``name`` with ``payload`` to the workflow's
    waiting catch event (NotWaitingForMessage if none waits for it)."""

    def trigger(workflow: Any) -> None:
        definition = _waiting_definition(workflow, name)
        if definition is None:
            raise NotWaitingForMessage(f"the session is not waiting for message {name!r}")
        workflow.send_event(BpmnEvent(definition, payload=payload))

    return trigger


def check_event(name: str, payload: Any, what: str = "message") -> None:
    """A message's or a signal's name (1-200 characters) and JSON payload."""
    if not name or len(name) > 200:
        raise ValidationFailed(
            f"a {what} needs a name of up to 200 characters", [Detail("name", "is required")]
        )
    if payload is not None and not isinstance(payload, dict | list | str | int | float | bool):
        raise ValidationFailed("payload must be JSON", [Detail("payload", "must be JSON")])


def send_to_session(
    database: Database,
    engine: Engine,
    session_id: str,
    name: str,
    payload: Any,
    actor: str,
    *,
    known: KnownMessages | None = None,
) -> StepView:
    """Deliver a message to one session (refused if it does not wait for it, or if ``known``
    gives a payload schema for it that the payload breaks); service tasks it reaches are
    called outside the row lock."""
    check_event(name, payload)
    details = known.payload_problems(name, payload) if known is not None else []
    if details:
        raise ValidationFailed(
            f"the payload does not fit message {name!r}: {details[0].path}: {details[0].message}",
            details,
        )

    def deliver(uow: UnitOfWork) -> StepView:
        trigger = deliver_message(name, payload)
        view = resume(uow, engine, session_id, trigger, actor=actor, event="message_received")
        return view if view is not None else get_session_in(uow, engine, session_id)

    return calls_outside_the_lock(database, engine.calls, deliver)
