"""Commands that move a session's workflow: start, step, back, resume.

Each public command opens its own transaction(s) on the ``Database`` it is given; a step
that reaches a service task runs its calls outside the row lock (engine/service_calls.py).
The ``*_in`` forms work inside a caller's unit of work.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError

from engine import metrics
from engine.bpmn.runner import Suspended, TaskEvent
from engine.errors import (
    CannotGoBack,
    Detail,
    NotPublished,
    NotWaitingForAnswer,
    ScriptNotFound,
    ValidationFailed,
)
from engine.model import CHANNELS, StepView
from engine.persistence.database import Database, UnitOfWork
from engine.releases import chosen_version
from engine.service_calls import (
    ServiceCaller,
    Suspension,
    calls_outside_the_lock,
    keep_suspended,
    suspended_step,
)
from engine.sessions import observed
from engine.sessions.answers import checked_answer
from engine.sessions.handoff import check_may_act, hand_off, miss
from engine.sessions.journal import Journal, dumps
from engine.sessions.loading import compiled_for, language_of, load_session
from engine.sessions.model import Actor, HandoffReason, Reply, Session, Status
from engine.sessions.queries import get_session_in
from engine.sessions.replies import read_reply
from engine.sessions.runtime import Engine
from engine.sessions.tokens import check_token
from engine.sessions.transitions import (
    arrive,
    first_session,
    record_arrival,
    restore_to_change,
    save_transition,
)
from engine.sessions.views import view_of
from engine.task_data_forms import answer_validator


def _caller(engine: Engine) -> ServiceCaller | None:
    return engine.calls


# -- start ----------------------------------------------------------------------------------


def start_session(
    database: Database,
    engine: Engine,
    *,
    script: str,
    channel: str,
    variables: dict[str, Any],
    session_key: str | None,
    actor: Actor,
    customer_key: str | None = None,
) -> tuple[StepView, bool]:
    """Start a session on the script's published version; returns (view, created).
    ``customer_key`` names the customer, for their history across channels."""
    if channel not in CHANNELS:
        raise ValidationFailed(
            f"unknown channel {channel!r}; use one of {', '.join(CHANNELS)}",
            [Detail("channel", f"must be one of {', '.join(CHANNELS)}")],
        )
    if not isinstance(variables, dict):
        raise ValidationFailed(
            "variables must be a JSON object", [Detail("variables", "must be an object")]
        )
    return calls_outside_the_lock(
        database,
        _caller(engine),
        lambda uow: start_session_in(
            uow,
            engine,
            script=script,
            channel=channel,
            variables=variables,
            session_key=session_key,
            actor=actor,
            customer_key=customer_key,
        ),
    )


def start_session_in(
    uow: UnitOfWork,
    engine: Engine,
    *,
    script: str,
    channel: str,
    variables: dict[str, Any],
    session_key: str | None,
    actor: Actor,
    customer_key: str | None = None,
) -> tuple[StepView, bool]:
    if session_key:
        existing = uow.instances.find_open(script, session_key)
        if existing is not None:
            return get_session_in(uow, engine, existing), False
    release = chosen_version(uow.scripts.published_version_id(script), session_key)
    if release is None:
        if uow.scripts.get(script) is None:
            raise ScriptNotFound(f"script {script!r} not found")
        raise NotPublished(f"script {script!r} has no published version")
    compiled = engine.specs.get(uow, release["version_id"])
    if compiled.routing is not None:
        raise ValidationFailed(
            f"script {script!r} routes tickets: open one with POST /api/v1/tickets",
            [Detail("script", "is a routing script")],
        )
    workflow = engine.runner.start(compiled, variables)
    ran: list[TaskEvent] = []
    engine.runner.advance(workflow, ran)
    outcome = arrive(engine, compiled, workflow, channel)
    now = engine.clock()
    session = first_session(
        engine,
        release,
        workflow,
        outcome,
        now,
        session_id=str(uuid.uuid4()),
        script=script,
        channel=channel,
        session_key=session_key,
    )
    session.customer_key = customer_key
    if not _insert(uow, session):
        existing = uow.instances.find_open(script, session_key or "")
        if existing is None:
            raise RuntimeError("a concurrent start of this session key vanished")
        return get_session_in(uow, engine, existing), False
    observed.note(session.id, script, release["number"])
    journal = Journal(session.id, script, channel, now)
    journal.note("started", actor=actor.name, answer=dumps(variables) if variables else None)
    journal.ran(ran, "engine")
    journal.emit(
        "started",
        version=release["number"],
        channel=channel,
        actor=actor.name,
        status=outcome.status.value,
        next=outcome.step.id,
    )
    record_arrival(journal, outcome, script, None)
    for hook in engine.start_hooks:
        hook(uow, engine, session, workflow, outcome, journal)
    uow.history.add_many(journal.history)
    uow.outbox.add_many(journal.events)
    uow.after_commit(lambda: engine.live.put(session.id, 0, workflow))
    if outcome.handoff is not None:
        uow.entered_queue(outcome.handoff.queue)
    metrics.SESSIONS_STARTED.labels(script, channel).inc()
    return view_of(session, outcome.step, language=language_of(engine, compiled)), True


def _insert(uow: UnitOfWork, session: Session) -> bool:
    """Insert the new row; False if a concurrent start took its session key first."""
    if not session.session_key:
        uow.instances.add(**session.as_row())
        return True
    try:
        with uow.conn.begin_nested():
            uow.instances.add(**session.as_row())
    except IntegrityError:
        return False
    return True


# -- step -----------------------------------------------------------------------------------


def submit_step(
    database: Database, engine: Engine, session_id: str, reply: Reply, actor: Actor
) -> StepView:
    """Take one step. A retried token for a step already taken changes nothing."""
    return calls_outside_the_lock(
        database, _caller(engine), lambda uow: submit_step_in(uow, engine, session_id, reply, actor)
    )


def submit_step_in(
    uow: UnitOfWork, engine: Engine, session_id: str, reply: Reply, actor: Actor
) -> StepView:
    session = load_session(uow, session_id, for_update=True, live=engine.live)
    if not check_token(session, reply.step_token):
        return get_session_in(uow, engine, session_id, for_person=not actor.is_bot)
    check_may_act(session, actor)
    compiled = compiled_for(uow, engine, session)
    carried = suspended_step(session_id, session.lock_version)
    if carried is not None:  # the last attempt stopped at a service task: go on from there
        return _go_on(uow, engine, session, compiled, carried, reply, actor)
    workflow = restore_to_change(engine, compiled, session, uow)
    position = engine.runner.position(compiled, workflow)
    if position.task is None or position.step_spec is None:
        raise NotWaitingForAnswer(
            f"session {session_id} is waiting for an event, not for an answer"
        )
    spec = position.step_spec
    if reply.answer is None:
        now = engine.clock()
        step = engine.runner.describe(compiled, position, dict(position.task.data))
        reading = read_reply(engine, step, reply, answer_validator(spec, position.task.data))
        if reading.answer is None:
            # Nothing changes in the workflow: keep it for the next step.
            uow.after_commit(lambda: engine.live.put(session_id, session.lock_version, workflow))
            if reading.wants_person and session.on_bot_channel:
                return hand_off(
                    uow, engine, session, compiled, step, now, actor,
                    reason="the customer asked for a person",
                    code=HandoffReason.CUSTOMER_ASKED,
                    queue=spec.handoff_queue,
                )  # fmt: skip
            return miss(uow, engine, session, compiled, step, now, actor, reply, reading.reason)
        answer = reading.answer
    else:
        answer = reply.answer
    return _complete(uow, engine, session, compiled, workflow, position, answer, reply, actor)


def _complete(
    uow: UnitOfWork,
    engine: Engine,
    session: Session,
    compiled: Any,
    workflow: Any,
    position: Any,
    answer: Any,
    reply: Reply,
    actor: Actor,
) -> StepView:
    """Complete the waiting task with a checked answer, run on, and save where it arrived."""
    spec = position.step_spec
    answer = checked_answer(spec, answer, position.task.data)
    ran: list[TaskEvent] = []
    started = time.perf_counter()
    try:
        engine.runner.complete(workflow, position.task, answer, ran)
    except Suspended as exc:
        keep_suspended(exc, session.id, session.lock_version, (spec, answer))
        raise
    return _arrived(
        uow, engine, session, compiled, workflow, (spec, answer), ran, reply, actor, started
    )


def _go_on(
    uow: UnitOfWork,
    engine: Engine,
    session: Session,
    compiled: Any,
    carried: Suspension,
    reply: Reply,
    actor: Actor,
) -> StepView:
    """Finish a step from the service task it stopped at, its call's outcome now at hand."""
    started = time.perf_counter()
    try:
        engine.runner.go_on(carried.workflow, carried.task, carried.ran)
    except Suspended as exc:
        keep_suspended(exc, session.id, session.lock_version, carried.context)
        raise
    return _arrived(
        uow, engine, session, compiled, carried.workflow, carried.context, carried.ran, reply,
        actor, started,
    )  # fmt: skip


