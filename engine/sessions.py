"""Sessions: start, step, back, handoff. Each verb is one transaction on one instance row.

The step (DESIGN.md "The step"): lock the instance, check the step token, validate
the answer, restore the workflow against the cached spec, complete the task and
run engine steps, write back state + history + outbox, return a StepView.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy.exc import IntegrityError

from engine import metrics
from engine.bpmn.live import LiveWorkflows
from engine.bpmn.runner import Position, Runner, TaskEvent
from engine.errors import BadRequest, Conflict, Detail, InvalidAnswer, NotFound, ValidationFailed
from engine.model import CHANNELS, Handoff, Progress, Step, StepView, VersionRef
from engine.outbox import event_row
from engine.persistence.database import UnitOfWork
from engine.replies import (
    Interpretation,
    ReplyPolicy,
    interpret_digits,
    interpret_speech,
    interpret_text,
)
from engine.versions import Clock, SpecCache

ENDED = ("completed", "failed")
DEFAULT_QUEUE = "operators"
BOT_CHANNELS = ("chat", "ivr")


@dataclass
class Engine:
    """The collaborators every use case needs (built once by the composition root)."""

    runner: Runner
    specs: SpecCache
    clock: Clock
    policy: ReplyPolicy = field(default_factory=ReplyPolicy)
    live: LiveWorkflows = field(default_factory=LiveWorkflows)


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


def _new_token(seq: int) -> str:
    return f"{seq}.{secrets.token_hex(8)}"


def _token_seq(token: str) -> int | None:
    head = token.split(".", 1)[0]
    return int(head) if head.isdigit() else None


def _history_row(instance_id: str, now: datetime, event: str, **values: Any) -> dict[str, Any]:
    row = {
        "instance_id": instance_id,
        "at": now,
        "event": event,
        "element": "",
        "name": "",
        "kind": "",
        "actor": "",
        "channel": "",
        "text": None,
        "answer": None,
    }
    row.update(values)
    return row


def _ran_rows(
    instance_id: str, now: datetime, ran: list[TaskEvent], actor: str, channel: str
) -> list[dict[str, Any]]:
    return [
        _history_row(
            instance_id,
            now,
            "left",
            element=e.element,
            name=e.name,
            kind=e.kind,
            actor=actor,
            channel=channel,
        )
        for e in ran
    ]


@dataclass
class _Outcome:
    """Everything a step writes back, computed before any write."""

    position: Position
    step: Step
    status: str
    handoff: Handoff | None = None


def _queue(compiled: Any, step_queue: str | None) -> str:
    """The step's own queue, else the script's (manifest ``handoff_queue``), else the default."""
    return step_queue or str(compiled.manifest.get("handoff_queue") or DEFAULT_QUEUE)


def _decide(engine: Engine, compiled: Any, workflow: Any, channel: str) -> _Outcome:
    position = engine.runner.position(compiled, workflow)
    data = engine.runner.data_of(workflow, position)
    step = engine.runner.describe(compiled, position, data)
    status = position.status
    handoff = None
    spec = position.step_spec
    if status == "waiting" and spec is not None and spec.needs_person and channel in BOT_CHANNELS:
        queue = _queue(compiled, spec.handoff_queue)
        handoff = Handoff(queue=queue, reason=f"step {spec.id} needs a person")
        status = "handed_off"
    if status == "waiting" and spec is not None and position.task is not None:
        can_back = engine.runner.back_target(compiled, position.task) is not None
        step = replace(step, can_go_back=can_back)
    return _Outcome(position, step, status, handoff)


def _view(
    row: Any,
    outcome_step: Step | None,
    status: str,
    *,
    handoff: Handoff | None = None,
    notice: str | None = None,
    misses: int = 0,
    channel: str | None = None,
    for_person: bool = False,
) -> StepView:
    step = outcome_step
    if status == "handed_off" and step is not None and handoff is not None and not for_person:
        step = replace(step, kind="handoff")
    return StepView(
        session_id=row["id"],
        status=status,  # type: ignore[arg-type]
        step_token=row["step_token"] if status in ("waiting", "handed_off") else None,
        version=VersionRef(row["script_key"], row["version_number"]),
        step=step,
        channel=channel or row["channel"],
        handoff=handoff,
        misses=misses,
        notice=notice,
        progress=Progress(steps_taken=row["step_seq"]),
    )


def start_session(
    uow: UnitOfWork,
    engine: Engine,
    *,
    script: str,
    channel: str,
    variables: dict[str, Any],
    session_key: str | None,
    actor: Actor,
) -> tuple[StepView, bool]:
    """Start a session on the script's published version; returns (view, created)."""
    if channel not in CHANNELS:
        raise ValidationFailed(
            f"unknown channel {channel!r}; use one of {', '.join(CHANNELS)}",
            [Detail("channel", f"must be one of {', '.join(CHANNELS)}")],
        )
    if not isinstance(variables, dict):
        raise ValidationFailed(
            "variables must be a JSON object", [Detail("variables", "must be an object")]
        )
    if session_key:
        existing = uow.instances.find_open(script, session_key)
        if existing is not None:
            return get_session(uow, engine, existing), False
    release = uow.scripts.published_version_id(script)
    if release is None:
        if uow.scripts.get(script) is None:
            raise NotFound(f"script {script!r} not found")
        raise Conflict(f"script {script!r} has no published version")
    compiled = engine.specs.get(uow, release["version_id"])
    workflow = engine.runner.start(compiled, variables)
    ran: list[TaskEvent] = []
    engine.runner.advance(workflow, ran)
    outcome = _decide(engine, compiled, workflow, channel)
    now = engine.clock()
    instance_id = str(uuid.uuid4())
    token = _new_token(0)
    row = {
        "id": instance_id,
        "script_id": release["script_id"],
        "script_key": script,
        "version_id": release["version_id"],
        "version_number": release["number"],
        "status": outcome.status,
        "channel": channel,
        "session_key": session_key,
        "state": engine.runner.save(workflow),
        "lock_version": 0,
        "step_seq": 0,
        "step_token": token,
        "current_element": outcome.step.id,
        "misses": 0,
        "next_timer_at": _parse_ts(outcome.position.next_timer_at),
        "created_at": now,
        "updated_at": now,
        "ended_at": now if outcome.status in ENDED else None,
        "outcome": "automated" if outcome.status == "completed" else None,
    }
    _apply_handoff(row, outcome.handoff, now)
    if session_key:
        try:
            with uow.conn.begin_nested():
                uow.instances.add(**row)
        except IntegrityError:
            # Another request started this session key a moment ago: answer with that one.
            existing = uow.instances.find_open(script, session_key)
            if existing is None:
                raise
            return get_session(uow, engine, existing), False
    else:
        uow.instances.add(**row)
    rows = [
        _history_row(
            instance_id,
            now,
            "started",
            actor=actor.name,
            channel=channel,
            answer=_dumps(variables) if variables else None,
        )
    ]
    rows += _ran_rows(instance_id, now, ran, "engine", channel)
    rows += _arrival_rows(instance_id, now, outcome, channel)
    uow.history.add_many(rows)
    events = [
        event_row(
            "session.started",
            instance_id,
            {
                "script": script,
                "version": release["number"],
                "channel": channel,
                "actor": actor.name,
                "status": outcome.status,
                "next": outcome.step.id,
            },
            now,
        )
    ]
    events += _status_events(instance_id, outcome, now, script)
    uow.outbox.add_many(events)
    uow.after_commit(partial(engine.live.put, instance_id, 0, workflow))
    metrics.SESSIONS_STARTED.labels(script, channel).inc()
    _count_arrival(script, outcome, None)
    return _view(row, outcome.step, outcome.status, handoff=outcome.handoff), True


