"""The session the running use case works on, kept in a context variable so that a request's
log line can name it (session id, script, version) without asking the database again.

Each thread (and each asyncio task) sees its own value; whoever starts a unit of work that
should be described calls ``forget`` first.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import NamedTuple


class Touched(NamedTuple):
    session_id: str
    script: str
    version: int


_touched: ContextVar[Touched | None] = ContextVar("cuebook_touched_session", default=None)


def note(session_id: str, script: str, version: int) -> None:
    """Remember the session this use case is working on (the last one noted wins)."""
    _touched.set(Touched(session_id, script, version))


def forget() -> None:
    _touched.set(None)


def touched() -> Touched | None:
    """The session noted since the last ``forget``, if any."""
    return _touched.get()
