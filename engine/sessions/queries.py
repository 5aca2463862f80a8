"""Reading sessions: the current view, the history, the transcript, a handoff queue."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from engine.model import StepView
from engine.persistence.database import Database, UnitOfWork
from engine.sessions.journal import dumps
from engine.sessions.loading import compiled_for, language_of, load_session
from engine.sessions.model import BOT_CHANNELS
from engine.sessions.runtime import Engine
from engine.sessions.transitions import arrive
from engine.sessions.views import view_of


def get_session(
    database: Database,
    engine: Engine,
    session_id: str,
    *,
    channel: str | None = None,
    for_person: bool = False,
) -> StepView:
    """The session as it stands. ``for_person``: the reader is an operator."""
    with database.unit_of_work() as uow:
        return get_session_in(uow, engine, session_id, channel=channel, for_person=for_person)


def get_session_in(
    uow: UnitOfWork,
    engine: Engine,
    session_id: str,
    *,
    channel: str | None = None,
    for_person: bool = False,
) -> StepView:
    session = load_session(uow, session_id, for_update=False)
    compiled = compiled_for(uow, engine, session)
    workflow = engine.runner.restore(compiled, session.state)
    outcome = arrive(engine, compiled, workflow, session.channel)
    return view_of(
        session,
        outcome.step,
        channel=channel,
        for_person=for_person,
        language=language_of(engine, compiled),
    )


def session_history(database: Database, session_id: str) -> list[dict[str, Any]]:
    with database.unit_of_work() as uow:
        load_session(uow, session_id, for_update=False)
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


def _said(r: Any) -> str | None:
    said = r["text"]
    if said is None and r["answer"]:
        said = r["answer"]
    return str(said) if said is not None else None


def transcript_in(uow: UnitOfWork, session_id: str) -> list[dict[str, Any]]:
    """Every prompt and reply of a session, oldest first."""
    lines: list[dict[str, Any]] = []
    for r in uow.history.for_instance(session_id):
        line = {"at": r["at"].isoformat(), "step": r["element"]}
        if r["event"] == "entered" and r["text"]:
            lines.append({**line, "who": "script", "text": r["text"]})
        elif r["event"] in ("left", "not_understood") and r["actor"] not in ("engine", "timer"):
            said = _said(r)
            if said is not None:
                who = "customer" if r["channel"] in BOT_CHANNELS else r["actor"]
                lines.append({**line, "who": who, "text": said})
        elif r["event"] in ("handoff", "claimed", "handed_back", "back", "ended"):
            lines.append({**line, "who": "system", "text": r["text"] or r["event"]})
    return lines


def transcript(database: Database, session_id: str) -> list[dict[str, Any]]:
    with database.unit_of_work() as uow:
        return transcript_in(uow, session_id)


def queue(
    database: Database, engine: Engine, group: str, *, limit: int = 50
) -> list[dict[str, Any]]:
    """Conversations waiting for a person in ``group``, oldest first, with their context.

    The variables come from the saved state as data, without restoring a workflow per row.
    """
    now = engine.clock()
    with database.unit_of_work() as uow:
        return [handoff_item(uow, engine, row, now) for row in uow.instances.queue(group, limit)]


def handoff_item(uow: UnitOfWork, engine: Engine, row: Any, now: datetime) -> dict[str, Any]:
    """A handed-off session in a queue, with its variables (read from the saved state as data,
    without restoring a workflow) and its transcript."""
    since = row["handed_off_at"]
    if since is not None and since.tzinfo is None:  # SQLite keeps no zone; UTC
        since = since.replace(tzinfo=UTC)
    waited = (now - since).total_seconds() if since else 0.0
    variables = engine.runner.waiting_data(row["state"])
    return {
        "session_id": row["id"],
        "script": row["script_key"],
        "version": row["version_number"],
        "channel": row["channel"],
        "reason": row["handoff_reason"],
        "reason_code": row["handoff_code"],
        "current_step": row["current_element"],
        "handed_off_at": since.isoformat() if since else None,
        "wait_seconds": round(waited, 1),
        "variables": json.loads(dumps(variables)),
        "transcript": transcript_in(uow, row["id"]),
    }