def _apply_handoff(row: dict[str, Any], handoff: Handoff | None, now: datetime) -> None:
    if handoff is not None:
        row.update(
            handoff_queue=handoff.queue,
            handoff_reason=handoff.reason,
            handed_off_at=now,
            outcome="handed_off",
            assignee=None,
        )


def _arrival_rows(
    instance_id: str, now: datetime, outcome: _Outcome, channel: str
) -> list[dict[str, Any]]:
    step = outcome.step
    if outcome.status in ENDED:
        return [
            _history_row(
                instance_id,
                now,
                "ended",
                element=step.id,
                kind=outcome.status,
                channel=channel,
                text=step.text or None,
            )
        ]
    rows = [
        _history_row(
            instance_id,
            now,
            "entered",
            element=step.id,
            name=step.title,
            kind=step.kind,
            channel=channel,
            text=step.text or None,
        )
    ]
    if outcome.handoff is not None:
        rows.append(
            _history_row(
                instance_id,
                now,
                "handoff",
                element=step.id,
                kind=outcome.handoff.queue,
                channel=channel,
                text=outcome.handoff.reason,
            )
        )
    return rows


def _status_events(
    instance_id: str, outcome: _Outcome, now: datetime, script: str
) -> list[dict[str, Any]]:
    if outcome.status in ENDED:
        return [
            event_row(
                f"session.{outcome.status}",
                instance_id,
                {"script": script, "end": outcome.step.id},
                now,
            )
        ]
    if outcome.handoff is not None:
        return [
            event_row(
                "session.handed_off",
                instance_id,
                {
                    "script": script,
                    "queue": outcome.handoff.queue,
                    "reason": outcome.handoff.reason,
                },
                now,
            )
        ]
    return []  # a plain arrival is carried by the step_taken / started event itself


