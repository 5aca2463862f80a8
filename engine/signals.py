"""Signals and thrown messages: what one session sends to others.

A BPMN signal is a broadcast. A session that throws one (an intermediate throw or an end
event) reaches every other open session of the same script that waits for it (a catch
event, a boundary event, an event-based gateway); an integrator sends one to every
session of every script with ``POST /api/v1/signals/{name}``. A message a session sends
(a send task, a message throw or end event) goes to the open sessions that share its
session key and wait for that message, as ``POST /api/v1/messages`` would deliver it, and
out as a ``session.message_sent`` event.

Which sessions wait for which signal is kept in ``signal_waits`` by every state write of a
script that catches signals (a transition hook, and the start of a session), so a
broadcast reads no saved state to find its sessions. Deliveries to other sessions run
after the sender's commit, each in a transaction of its own with service calls outside
the row lock; a session that stopped waiting meanwhile is skipped.
"""

from __future__ import annotations

import logging
import uuid
import weakref
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent, ThrowingEvent
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.util.task import TaskState

from engine.errors import NotWaitingForSignal, ScriptNotFound, SessionNotFound
from engine.events.inbound import InboundMessage, deliver_in
from engine.messages import check_event
from engine.persistence.database import Database, UnitOfWork
from engine.persistence.signals import SignalWaits
from engine.service_calls import calls_outside_the_lock
from engine.sessions import Engine, resume

log = logging.getLogger("cuebook.signals")

_SCRIPTS: weakref.WeakKeyDictionary[Any, tuple[frozenset[str], dict[str, str]]] = (
    weakref.WeakKeyDictionary()
)


def _definitions(task_spec: Any) -> list[Any]:
    definition = getattr(task_spec, "event_definition", None)
    return list(getattr(definition, "event_definitions", None) or [definition])


def _signals_of(compiled: Any) -> tuple[frozenset[str], dict[str, str]]:
    """The signal names the script catches, and the signal each throwing element throws
    (read from the specs once per compiled version)."""
    found = _SCRIPTS.get(compiled.spec)
    if found is not None:
        return found
    caught: set[str] = set()
    thrown: dict[str, str] = {}
    for spec in (compiled.spec, *compiled.subprocess_specs.values()):
        for task_spec in spec.task_specs.values():
            for definition in _definitions(task_spec):
                if not isinstance(definition, SignalEventDefinition):
                    continue
                if isinstance(task_spec, CatchingEvent):
                    caught.add(definition.name)
                elif isinstance(task_spec, ThrowingEvent) and task_spec.bpmn_id:
                    thrown[task_spec.bpmn_id] = definition.name
    found = (frozenset(caught), thrown)
    _SCRIPTS[compiled.spec] = found
    return found


def _waiting_tasks(workflow: Any) -> Iterable[Any]:
    for wf in (workflow, *workflow.subprocesses.values()):
        for task in wf.tasks.values():
            if task.state == TaskState.WAITING and isinstance(task.task_spec, CatchingEvent):
                yield task


def waiting_signals(workflow: Any) -> set[str]:
    """Names of the signals the workflow waits for now."""
    return {
        d.name
        for task in _waiting_tasks(workflow)
        for d in _definitions(task.task_spec)
        if isinstance(d, SignalEventDefinition)
    }


def _signal_definition(workflow: Any, name: str) -> Any | None:
    for task in _waiting_tasks(workflow):
        for d in _definitions(task.task_spec):
            if isinstance(d, SignalEventDefinition) and d.name == name:
                return d
    return None


def deliver_signal(name: str, payload: Any) -> Callable[[Any], None]:
    """A trigger for ``resume``: the signal to every task of the workflow waiting for it."""

    def trigger(workflow: Any) -> None:
        definition = _signal_definition(workflow, name)
        if definition is None:
            raise NotWaitingForSignal(f"the session is not waiting for signal {name!r}")
        workflow.send_event(BpmnEvent(definition, payload=payload))

    return trigger


