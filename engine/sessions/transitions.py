"""Where a workflow arrived, and the one write of a session's new state.

Start, step, back and resume all end the same way: decide where the workflow stands
(``arrive``), then write state, status, step token, history and events in one statement
(``save_transition``). Keeping that in one place keeps one rule for how a handed-off
session stays with its person and when an outcome is recorded.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any

from engine.model import Handoff
from engine.persistence.database import UnitOfWork
from engine.sessions.journal import Journal, Outcome, count_arrival
from engine.sessions.model import HandoffReason, Session, Status
from engine.sessions.runtime import DEFAULT_QUEUE, Engine
from engine.sessions.tokens import new_token


def queue_for(compiled: Any, step_queue: str | None) -> str:
    """The step's own queue, else the script's (manifest ``handoff_queue``), else the default."""
    return step_queue or str(compiled.manifest.get("handoff_queue") or DEFAULT_QUEUE)


def arrive(engine: Engine, compiled: Any, workflow: Any, channel: str) -> Outcome:
    """Where the workflow waits or ended, described for the session's channel."""
    runner = engine.runner
    position = runner.position(compiled, workflow)
    step = runner.describe(compiled, position, runner.data_of(workflow, position))
    status = Status(position.status)
    handoff = None
    spec = position.step_spec
    if status is Status.WAITING and spec is not None and position.task is not None:
        if spec.needs_person and channel in ("chat", "ivr"):
            reason = f"step {spec.id} needs a person"
            handoff = Handoff(
                queue_for(compiled, spec.handoff_queue),
                reason,
                HandoffReason.STEP_NEEDS_PERSON.value,
            )
            status = Status.HANDED_OFF
        can_back = runner.back_target(compiled, position.task) is not None
        step = replace(step, can_go_back=can_back)
    return Outcome(position, step, status, handoff)


def handoff_values(handoff: Handoff, now: datetime) -> dict[str, Any]:
    return {
        "handoff_queue": handoff.queue,
        "handoff_reason": handoff.reason,
        "handoff_code": handoff.code,
        "handed_off_at": now,
        "outcome": "handed_off",
        "assignee": None,
    }


def _parse_ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def record_arrival(journal: Journal, outcome: Outcome, script: str, earlier: str | None) -> None:
    """History, events and counters of where a session arrived."""
    journal.arrived(outcome)
    journal.arrival_events(outcome)
    count_arrival(script, outcome, earlier)


def save_transition(
    uow: UnitOfWork,
    engine: Engine,
    session: Session,
    workflow: Any,
    outcome: Outcome,
    journal: Journal,
    *,
    moved: bool = True,
) -> Session:
    """Write the workflow's new state and where it arrived; returns the session as written.

    The journal holds what the use case itself records (the step left, the event that moved
    it); the arrival is recorded here. A session with a person stays with them while it
    waits. ``moved`` is False when an event changed nothing a client sees (the step token
    and the miss count then stay).
    """
    now = journal.now
    for hook in engine.transition_hooks:  # before the state is saved: a hook may set variables
        hook(uow, engine, session, workflow, outcome, journal)
    if session.with_person and not outcome.status.ended:
        outcome.status = Status.HANDED_OFF
        outcome.handoff = None  # already with a person: no new handoff
    if moved:
        record_arrival(journal, outcome, session.script_key, session.outcome)
    seq = session.step_seq + 1 if moved else session.step_seq
    values: dict[str, Any] = {
        "state": engine.runner.save(workflow),
        "lock_version": session.lock_version + 1,
        "status": outcome.status.value,
        "step_seq": seq,
        "step_token": new_token(seq) if moved else session.step_token,
        "current_element": outcome.step.id,
        "misses": 0 if moved else session.misses,
        "next_timer_at": _parse_ts(outcome.position.next_timer_at),
        "updated_at": now,
    }
    if outcome.status.ended:
        values["ended_at"] = now
        if session.outcome is None and outcome.status is Status.COMPLETED:
            values["outcome"] = "automated"
    if outcome.handoff is not None:
        values.update(handoff_values(outcome.handoff, now))
        uow.entered_queue(outcome.handoff.queue)
    uow.instances.write_step(session.id, values, journal.history, journal.events)
    uow.after_commit(partial(engine.live.put, session.id, values["lock_version"], workflow))
    written = replace(session, **values)
    written.status = Status(values["status"])
    if session.with_person and not written.ended:
        outcome.handoff = written.handoff
    return written


def restore_to_change(
    engine: Engine, compiled: Any, session: Session, uow: UnitOfWork | None = None
) -> Any:
    """The workflow to change: the live one if it is current, else restored from state.

    A session loaded without its state (``loading.load_session`` with live workflows) whose
    live workflow has gone meanwhile has its state read through ``uow``."""
    workflow = engine.live.take(session.id, session.lock_version)
    if workflow is not None:
        return workflow
    state = session.state
    if not state:
        if uow is None:
            raise RuntimeError(f"session {session.id} was loaded without its state")
        state = uow.instances.state_of(session.id) or ""
        session.state = state
    return engine.runner.restore(compiled, state)


def first_session(
    engine: Engine,
    release: Any,
    workflow: Any,
    outcome: Outcome,
    now: datetime,
    *,
    session_id: str,
    script: str,
    channel: str,
    session_key: str | None = None,
    customer_key: str | None = None,
) -> Session:
    """A new instance row's session: where its workflow arrived on its first advance."""
    session = Session(
        id=session_id,
        script_id=release["script_id"],
        script_key=script,
        version_id=release["version_id"],
        version_number=release["number"],
        status=outcome.status,
        channel=channel,
        session_key=session_key,
        state=engine.runner.save(workflow),
        lock_version=0,
        step_seq=0,
        step_token=new_token(0),
        current_element=outcome.step.id,
        misses=0,
        outcome="automated" if outcome.status is Status.COMPLETED else None,
        handoff_queue=None,
        handoff_reason=None,
        handoff_code=None,
        handed_off_at=None,
        assignee=None,
        next_timer_at=_parse_ts(outcome.position.next_timer_at),
        created_at=now,
        updated_at=now,
        ended_at=now if outcome.status.ended else None,
        customer_key=customer_key,
    )
    if outcome.handoff is not None:
        for name, value in handoff_values(outcome.handoff, now).items():
            setattr(session, name, value)
    return session