def _arrived(
    uow: UnitOfWork,
    engine: Engine,
    session: Session,
    compiled: Any,
    workflow: Any,
    taken: tuple[Any, Any],
    ran: list[TaskEvent],
    reply: Reply,
    actor: Actor,
    started: float,
) -> StepView:
    """Save where a completed step arrived: history, events, the new state."""
    spec, answer = taken
    now = engine.clock()
    outcome = arrive(engine, compiled, workflow, session.channel)
    journal = Journal(session.id, session.script_key, session.channel, now)
    journal.note(
        "left",
        element=spec.id,
        name=spec.title,
        kind=spec.kind,
        actor=actor.name,
        answer=dumps(answer),
        text=reply.said,
    )
    journal.ran(ran, "engine")
    journal.emit(
        "step_taken",
        step=spec.id,
        actor=actor.name,
        status=_shown_status(session, outcome.status).value,
        next=outcome.step.id,
    )
    written = save_transition(uow, engine, session, workflow, outcome, journal)
    metrics.step_timed(session.script_key, session.version_number, time.perf_counter() - started)
    metrics.STEPS_TAKEN.labels(session.script_key, session.channel).inc()
    return view_of(
        written,
        outcome.step,
        handoff=outcome.handoff,
        for_person=not actor.is_bot,
        language=language_of(engine, compiled),
    )


