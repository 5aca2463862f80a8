"""The worker's analytics pass: history folded into the rollup tables, each row once.

A cursor (``analytics_cursor``, one row) says up to which history id the rollup holds
the counts; each batch adds its counts and moves the cursor in one transaction, so a
batch counts completely or not at all. The pass locks the cursor row (``FOR UPDATE SKIP
LOCKED``): with two workers one folds and the other skips the pass, and nothing is
counted twice.

History ids come from a sequence, so they are handed out in one order and committed in
another: a step still running may hold id 41 while id 42 is already visible. Folding 42
and moving the cursor past 41 would lose 41 for good. So the cursor only moves up to a
*horizon* known to be final. On PostgreSQL a pass notes the highest visible id and the
time just after reading it; every transaction that could still write an id up to it began
before that time and holds a ROW EXCLUSIVE lock on this schema's history table until it
ends (the lock is taken before the row's id is drawn). Once no transaction that began
before the noted time holds such a lock, every id up to the horizon is committed or gone,
and the rows up to it fold: usually in the same pass (steps last milliseconds), else in a
later one. Transactions on other tables or schemas never hold it back; a transaction whose
start time this role may not read counts as old. The API folds the rows past the cursor at
request time, so answers are current anyway. SQLite's writers take turns (each transaction
starts with ``BEGIN IMMEDIATE``), so there every visible id is final at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from engine.analytics.fold import fold
from engine.analytics.rows import batch_after, context_of, store
from engine.persistence.database import Database, UnitOfWork
from engine.persistence.tables import analytics_cursor, history

CURSOR = "history"

# Writers of this schema's history that began at or before :since (their start unknown
# to this role: counted too; a prepared transaction has no backend: counted too).
_OLD_WRITERS = sa.text("""
SELECT count(*) FROM pg_locks AS l LEFT JOIN pg_stat_activity AS a ON a.pid = l.pid
WHERE l.locktype = 'relation' AND l.relation = to_regclass('history')
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.mode = 'RowExclusiveLock' AND (a.xact_start IS NULL OR a.xact_start <= :since)
""")
_HIGHEST_AND_NOW = sa.text("SELECT coalesce(max(id), 0), clock_timestamp() FROM history")


@dataclass(frozen=True)
class CursorState:
    last_id: int
    pending_id: int | None
    pending_at: datetime | None


def roll_up_history(
    database: Database,
    *,
    now: datetime,
    batch: int = 2000,
    max_batches: int = 100,
    max_seconds: float = 1.0,
) -> int:
    """One pass: move the horizon one stage on, then fold batches of ``batch`` rows up to
    it, at most ``max_batches`` and no more after ``max_seconds`` (the worker's timers wait
    while its chores run; a backlog is worked off over several passes, and the API reads
    what is not folded yet). Returns the number of history rows folded."""
    folded = 0
    stop_at = time.monotonic() + max_seconds
    for _ in range(max_batches):
        if folded and time.monotonic() >= stop_at:
            return folded
        with database.unit_of_work() as uow:
            state = claim_cursor(uow)
            if state is None:  # another worker is folding
                return folded
            upto = _final_upto(uow, state)
            if upto <= state.last_id:
                return folded
            rows, last = batch_after(uow, state.last_id, upto, batch)
            store(uow, fold(rows, context_of(uow, rows, state.last_id)))
            done = last >= upto
            _save(uow, last=last, pending_cleared=done, now=now)
            folded += len(rows)
    return folded


def cursor_position(uow: UnitOfWork) -> int:
    """The last history id the rollup holds (0: nothing folded yet)."""
    found = uow.conn.execute(
        sa.select(analytics_cursor.c.last_id).where(analytics_cursor.c.name == CURSOR)
    ).scalar()
    return int(found or 0)


def claim_cursor(uow: UnitOfWork) -> CursorState | None:
    """The cursor row, locked for this transaction (created at the first pass); None when
    another worker holds it."""
    c = analytics_cursor.c
    q = sa.select(c.last_id, c.pending_id, c.pending_at).where(c.name == CURSOR)
    if not uow.is_sqlite:
        q = q.with_for_update(skip_locked=True)
    row = uow.conn.execute(q).first()
    if row is None:
        if _cursor_exists(uow):
            return None
        uow.conn.execute(_insert_ignoring(uow).values(name=CURSOR, last_id=0))
        row = uow.conn.execute(q).first()
        if row is None:
            return None
    return CursorState(int(row[0]), row[1], row[2])


def _cursor_exists(uow: UnitOfWork) -> bool:
    q = sa.select(sa.literal(1)).where(analytics_cursor.c.name == CURSOR)
    return uow.conn.execute(q).first() is not None


def _insert_ignoring(uow: UnitOfWork) -> Any:
    dialect: Any = sqlite if uow.is_sqlite else postgresql
    return dialect.insert(analytics_cursor).on_conflict_do_nothing()


def _highest_id(uow: UnitOfWork) -> int:
    return int(uow.conn.execute(sa.select(sa.func.max(history.c.id))).scalar() or 0)


def _final_upto(uow: UnitOfWork, state: CursorState) -> int:
    """The highest history id safe to fold now (noting a new horizon when there is none)."""
    if uow.is_sqlite:
        return _highest_id(uow)
    if state.pending_id is None or state.pending_at is None:
        highest, at = uow.conn.execute(_HIGHEST_AND_NOW).one()
        if int(highest) <= state.last_id:
            return state.last_id
        uow.conn.execute(
            analytics_cursor.update()
            .where(analytics_cursor.c.name == CURSOR)
            .values(pending_id=int(highest), pending_at=at)
        )
        state = CursorState(state.last_id, int(highest), at)
    if uow.conn.execute(_OLD_WRITERS, {"since": state.pending_at}).scalar_one():
        return state.last_id
    return int(state.pending_id or 0)


def _save(uow: UnitOfWork, *, last: int, pending_cleared: bool, now: datetime) -> None:
    values: dict[str, object] = {"last_id": last, "folded_at": now}
    if pending_cleared:
        values.update(pending_id=None, pending_at=None)
    uow.conn.execute(
        analytics_cursor.update().where(analytics_cursor.c.name == CURSOR).values(**values)
    )