def _count_arrival(script: str, outcome: _Outcome, earlier_outcome: str | None) -> None:
    """Business counters for where a session arrived (ends, handoffs, steps reached)."""
    if outcome.status in ENDED:
        ended = "failed" if outcome.status == "failed" else earlier_outcome or "automated"
        metrics.SESSIONS_ENDED.labels(script, ended).inc()
    elif outcome.handoff is not None:
        why = metrics.handoff_why(outcome.handoff.reason)
        metrics.HANDOFFS.labels(script, outcome.handoff.queue, why).inc()
    if outcome.status != "completed" and outcome.step.id:
        metrics.STEPS_ENTERED.labels(script, outcome.step.id).inc()


def _record(
    uow: UnitOfWork,
    row: Any,
    now: datetime,
    event: str,
    payload: dict[str, Any],
    **history_values: Any,
) -> None:
    """One history row and one event for a change that is not a step (claim, handoff...)."""
    uow.history.add_many(
        [
            _history_row(
                row["id"],
                now,
                event,
                element=row["current_element"] or "",
                channel=row["channel"],
                **history_values,
            )
        ]
    )
    uow.outbox.add_many(
        [event_row(f"session.{event}", row["id"], {"script": row["script_key"], **payload}, now)]
    )


def _restore_to_change(engine: Engine, compiled: Any, row: Any) -> Any:
    """The workflow to change in this step: the live one if it is current, else restored."""
    workflow = engine.live.take(row["id"], row["lock_version"])
    return workflow if workflow is not None else engine.runner.restore(compiled, row["state"])


def _saved(engine: Engine, row: Any, workflow: Any) -> dict[str, Any]:
    """Save the workflow's state; the values that record it, with the version bumped."""
    return {"state": engine.runner.save(workflow), "lock_version": row["lock_version"] + 1}


