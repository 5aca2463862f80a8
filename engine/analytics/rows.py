"""History rows read for a fold, and a fold's counts written into the rollup tables.

Only sessions of real scripts are read: a draft's test sessions run under the hidden key
``<key>~draft`` and never count (no key with ``~`` does).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from engine.analytics.fold import CONTEXT_EVENTS, EVENTS, Row, Tally
from engine.persistence.database import UnitOfWork
from engine.persistence.tables import (
    analytics_paths,
    analytics_sessions,
    analytics_steps,
    analytics_times,
    history,
    instances,
)

_HISTORY = (
    history.c.id,
    history.c.instance_id,
    history.c.at,
    history.c.event,
    history.c.element,
    history.c.kind,
    history.c.channel,
)


def rows_after(
    uow: UnitOfWork, after: int, *, script: str | None = None, version: int | None = None
) -> list[Row]:
    """Every history row past ``after`` (of one script and version if given), in id order."""
    return _read(uow, after, None, None, script, version)[0]


def batch_after(uow: UnitOfWork, after: int, upto: int, limit: int) -> tuple[list[Row], int]:
    """At most ``limit`` history rows with ``after < id <= upto``, and the id read through
    (``upto`` unless the limit cut the read short)."""
    return _read(uow, after, upto, limit, None, None)


def _read(
    uow: UnitOfWork,
    after: int,
    upto: int | None,
    limit: int | None,
    script: str | None,
    version: int | None,
) -> tuple[list[Row], int]:
    """Two reads, not a join: the history's primary key gives the id range, then the
    sessions of those rows are looked up by theirs. Joined, the planner may read every
    session of the script (tens of thousands) to match the few hundred rows past the
    cursor."""
    where = [history.c.id > after, history.c.event.in_(EVENTS)]
    if upto is not None:
        where.append(history.c.id <= upto)
    q = sa.select(*_HISTORY).where(*where).order_by(history.c.id)
    if limit is not None:
        q = q.limit(limit)
    found = uow.conn.execute(q).all()
    through = int(found[-1][0]) if limit is not None and len(found) == limit else upto or 0
    owners = _sessions_of(uow, {r[1] for r in found})
    rows = []
    for r in found:
        owner = owners.get(r[1])
        if owner is None or "~" in owner[0]:  # a draft's test session never counts
            continue
        if (script is not None and owner[0] != script) or (
            version is not None and owner[1] != version
        ):
            continue
        rows.append(Row(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], owner[0], owner[1]))
    return rows, through


def _sessions_of(uow: UnitOfWork, ids: set[str]) -> dict[str, tuple[str, int]]:
    """Each session's script key and version number."""
    i = instances.c
    owners: dict[str, tuple[str, int]] = {}
    for chunk in _chunks(sorted(ids), 1000):
        q = sa.select(i.id, i.script_key, i.version_number).where(i.id.in_(chunk))
        for sid, key, number in uow.conn.execute(q):
            owners[sid] = (key, int(number))
    return owners


def context_of(uow: UnitOfWork, rows: Sequence[Row], before: int) -> dict[str, list[Row]]:
    """The context rows (id <= ``before``) of the sessions in ``rows`` that began earlier.

    A session's first row is ``started``, so a session whose first row here is that has
    no earlier rows and is not looked up; the others are, by the (instance_id, id) index."""
    first: dict[str, str] = {}
    for row in rows:
        first.setdefault(row.instance_id, row.event)
    begun = [i for i, event in first.items() if event != "started"]
    owner = {r.instance_id: (r.script, r.version) for r in rows}
    found: dict[str, list[Row]] = {}
    for chunk in _chunks(begun, 500):
        q = (
            sa.select(*_HISTORY)
            .where(
                history.c.instance_id.in_(chunk),
                history.c.id <= before,
                history.c.event.in_(CONTEXT_EVENTS),
            )
            .order_by(history.c.id)
        )
        for r in uow.conn.execute(q):
            key, number = owner[r[1]]
            row = Row(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], key, number)
            found.setdefault(row.instance_id, []).append(row)
    return found


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# -- writing a fold into the rollup ---------------------------------------------------


def store(uow: UnitOfWork, tally: Tally) -> None:
    """Add a fold's counts to the rollup rows (created when missing): counts only ever
    add, so the order of folds does not matter, and the cursor kept in the same
    transaction makes sure no row is added twice."""
    steps = [{**_key(k), "element": k[3], **vars(c)} for k, c in tally.steps.items()]
    _add(uow, analytics_steps, steps, ("element",))
    times = [
        {**_key(k), "element": k[3], "slot": slot, "samples": n}
        for k, hist in tally.times.items()
        for slot, n in hist.items()
    ]
    _add(uow, analytics_times, times, ("element", "slot"))
    sessions = [{**_key(k), "channel": k[3], **vars(c)} for k, c in tally.sessions.items()]
    _add(uow, analytics_sessions, sessions, ("channel",))
    paths = [
        {**_key(k), "path_hash": k[3], "path": tally.path_text[k[3]], "sessions": n}
        for k, n in tally.paths.items()
    ]
    _add(uow, analytics_paths, paths, ("path_hash",), keep=("path",))


def _key(k: tuple[str, int, Any, str]) -> dict[str, Any]:
    return {"script_key": k[0], "version_number": k[1], "bucket": k[2]}


def _add(
    uow: UnitOfWork,
    table: sa.Table,
    rows: list[dict[str, Any]],
    extra_key: tuple[str, ...],
    keep: tuple[str, ...] = (),
) -> None:
    if not rows:
        return
    key = ("script_key", "version_number", "bucket", *extra_key)
    dialect: Any = sqlite if uow.is_sqlite else postgresql
    stmt = dialect.insert(table)
    counts = [c.name for c in table.columns if c.name not in key and c.name not in keep]
    stmt = stmt.on_conflict_do_update(
        index_elements=list(key),
        set_={c: table.c[c] + stmt.excluded[c] for c in counts},
    )
    for start in range(0, len(rows), 1000):
        uow.conn.execute(stmt, rows[start : start + 1000])