def _shown_status(session: Session, arrived: Status) -> Status:
    """The status a client will see: a session with a person stays with them while it waits."""
    if session.with_person and not arrived.ended:
        return Status.HANDED_OFF
    return arrived


# -- back -----------------------------------------------------------------------------------


def go_back(
    database: Database, engine: Engine, session_id: str, step_token: str, actor: Actor
) -> StepView:
    """Return to the previous human step; answers after it are discarded (history says so)."""
    return calls_outside_the_lock(
        database,
        _caller(engine),
        lambda uow: go_back_in(uow, engine, session_id, step_token, actor),
    )


def go_back_in(
    uow: UnitOfWork, engine: Engine, session_id: str, step_token: str, actor: Actor
) -> StepView:
    session = load_session(uow, session_id, for_update=True, live=engine.live)
    if not check_token(session, step_token):
        return get_session_in(uow, engine, session_id, for_person=not actor.is_bot)
    check_may_act(session, actor)
    compiled = compiled_for(uow, engine, session)
    workflow = restore_to_change(engine, compiled, session, uow)
    position = engine.runner.position(compiled, workflow)
    task = position.task
    target = engine.runner.back_target(compiled, task) if task is not None else None
    if target is None:
        raise CannotGoBack(f"session {session_id} cannot go back from this step")
    left = position.step_spec.id if position.step_spec else ""
    engine.runner.reset_to(workflow, target)
    engine.runner.advance(workflow, [])
    outcome = arrive(engine, compiled, workflow, session.channel)
    journal = Journal(session.id, session.script_key, session.channel, engine.clock())
    journal.note(
        "back",
        element=left,
        actor=actor.name,
        text=f"went back to {outcome.step.id}; answers given after it are discarded",
    )
    journal.emit("went_back", **{"from": left, "to": outcome.step.id})
    written = save_transition(uow, engine, session, workflow, outcome, journal)
    return view_of(
        written,
        outcome.step,
        handoff=outcome.handoff,
        for_person=not actor.is_bot,
        language=language_of(engine, compiled),
    )


# -- resume (timers, messages) --------------------------------------------------------------


def resume(
    uow: UnitOfWork,
    engine: Engine,
    session_id: str,
    trigger: Callable[[Any], None],
    *,
    actor: str,
    event: str,
) -> StepView | None:
    """Let an event (a timer, a message) move a waiting instance on, in this transaction.

    ``trigger(workflow)`` delivers the event. Returns the new view, or None if the session
    has ended.
    """
    session = load_session(uow, session_id, for_update=True)
    if session.ended:
        return None
    compiled = compiled_for(uow, engine, session)
    workflow = restore_to_change(engine, compiled, session, uow)
    before = engine.runner.position(compiled, workflow)
    trigger(workflow)
    ran: list[TaskEvent] = []
    engine.runner.advance(workflow, ran)
    outcome = arrive(engine, compiled, workflow, session.channel)
    was_at = before.step_spec.id if before.step_spec else None
    moved = bool(ran) or outcome.step.id != was_at
    journal = Journal(session.id, session.script_key, session.channel, engine.clock(), actor)
    journal.ran(ran, actor)
    journal.emit(event)
    written = save_transition(uow, engine, session, workflow, outcome, journal, moved=moved)
    return view_of(
        written, outcome.step, handoff=outcome.handoff, language=language_of(engine, compiled)
    )
