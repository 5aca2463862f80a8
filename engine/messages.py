"""Inbound messages (a CRM update, a customer's e-mail) delivered to waiting instances.

A message goes to one session by id, or to every open session whose external
``session_key`` equals the message's correlation key, if it waits for that message name.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.util.task import TaskState

from engine.errors import Detail, NotWaitingForMessage, ValidationFailed
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


def _check(name: str, payload: Any) -> None:
    if not name:
        raise ValidationFailed("a message needs a name", [Detail("name", "is required")])
    if payload is not None and not isinstance(payload, dict | list | str | int | float | bool):
        raise ValidationFailed("payload must be JSON", [Detail("payload", "must be JSON")])


def send_to_session(
    database: Database, engine: Engine, session_id: str, name: str, payload: Any, actor: str
) -> StepView:
    """Deliver a message to one session (refused if it does not wait for it); service tasks
    it reaches are called outside the row lock."""
    _check(name, payload)

    def deliver(uow: UnitOfWork) -> StepView:
        trigger = deliver_message(name, payload)
        view = resume(uow, engine, session_id, trigger, actor=actor, event="message_received")
        return view if view is not None else get_session_in(uow, engine, session_id)

    return calls_outside_the_lock(database, engine.calls, deliver)


def send_correlated(
    database: Database,
    engine: Engine,
    name: str,
    correlation_key: str,
    payload: Any,
    actor: str,
) -> list[str]:
    """Deliver to every open session with this session key that waits for ``name``."""
    _check(name, payload)
    if not correlation_key:
        raise ValidationFailed(
            "correlation_key is required", [Detail("correlation_key", "is required")]
        )
    with database.unit_of_work() as uow:
        candidates = uow.instances.open_by_session_key(correlation_key)
    delivered = []
    for session_id in candidates:
        # One transaction per session, calls outside its lock; a session that stopped
        # waiting for the message meanwhile is skipped.
        def deliver(uow: UnitOfWork, session_id: str = session_id) -> bool:
            row = uow.instances.get(session_id, for_update=True)
            if row is None:
                return False
            compiled = engine.specs.get(uow, row["version_id"])
            if not waits_for(engine.runner.restore(compiled, row["state"]), name):
                return False
            trigger = deliver_message(name, payload)
            resume(uow, engine, session_id, trigger, actor=actor, event="message_received")
            return True

        if calls_outside_the_lock(database, engine.calls, deliver):
            delivered.append(session_id)
    return delivered
