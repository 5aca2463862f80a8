"""A session and people: a reply not understood, a handoff to a queue, claim, hand back.

A bot channel hands a session to a person when the customer asks for one, when replies are
not understood ``max_misses`` times, or at a step that needs a person. An operator claims it
(of two claiming at once one wins), works the same instance, and may hand it back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine import metrics
from engine.errors import (
    ClaimedByAnother,
    IsATicket,
    NeedsPerson,
    NotClaimed,
    NotWithPerson,
    WithPerson,
)
from engine.language import not_understood_notice
from engine.model import Handoff, Step, StepView
from engine.persistence.database import Database, UnitOfWork
from engine.sessions.journal import Journal, count_handoff, dumps
from engine.sessions.loading import compiled_for, language_of, load_session
from engine.sessions.model import Actor, HandoffReason, Reply, Session, Status
from engine.sessions.queries import get_session_in
from engine.sessions.runtime import Engine
from engine.sessions.tokens import new_token
from engine.sessions.transitions import handoff_values, queue_for
from engine.sessions.views import view_of


def check_may_act(session: Session, actor: Actor) -> None:
    """A session with a person may be moved only by the operator who claimed it (or admin).
    A ticket's workflow moves only through its work items."""
    if session.is_ticket:
        raise IsATicket(
            f"instance {session.id} is a ticket's workflow: use its work items "
            "(/api/v1/work-items/{id}/claim, /complete)"
        )
    if not session.with_person:
        return
    if actor.is_bot:
        raise WithPerson(
            f"session {session.id} is with a person (queue {session.handoff_queue}); "
            "the bot is paused until it is handed back",
            [],
        )
    if session.assignee is None:
        raise NotClaimed(
            f"session {session.id} waits in queue {session.handoff_queue}: claim it first"
        )
    if session.assignee != actor.name and actor.role != "admin":
        raise ClaimedByAnother(f"session {session.id} is claimed by {session.assignee}")


def hand_off(
    uow: UnitOfWork,
    engine: Engine,
    session: Session,
    compiled: Any,
    step: Step,
    now: datetime,
    actor: Actor,
    *,
    reason: str,
    code: HandoffReason,
    queue: str | None,
) -> StepView:
    """Move a waiting session to a person's queue at the step it waits at."""
    handoff = Handoff(queue_for(compiled, queue), reason, code.value)
    values: dict[str, Any] = {"status": Status.HANDED_OFF.value, "updated_at": now, "misses": 0}
    values.update(handoff_values(handoff, now))
    uow.instances.update(session.id, **values)
    uow.entered_queue(handoff.queue)
    journal = Journal(session.id, session.script_key, session.channel, now)
    journal.handed_off(step.id, handoff, actor=actor.name)
    journal.handoff_event(handoff)
    uow.history.add_many(journal.history)
    uow.outbox.add_many(journal.events)
    count_handoff(session.script_key, handoff)
    for name, value in values.items():
        setattr(session, name, value)
    session.status = Status.HANDED_OFF
    return view_of(session, step, handoff=handoff, language=language_of(engine, compiled))


def miss(
    uow: UnitOfWork,
    engine: Engine,
    session: Session,
    compiled: Any,
    step: Step,
    now: datetime,
    actor: Actor,
    reply: Reply,
    reason: str,
) -> StepView:
    """A reply that matched nothing: count it; after ``max_misses`` a bot hands off."""
    misses = session.misses + 1
    journal = Journal(session.id, session.script_key, session.channel, now)
    journal.note(
        "not_understood",
        element=step.id,
        kind=step.kind,
        actor=actor.name,
        text=reply.said,
        answer=dumps({"reason": reason}),
    )
    uow.history.add_many(journal.history)
    metrics.NOT_UNDERSTOOD.labels(session.script_key, step.id).inc()
    if misses >= step.max_misses and session.on_bot_channel:
        return hand_off(
            uow, engine, session, compiled, step, now, actor,
            reason=f"not understood {misses} times at step {step.id}",
            code=HandoffReason.NOT_UNDERSTOOD,
            queue=None,
        )  # fmt: skip
    uow.instances.update(session.id, misses=misses, updated_at=now)
    session.misses = misses
    language = language_of(engine, compiled)
    notice = not_understood_notice(
        language, misses=misses, max_misses=step.max_misses, kind=step.kind, reason=reason
    )
    return view_of(session, step, notice=notice, language=language)


def claim(database: Database, engine: Engine, session_id: str, actor: Actor) -> StepView:
    """An operator takes a handed-off session: of two claiming at once, one wins."""
    with database.unit_of_work() as uow:
        return claim_in(uow, engine, session_id, actor)


def claim_in(uow: UnitOfWork, engine: Engine, session_id: str, actor: Actor) -> StepView:
    """``claim`` inside the caller's unit of work (an accepted offer claims this way)."""
    session = load_session(uow, session_id, for_update=False)
    if not session.with_person:
        raise NotWithPerson(
            f"session {session_id} is not waiting for a person (status {session.status.value})"
        )
    now = engine.clock()
    if not uow.instances.claim(session_id, actor.name, now):
        raise ClaimedByAnother(f"session {session_id} is already claimed")
    journal = Journal(session.id, session.script_key, session.channel, now)
    journal.note(
        "claimed",
        element=session.current_element or "",
        kind=session.handoff_queue or "",
        actor=actor.name,
    )
    journal.emit("claimed", queue=session.handoff_queue, operator=actor.name)
    uow.history.add_many(journal.history)
    uow.outbox.add_many(journal.events)
    return get_session_in(uow, engine, session_id, channel="web", for_person=True)


def hand_back(database: Database, engine: Engine, session_id: str, actor: Actor) -> StepView:
    """The operator returns the session to the bot, which continues at the current step."""
    with database.unit_of_work() as uow:
        session = load_session(uow, session_id, for_update=True)
        if not session.with_person:
            raise NotWithPerson(
                f"session {session_id} is not with a person (status {session.status.value})"
            )
        check_may_act(session, actor)
        compiled = compiled_for(uow, engine, session)
        workflow = engine.runner.restore(compiled, session.state)
        position = engine.runner.position(compiled, workflow)
        if position.step_spec is not None and position.step_spec.needs_person:
            raise NeedsPerson(
                f"step {position.step_spec.id} needs a person: finish it before handing back"
            )
        now = engine.clock()
        seq = session.step_seq + 1
        uow.instances.update(
            session_id,
            status=Status.WAITING.value,
            assignee=None,
            handoff_queue=None,
            handoff_reason=None,
            handoff_code=None,
            handed_off_at=None,
            misses=0,
            step_seq=seq,
            step_token=new_token(seq),
            updated_at=now,
        )
        journal = Journal(session.id, session.script_key, session.channel, now)
        journal.note("handed_back", element=session.current_element or "", actor=actor.name)
        journal.emit("handed_back", operator=actor.name)
        uow.history.add_many(journal.history)
        uow.outbox.add_many(journal.events)
        return get_session_in(uow, engine, session_id)