def _parse_ts(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _is_session_id(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def _load(uow: UnitOfWork, session_id: str, *, for_update: bool) -> Any:
    if not _is_session_id(session_id):
        raise NotFound(f"session {session_id} not found")
    row = uow.instances.get(session_id, for_update=for_update)
    if row is None:
        raise NotFound(f"session {session_id} not found")
    return row


def get_session(
    uow: UnitOfWork,
    engine: Engine,
    session_id: str,
    *,
    channel: str | None = None,
    for_person: bool = False,
) -> StepView:
    """The session as it stands. ``for_person``: an operator sees the real step, not 'handoff'."""
    row = _load(uow, session_id, for_update=False)
    compiled = engine.specs.get(uow, row["version_id"])
    workflow = engine.runner.restore(compiled, row["state"])
    outcome = _decide(engine, compiled, workflow, row["channel"])
    handoff = (
        Handoff(row["handoff_queue"], row["handoff_reason"] or "")
        if row["status"] == "handed_off"
        else None
    )
    return _view(
        row,
        outcome.step,
        row["status"],
        handoff=handoff,
        misses=row["misses"],
        channel=channel,
        for_person=for_person,
    )


def _interpret(engine: Engine, step: Step, reply: Reply) -> Interpretation:
    if reply.text is not None:
        return interpret_text(step, reply.text, engine.policy)
    if reply.digits is not None:
        return interpret_digits(step, reply.digits, engine.policy)
    if reply.speech is not None:
        return interpret_speech(step, reply.speech, engine.policy)
    raise BadRequest(
        "a step needs one of: answer, text, digits, speech",
        [Detail("answer", "missing")],
    )


def submit_step(
    uow: UnitOfWork, engine: Engine, session_id: str, reply: Reply, actor: Actor
) -> StepView:
    """Take one step. A retried token for a step already taken changes nothing."""
    row = _load(uow, session_id, for_update=True)
    _refuse_if_ended(row, reply.step_token)
    if not _check_current_token(row, reply.step_token):
        return get_session(uow, engine, session_id, for_person=not actor.is_bot)
    _check_operator_may_act(row, actor)
    compiled = engine.specs.get(uow, row["version_id"])
    workflow = _restore_to_change(engine, compiled, row)
    position = engine.runner.position(compiled, workflow)
    if position.task is None or position.step_spec is None:
        raise Conflict(f"session {session_id} is waiting for an event, not for an answer")
    spec = position.step_spec
    now = engine.clock()
    channel = row["channel"]
    if reply.answer is None:
        # Only a channel reply needs the step described before it can be read.
        step = engine.runner.describe(compiled, position, dict(position.task.data))
        interpretation = _interpret(engine, step, reply)
        unchanged = partial(engine.live.put, session_id, row["lock_version"], workflow)
        if interpretation.wants_person and channel in BOT_CHANNELS:
            uow.after_commit(unchanged)  # the workflow is as it was: keep it for the next step
            return _hand_off(
                uow,
                row,
                compiled,
                step,
                now,
                actor,
                reason="the customer asked for a person",
                queue=spec.handoff_queue,
            )
        if interpretation.answer is None:
            uow.after_commit(unchanged)
            return _miss(uow, row, compiled, step, now, actor, reply, interpretation.reason)
        answer = interpretation.answer
    else:
        answer = reply.answer or {}
    if not isinstance(answer, dict):
        raise InvalidAnswer("answer must be a JSON object", [Detail("answer", "must be an object")])
    if spec.validator is not None:
        answer = _form_fields_only(spec.schema, answer)
        errors = sorted(spec.validator.iter_errors(answer), key=lambda e: list(e.absolute_path))
        if errors:
            details = [
                Detail("/".join(str(p) for p in e.absolute_path) or _missing_field(e), e.message)
                for e in errors
            ]
            raise InvalidAnswer(
                f"the answer does not fit the form of step {spec.id}: "
                f"{details[0].path}: {details[0].message}",
                details,
            )
    elif spec.kind == "message":
        answer = {}
    ran: list[TaskEvent] = []
    engine.runner.complete(workflow, position.task, answer, ran)
    outcome = _decide(engine, compiled, workflow, channel)
    seq = row["step_seq"] + 1
    token = _new_token(seq)
    values: dict[str, Any] = {
        **_saved(engine, row, workflow),
        "status": outcome.status,
        "step_seq": seq,
        "step_token": token,
        "current_element": outcome.step.id,
        "misses": 0,
        "next_timer_at": _parse_ts(outcome.position.next_timer_at),
        "updated_at": now,
    }
    if outcome.status in ENDED:
        values["ended_at"] = now
        if row["outcome"] is None:
            values["outcome"] = "automated" if outcome.status == "completed" else None
    if outcome.handoff is not None and row["status"] != "handed_off":
        _apply_handoff(values, outcome.handoff, now)
    elif row["status"] == "handed_off" and outcome.status == "waiting":
        values["status"] = "handed_off"
        outcome.status = "handed_off"
    text = reply.said
    rows = [
        _history_row(
            session_id,
            now,
            "left",
            element=spec.id,
            name=spec.title,
            kind=spec.kind,
            actor=actor.name,
            channel=channel,
            answer=_dumps(answer),
            text=text,
        )
    ]
    rows += _ran_rows(session_id, now, ran, "engine", channel)
    rows += _arrival_rows(session_id, now, outcome, channel)
    uow.instances.write_step(
        session_id,
        values,
        rows,
        [
            event_row(
                "session.step_taken",
                session_id,
                {
                    "script": row["script_key"],
                    "step": spec.id,
                    "actor": actor.name,
                    "status": outcome.status,
                    "next": outcome.step.id,
                },
                now,
            ),
            *_status_events(session_id, outcome, now, row["script_key"]),
        ],
    )
    uow.after_commit(partial(engine.live.put, session_id, values["lock_version"], workflow))
    metrics.STEPS_TAKEN.labels(row["script_key"], channel).inc()
    _count_arrival(row["script_key"], outcome, row["outcome"])
    new_row = {**row, **values}
    handoff = outcome.handoff or (
        Handoff(row["handoff_queue"], row["handoff_reason"] or "")
        if outcome.status == "handed_off"
        else None
    )
    return _view(
        new_row, outcome.step, outcome.status, handoff=handoff, for_person=not actor.is_bot
    )


def _form_fields_only(schema: dict[str, Any] | None, answer: dict[str, Any]) -> dict[str, Any]:
    """An answer may set only its form's fields: never other workflow variables."""
    props = (schema or {}).get("properties")
    if not isinstance(props, dict):
        return {}
    return {k: v for k, v in answer.items() if k in props}


def _missing_field(error: Any) -> str:
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [k for k in error.validator_value if k not in error.instance]
        if missing:
            return str(missing[0])
    return ""


def _miss(
    uow: UnitOfWork,
    row: Any,
    compiled: Any,
    step: Step,
    now: datetime,
    actor: Actor,
    reply: Reply,
    reason: str,
) -> StepView:
    misses = row["misses"] + 1
    said = reply.said
    rows = [
        _history_row(
            row["id"],
            now,
            "not_understood",
            element=step.id,
            kind=step.kind,
            actor=actor.name,
            channel=row["channel"],
            text=said,
            answer=_dumps({"reason": reason}),
        )
    ]
    metrics.NOT_UNDERSTOOD.labels(row["script_key"], step.id).inc()
    uow.history.add_many(rows)
    if misses >= step.max_misses and row["channel"] in BOT_CHANNELS:
        return _hand_off(
            uow,
            row,
            compiled,
            step,
            now,
            actor,
            reason=f"not understood {misses} times at step {step.id}",
            queue=None,
        )
    uow.instances.update(row["id"], misses=misses, updated_at=now)
    notice = _not_understood(compiled, step, misses, reason)
    return _view({**row, "misses": misses}, step, "waiting", notice=notice, misses=misses)


def _not_understood(compiled: Any, step: Step, misses: int, reason: str) -> str:
    """The "did not understand" prompt with its counter, in the script's language."""
    if str(compiled.manifest.get("language") or "").lower().startswith("ru"):
        again = (
            "Пожалуйста, выберите один из вариантов."
            if step.kind == "choice"
            else "Пожалуйста, ответьте ещё раз."
        )
        return f"Извините, я не понял ({misses} из {step.max_misses}). {again}"
    return f"Sorry, I did not understand ({misses} of {step.max_misses}). {reason}".strip()


def _hand_off(
    uow: UnitOfWork,
    row: Any,
    compiled: Any,
    step: Step,
    now: datetime,
    actor: Actor,
    *,
    reason: str,
    queue: str | None,
) -> StepView:
    handoff = Handoff(_queue(compiled, queue), reason)
    values: dict[str, Any] = {"status": "handed_off", "updated_at": now, "misses": 0}
    _apply_handoff(values, handoff, now)
    uow.instances.update(row["id"], **values)
    uow.history.add_many(
        [
            _history_row(
                row["id"],
                now,
                "handoff",
                element=step.id,
                kind=handoff.queue,
                actor=actor.name,
                channel=row["channel"],
                text=reason,
            )
        ]
    )
    uow.outbox.add_many(
        [
            event_row(
                "session.handed_off",
                row["id"],
                {"script": row["script_key"], "queue": handoff.queue, "reason": reason},
                now,
            )
        ]
    )
    metrics.HANDOFFS.labels(row["script_key"], handoff.queue, metrics.handoff_why(reason)).inc()
    return _view({**row, **values}, step, "handed_off", handoff=handoff)


def session_history(uow: UnitOfWork, session_id: str) -> list[dict[str, Any]]:
    _load(uow, session_id, for_update=False)
    return [
        {
            "at": r["at"].isoformat(),
            "event": r["event"],
            "element": r["element"],
            "name": r["name"],
            "kind": r["kind"],
            "actor": r["actor"],
            "channel": r["channel"],
            "text": r["text"],
            "answer": json.loads(r["answer"]) if r["answer"] else None,
        }
        for r in uow.history.for_instance(session_id)
    ]


def resume(
    uow: UnitOfWork,
    engine: Engine,
    session_id: str,
    trigger: Any,
    *,
    actor: str,
    event: str,
) -> StepView | None:
    """Let an event (a timer, a message) move a waiting instance on, in this transaction.

    ``trigger(workflow)`` delivers the event; the instance row must be locked by the caller's
    query or is locked here. Returns the new view, or None if the session has ended.
    """
    row = _load(uow, session_id, for_update=True)
    if row["status"] in ENDED:
        return None
    compiled = engine.specs.get(uow, row["version_id"])
    workflow = _restore_to_change(engine, compiled, row)
    before = engine.runner.position(compiled, workflow)
    trigger(workflow)
    ran: list[TaskEvent] = []
    engine.runner.advance(workflow, ran)
    outcome = _decide(engine, compiled, workflow, row["channel"])
    now = engine.clock()
    moved = bool(ran) or outcome.step.id != (before.step_spec.id if before.step_spec else None)
    seq = row["step_seq"] + 1 if moved else row["step_seq"]
    values: dict[str, Any] = {
        **_saved(engine, row, workflow),
        "status": outcome.status
        if row["status"] != "handed_off" or outcome.status in ENDED
        else "handed_off",
        "step_seq": seq,
        "step_token": _new_token(seq) if moved else row["step_token"],
        "current_element": outcome.step.id,
        "next_timer_at": _parse_ts(outcome.position.next_timer_at),
        "updated_at": now,
    }
    if outcome.status in ENDED:
        values["ended_at"] = now
        if row["outcome"] is None and outcome.status == "completed":
            values["outcome"] = "automated"
    if outcome.handoff is not None and row["status"] != "handed_off":
        _apply_handoff(values, outcome.handoff, now)
    rows = _ran_rows(session_id, now, ran, actor, row["channel"])
    if moved:
        rows += _arrival_rows(
            session_id, now, replace(outcome, status=values["status"]), row["channel"]
        )
    uow.instances.write_step(
        session_id,
        values,
        rows,
        [
            event_row(f"session.{event}", session_id, {"script": row["script_key"]}, now),
            *(_status_events(session_id, outcome, now, row["script_key"]) if moved else []),
        ],
    )
    uow.after_commit(partial(engine.live.put, session_id, values["lock_version"], workflow))
    if moved:
        _count_arrival(row["script_key"], outcome, row["outcome"])
    return _view({**row, **values}, outcome.step, values["status"], handoff=outcome.handoff)


def _refuse_if_ended(row: Any, step_token: str) -> None:
    """409 on an ended session, unless the token is a retry of a step already taken
    (the caller then answers with the final view, as for any retry)."""
    if row["status"] not in ENDED:
        return
    seq = _token_seq(step_token or "")
    if seq is not None and seq < row["step_seq"]:
        return
    raise Conflict(f"session {row['id']} has ended ({row['status']})")


def _check_current_token(row: Any, step_token: str) -> bool:
    """True if the token is the current one; False for an older one (a retry); else 409."""
    if step_token == row["step_token"]:
        return True
    seq = _token_seq(step_token or "")
    if seq is not None and seq < row["step_seq"]:
        return False
    raise Conflict(
        "step_token does not match the waiting step; fetch the session and retry",
        [Detail("step_token", "stale or unknown")],
    )


def _check_operator_may_act(row: Any, actor: Actor) -> None:
    if row["status"] == "handed_off":
        if actor.is_bot:
            raise Conflict(
                f"session {row['id']} is with a person (queue {row['handoff_queue']}); "
                "the bot is paused until it is handed back",
                [Detail("status", "handed_off")],
            )
        if row["assignee"] is None:
            raise Conflict(
                f"session {row['id']} waits in queue {row['handoff_queue']}: claim it first"
            )
        if row["assignee"] != actor.name and actor.role != "admin":
            raise Conflict(f"session {row['id']} is claimed by {row['assignee']}")


def go_back(
    uow: UnitOfWork, engine: Engine, session_id: str, step_token: str, actor: Actor
) -> StepView:
    """Return to the previous human step; answers after it are discarded (history says so)."""
    row = _load(uow, session_id, for_update=True)
    _refuse_if_ended(row, step_token)
    if not _check_current_token(row, step_token):
        return get_session(uow, engine, session_id, for_person=not actor.is_bot)
    _check_operator_may_act(row, actor)
    compiled = engine.specs.get(uow, row["version_id"])
    workflow = _restore_to_change(engine, compiled, row)
    position = engine.runner.position(compiled, workflow)
    target = (
        engine.runner.back_target(compiled, position.task) if position.task is not None else None
    )
    if target is None:
        raise Conflict(f"session {session_id} cannot go back from this step")
    left = position.step_spec.id if position.step_spec else ""
    engine.runner.reset_to(workflow, target)
    ran: list[TaskEvent] = []
    engine.runner.advance(workflow, ran)
    outcome = _decide(engine, compiled, workflow, row["channel"])
    if row["status"] == "handed_off" and outcome.status == "waiting":
        outcome.status = "handed_off"
    now = engine.clock()
    seq = row["step_seq"] + 1
    values: dict[str, Any] = {
        **_saved(engine, row, workflow),
        "status": outcome.status,
        "step_seq": seq,
        "step_token": _new_token(seq),
        "current_element": outcome.step.id,
        "misses": 0,
        "next_timer_at": _parse_ts(outcome.position.next_timer_at),
        "updated_at": now,
    }
    if outcome.handoff is not None and row["status"] != "handed_off":
        _apply_handoff(values, outcome.handoff, now)
    uow.instances.write_step(
        session_id,
        values,
        [
            _history_row(
                session_id,
                now,
                "back",
                element=left,
                actor=actor.name,
                channel=row["channel"],
                text=f"went back to {outcome.step.id}; answers given after it are discarded",
            ),
            *_arrival_rows(session_id, now, outcome, row["channel"]),
        ],
        [
            event_row(
                "session.went_back",
                session_id,
                {"script": row["script_key"], "from": left, "to": outcome.step.id},
                now,
            )
        ],
    )
    uow.after_commit(partial(engine.live.put, session_id, values["lock_version"], workflow))
    new_row = {**row, **values}
    handoff = outcome.handoff or (
        Handoff(new_row["handoff_queue"], new_row["handoff_reason"] or "")
        if outcome.status == "handed_off"
        else None
    )
    return _view(
        new_row, outcome.step, outcome.status, handoff=handoff, for_person=not actor.is_bot
    )


def claim(uow: UnitOfWork, engine: Engine, session_id: str, actor: Actor) -> StepView:
    """An operator takes a handed-off session: of two claiming at once, one wins, one gets 409."""
    row = _load(uow, session_id, for_update=False)
    if row["status"] != "handed_off":
        raise Conflict(f"session {session_id} is not waiting for a person (status {row['status']})")
    now = engine.clock()
    if not uow.instances.claim(session_id, actor.name, now):
        raise Conflict(f"session {session_id} is already claimed")
    _record(
        uow,
        row,
        now,
        "claimed",
        {"queue": row["handoff_queue"], "operator": actor.name},
        kind=row["handoff_queue"] or "",
        actor=actor.name,
    )
    return get_session(uow, engine, session_id, channel="web", for_person=True)


def hand_back(uow: UnitOfWork, engine: Engine, session_id: str, actor: Actor) -> StepView:
    """The operator returns the session to the bot, which continues at the current step."""
    row = _load(uow, session_id, for_update=True)
    if row["status"] != "handed_off":
        raise Conflict(f"session {session_id} is not with a person (status {row['status']})")
    _check_operator_may_act(row, actor)
    compiled = engine.specs.get(uow, row["version_id"])
    workflow = engine.runner.restore(compiled, row["state"])
    position = engine.runner.position(compiled, workflow)
    if position.step_spec is not None and position.step_spec.needs_person:
        raise Conflict(
            f"step {position.step_spec.id} needs a person: finish it before handing back"
        )
    now = engine.clock()
    seq = row["step_seq"] + 1
    values = {
        "status": "waiting",
        "assignee": None,
        "handoff_queue": None,
        "handoff_reason": None,
        "handed_off_at": None,
        "misses": 0,
        "step_seq": seq,
        "step_token": _new_token(seq),
        "updated_at": now,
    }
    uow.instances.update(session_id, **values)
    _record(uow, row, now, "handed_back", {"operator": actor.name}, actor=actor.name)
    return get_session(uow, engine, session_id)


def transcript(uow: UnitOfWork, session_id: str) -> list[dict[str, Any]]:
    """Every prompt and reply of a session, oldest first."""
    lines: list[dict[str, Any]] = []
    for r in uow.history.for_instance(session_id):
        if r["event"] == "entered" and r["text"]:
            lines.append(
                {
                    "at": r["at"].isoformat(),
                    "who": "script",
                    "step": r["element"],
                    "text": r["text"],
                }
            )
        elif r["event"] in ("left", "not_understood") and r["actor"] not in ("engine", "timer"):
            said = r["text"]
            if said is None and r["answer"]:
                said = r["answer"]
            if said is not None:
                lines.append(
                    {
                        "at": r["at"].isoformat(),
                        "who": "customer" if r["channel"] in BOT_CHANNELS else r["actor"],
                        "step": r["element"],
                        "text": said,
                    }
                )
        elif r["event"] in ("handoff", "claimed", "handed_back", "back", "ended"):
            lines.append(
                {
                    "at": r["at"].isoformat(),
                    "who": "system",
                    "step": r["element"],
                    "text": r["text"] or r["event"],
                }
            )
    return lines


def queue(uow: UnitOfWork, engine: Engine, group: str, *, limit: int = 50) -> list[dict[str, Any]]:
    """Conversations waiting for a person in ``group``, oldest first, with their context."""
    now = engine.clock()
    items = []
    for row in uow.instances.queue(group, limit):
        full = _load(uow, row["id"], for_update=False)
        compiled = engine.specs.get(uow, full["version_id"])
        workflow = engine.runner.restore(compiled, full["state"])
        position = engine.runner.position(compiled, workflow)
        variables = engine.runner.data_of(workflow, position)
        since = row["handed_off_at"]
        if since is not None and since.tzinfo is None:  # SQLite keeps no zone; times are UTC
            since = since.replace(tzinfo=UTC)
        waited = (now - since).total_seconds() if since else 0.0
        items.append(
            {
                "session_id": row["id"],
                "script": row["script_key"],
                "version": row["version_number"],
                "channel": row["channel"],
                "reason": row["handoff_reason"],
                "current_step": row["current_element"],
                "handed_off_at": row["handed_off_at"].isoformat() if row["handed_off_at"] else None,
                "wait_seconds": round(waited, 1),
                "variables": json.loads(_dumps(variables)),
                "transcript": transcript(uow, row["id"]),
            }
        )
    return items
