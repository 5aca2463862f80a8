"""Reading a session for a use case: by id, locked when it will change."""

from __future__ import annotations

import uuid
from typing import Any

from engine.bpmn.live import LiveWorkflows
from engine.errors import SessionNotFound
from engine.language import script_language
from engine.persistence.database import UnitOfWork
from engine.sessions import observed
from engine.sessions.model import Session
from engine.sessions.runtime import Engine


def _is_session_id(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def load_session(
    uow: UnitOfWork, session_id: str, *, for_update: bool, live: LiveWorkflows | None = None
) -> Session:
    """The session by id. Given the process's ``live`` workflows, a session whose workflow is
    kept there at the row's ``lock_version`` comes without its state (``state`` is None: the
    database sends nothing it would not use); ``transitions.restore_to_change`` reads it
    if the live workflow is gone by then."""
    if not _is_session_id(session_id):
        raise SessionNotFound(f"session {session_id} not found")
    known = live.version_of(session_id) if live is not None else None
    row = uow.instances.get(session_id, for_update=for_update, unless_version=known)
    if row is None:
        raise SessionNotFound(f"session {session_id} not found")
    session = Session.from_row(row)
    observed.note(session.id, session.script_key, session.version_number)
    return session


def compiled_for(uow: UnitOfWork, engine: Engine, session: Session) -> Any:
    """The session's version, compiled (cached by version id: never parsed per step)."""
    return engine.specs.get(uow, session.version_id)


def language_of(engine: Engine, compiled: Any) -> str:
    """The language the script speaks to customers (its manifest, else the default)."""
    return script_language(compiled.manifest, engine.default_language)