def keep_waits(uow: UnitOfWork, compiled: Any, session: Any, workflow: Any, ended: bool) -> None:
    """Record the signals the session waits for now (costs nothing for a script that
    catches none)."""
    caught, _ = _signals_of(compiled)
    if not caught:
        return
    names = () if ended else waiting_signals(workflow)
    SignalWaits(uow.conn).replace(session.id, session.script_key, names)


def broadcast_signal(
    database: Database,
    engine: Engine,
    name: str,
    payload: Any,
    *,
    actor: str,
    script_key: str | None = None,
    exclude: str | None = None,
) -> list[str]:
    """Deliver the signal to every open session waiting for it (of one script, when given);
    returns the ids of the sessions it reached."""
    check_event(name, payload, "signal")
    with database.unit_of_work() as uow:
        if script_key is not None and uow.scripts.get(script_key) is None:
            raise ScriptNotFound(f"script {script_key!r} not found")
        candidates = SignalWaits(uow.conn).waiting(name, script_key, exclude)
    reached = []
    for session_id in candidates:

        def deliver(uow: UnitOfWork, session_id: str = session_id) -> bool:
            # A session that stopped waiting (or ended) meanwhile is skipped unchanged.
            trigger = deliver_signal(name, payload)
            try:
                view = resume(
                    uow, engine, session_id, trigger, actor=actor, event="signal_received"
                )
            except (NotWaitingForSignal, SessionNotFound):
                return False
            return view is not None

        if calls_outside_the_lock(database, engine.calls, deliver):
            reached.append(session_id)
    return reached


def _thrown_messages(workflow: Any) -> list[BpmnEvent]:
    return [
        e for e in workflow.get_events() if isinstance(e.event_definition, MessageEventDefinition)
    ]


def sent_events(database: Database) -> Callable[..., None]:
    """The transition hook: keep the signal waits, and after the commit pass on the signals
    the session threw and the messages it sent."""

    def hook(
        uow: UnitOfWork,
        engine: Engine,
        session: Any,
        workflow: Any,
        outcome: Any,
        journal: Any,
    ) -> None:
        compiled = engine.specs.get(uow, session.version_id)
        keep_waits(uow, compiled, session, workflow, outcome.status.ended)
        _, thrown = _signals_of(compiled)
        signals = [
            thrown[h["element"]]
            for h in journal.history
            if thrown and h["event"] == "left" and h["element"] in thrown
        ]
        messages = _thrown_messages(workflow)
        for message in messages:
            journal.emit("message_sent", message=message.event_definition.name)
        if signals or messages:
            uow.after_commit(
                partial(_pass_on, database, engine, session, signals, messages, journal.actor)
            )

    return hook


def _pass_on(
    database: Database,
    engine: Engine,
    session: Any,
    signals: list[str],
    messages: list[BpmnEvent],
    actor: str,
) -> None:
    """Runs after the sender's commit: never raises (the sender's step is done)."""
    sender = actor or f"session:{session.id}"
    for name in signals:
        try:
            broadcast_signal(
                database,
                engine,
                name,
                None,
                actor=sender,
                script_key=session.script_key,
                exclude=session.id,
            )
        except Exception as exc:
            log.warning("signal %s from session %s not passed on: %s", name, session.id, exc)
    if not session.session_key:
        return
    for event in messages:
        message = InboundMessage(
            message_id=f"session-{session.id}-{uuid.uuid4()}",
            name=event.event_definition.name,
            correlation_key=session.session_key,
            session_id=None,
            payload=event.payload,
            sender=sender,
        )
        try:
            calls_outside_the_lock(
                database, engine.calls, partial(_deliver_sent, engine=engine, message=message)
            )
        except Exception as exc:
            log.warning(
                "message %s from session %s not delivered: %s", message.name, session.id, exc
            )


def _deliver_sent(uow: UnitOfWork, *, engine: Engine, message: InboundMessage) -> list[str]:
    return deliver_in(uow, engine, message)
