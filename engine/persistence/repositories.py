"""Queries, one repository per table family. Each takes the unit of work's connection."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, RowMapping

from engine.persistence.tables import (
    api_tokens,
    history,
    instances,
    integration_functions,
    outbox,
    releases,
    script_versions,
    scripts,
)

# Each script with its published version.
_WITH_PUBLISHED = scripts.join(
    script_versions,
    sa.and_(
        script_versions.c.script_id == scripts.c.id,
        script_versions.c.number == scripts.c.published_version,
    ),
)
# Read by every session start and ticket create: built once.
_PUBLISHED = (
    sa.select(
        scripts.c.id.label("script_id"),
        scripts.c.key,
        script_versions.c.id.label("version_id"),
        script_versions.c.number,
        scripts.c.release_split,
    )
    .select_from(_WITH_PUBLISHED)
    .where(scripts.c.key == sa.bindparam("key", type_=scripts.c.key.type))
)


class ScriptRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, key: str, *, for_update: bool = False) -> RowMapping | None:
        q = sa.select(scripts).where(scripts.c.key == key)
        if for_update:
            # FOR NO KEY UPDATE: publishes, splits and deploys of one script still take turns,
            # but a session start's insert (its foreign key check locks the row FOR KEY
            # SHARE) does not wait for them; FOR UPDATE held every start of the script,
            # and the steps queued behind those starts, until the release committed.
            q = q.with_for_update(key_share=True)
        return self.conn.execute(q).mappings().first()

    def add(self, key: str, title: str, now: datetime) -> int:
        res = self.conn.execute(
            scripts.insert().values(key=key, title=title, created_at=now, updated_at=now)
        )
        return int(res.inserted_primary_key[0])  # type: ignore[index]

    def set_published(
        self,
        script_id: int,
        number: int | None,
        title: str | None,
        now: datetime,
        split: str | None = None,
    ) -> None:
        """Point new sessions at ``number``, or split them (``split``: JSON, see releases)."""
        values: dict[str, Any] = {
            "published_version": number,
            "release_split": split,
            "updated_at": now,
        }
        if title is not None:
            values["title"] = title
        self.conn.execute(scripts.update().where(scripts.c.id == script_id).values(**values))

    def all(self) -> Sequence[RowMapping]:
        return self.conn.execute(sa.select(scripts).order_by(scripts.c.key)).mappings().all()

    def version_by_hash(self, script_id: int, content_hash: str) -> RowMapping | None:
        q = sa.select(script_versions).where(
            script_versions.c.script_id == script_id, script_versions.c.content_hash == content_hash
        )
        return self.conn.execute(q).mappings().first()

    def version(self, script_id: int, number: int) -> RowMapping | None:
        q = sa.select(script_versions).where(
            script_versions.c.script_id == script_id, script_versions.c.number == number
        )
        return self.conn.execute(q).mappings().first()

    def version_by_id(self, version_id: int) -> RowMapping | None:
        q = sa.select(script_versions).where(script_versions.c.id == version_id)
        return self.conn.execute(q).mappings().first()

    def versions(self, script_id: int) -> Sequence[RowMapping]:
        cols = [c for c in script_versions.c if c.name != "bundle"]
        q = (
            sa.select(*cols)
            .where(script_versions.c.script_id == script_id)
            .order_by(script_versions.c.number)
        )
        return self.conn.execute(q).mappings().all()

    def next_number(self, script_id: int) -> int:
        q = sa.select(sa.func.max(script_versions.c.number)).where(
            script_versions.c.script_id == script_id
        )
        return int(self.conn.execute(q).scalar() or 0) + 1

    def add_version(self, **values: Any) -> int:
        res = self.conn.execute(script_versions.insert().values(**values))
        return int(res.inserted_primary_key[0])  # type: ignore[index]

    def add_release(
        self,
        script_id: int,
        number: int,
        action: str,
        actor: str,
        now: datetime,
        split: str | None = None,
    ) -> None:
        self.conn.execute(
            releases.insert().values(
                script_id=script_id,
                version_number=number,
                action=action,
                actor=actor,
                released_at=now,
                split=split,
            )
        )

    def releases(self, script_id: int) -> Sequence[RowMapping]:
        q = (
            sa.select(releases)
            .where(releases.c.script_id == script_id)
            .order_by(releases.c.id.desc())
        )
        return self.conn.execute(q).mappings().all()

    def published_declaring(self, process_id: str) -> RowMapping | None:
        """The published version (key, number, version id) whose entry process is
        ``process_id``; the oldest script first when several declare it."""
        q = (
            sa.select(
                scripts.c.key, script_versions.c.id.label("version_id"), script_versions.c.number
            )
            .select_from(_WITH_PUBLISHED)
            .where(script_versions.c.process_id == process_id)
            # A draft's test copy (key with "~", engine/drafts.py) serves no other script.
            .where(scripts.c.key.not_like("%~%"))
            .order_by(scripts.c.id)
            .limit(1)
        )
        return self.conn.execute(q).mappings().first()

    def published_version_id(self, key: str) -> RowMapping | None:
        """The one read a session start needs: the script, its published version and the
        release's split, if any (``engine.releases.chosen_version`` picks from it)."""
        return self.conn.execute(_PUBLISHED, {"key": key}).mappings().first()


# The per-step reads of an instance, built once (SQLAlchemy caches their compiled SQL).
_ROW = sa.select(instances).where(instances.c.id == sa.bindparam("id"))
_ROW_LOCKED = _ROW.with_for_update()
_ROW_UNLESS = sa.select(
    *(c for c in instances.c if c.name != "state"),
    sa.case(
        (instances.c.lock_version == sa.bindparam("known"), sa.null()), else_=instances.c.state
    ).label("state"),
).where(instances.c.id == sa.bindparam("id"))
_ROW_UNLESS_LOCKED = _ROW_UNLESS.with_for_update()

_HISTORY_COLUMNS = ", ".join(c.name for c in history.c if c.name != "id")
_OUTBOX_COLUMNS = ", ".join(c.name for c in outbox.c if c.name not in ("id", "tx"))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a row")


def _rows_json(rows: list[dict[str, Any]]) -> str:
    """Rows as a JSON array for ``json_populate_recordset`` (datetimes in ISO 8601)."""
    try:
        return orjson.dumps(rows, option=orjson.OPT_PASSTHROUGH_DATACLASS).decode()
    except TypeError:  # what orjson does not write: json writes it, or names it
        return json.dumps(rows, default=_json_default)


class InstanceRepository:
    def __init__(self, conn: Connection, *, lock_rows: bool) -> None:
        self.conn = conn
        self.lock_rows = lock_rows

    def add(self, **values: Any) -> None:
        self.conn.execute(instances.insert().values(**values))

    def get(
        self, instance_id: str, *, for_update: bool = False, unless_version: int | None = None
    ) -> RowMapping | None:
        """The instance's row. With ``unless_version``, its ``state`` is None when the row is
        at that ``lock_version`` (the caller holds that state already: nothing to send)."""
        lock = for_update and self.lock_rows
        if unless_version is None:
            q = _ROW_LOCKED if lock else _ROW
            return self.conn.execute(q, {"id": instance_id}).mappings().first()
        q = _ROW_UNLESS_LOCKED if lock else _ROW_UNLESS
        params = {"id": instance_id, "known": unless_version}
        return self.conn.execute(q, params).mappings().first()

    def state_of(self, instance_id: str) -> str | None:
        q = sa.select(instances.c.state).where(instances.c.id == instance_id)
        found = self.conn.execute(q).scalar()
        return None if found is None else str(found)

    def find_open(self, script_key: str, session_key: str) -> str | None:
        q = sa.select(instances.c.id).where(
            instances.c.script_key == script_key,
            instances.c.session_key == session_key,
            instances.c.status.not_in(("completed", "failed")),
        )
        found = self.conn.execute(q).scalar()
        return None if found is None else str(found)

    def open_by_session_key(self, session_key: str) -> list[str]:
        q = sa.select(instances.c.id).where(
            instances.c.session_key == session_key,
            instances.c.status.not_in(("completed", "failed")),
        )
        return [str(r) for r in self.conn.execute(q).scalars()]

    def get_summary(self, instance_id: str) -> RowMapping | None:
        cols = [c for c in instances.c if c.name != "state"]
        return (
            self.conn.execute(sa.select(*cols).where(instances.c.id == instance_id))
            .mappings()
            .first()
        )

    def update(self, instance_id: str, **values: Any) -> None:
        self.conn.execute(instances.update().where(instances.c.id == instance_id).values(**values))

    def write_step(
        self,
        instance_id: str,
        values: dict[str, Any],
        history_rows: list[dict[str, Any]],
        outbox_rows: list[dict[str, Any]],
    ) -> None:
        """The write of a step: the instance row, its history and its events.

        On PostgreSQL it is one round trip of fixed statement text (no per-step SQL
        compilation): the rows travel as JSON arrays into ``json_populate_recordset``.
        Elsewhere, three statements in the same transaction.
        """
        if not self.lock_rows:
            self.update(instance_id, **values)
            if history_rows:
                self.conn.execute(history.insert(), history_rows)
            if outbox_rows:
                self.conn.execute(outbox.insert(), outbox_rows)
            return
        params: dict[str, Any] = {"instance_id": instance_id}
        statements = []
        for table, rows, cols, name in (
            (history, history_rows, _HISTORY_COLUMNS, "history_rows"),
            (outbox, outbox_rows, _OUTBOX_COLUMNS, "outbox_rows"),
        ):
            if rows:
                statements.append(
                    f"INSERT INTO {table.name} ({cols}) SELECT {cols} "
                    f"FROM json_populate_recordset(NULL::{table.name}, %({name})s)"
                )
                params[name] = _rows_json(rows)
        assignments = []
        for column, value in values.items():
            instances.c[column]  # a KeyError here names a column that does not exist
            assignments.append(f"{column} = %(v_{column})s")
            params[f"v_{column}"] = value
        statements.append(
            f"UPDATE instances SET {', '.join(assignments)} WHERE id = %(instance_id)s"
        )
        self.conn.exec_driver_sql("; ".join(statements), params)

    def claim(self, instance_id: str, assignee: str, now: datetime) -> bool:
        """Give a handed-off instance to one operator: exactly one concurrent claim wins."""
        res = self.conn.execute(
            instances.update()
            .where(
                instances.c.id == instance_id,
                instances.c.status == "handed_off",
                instances.c.assignee.is_(None),
            )
            .values(assignee=assignee, updated_at=now)
        )
        return res.rowcount == 1

    def open_of_version(self, version_id: int) -> list[str]:
        """Ids of the open instances of one version (one read for a whole move)."""
        q = sa.select(instances.c.id).where(
            instances.c.version_id == version_id,
            instances.c.status.not_in(("completed", "failed")),
        )
        return sorted(str(i) for i in self.conn.execute(q).scalars())

    def still_open_of_version(
        self, ids: Sequence[str], version_id: int, *, lock: bool
    ) -> Sequence[RowMapping]:
        """Those of ``ids`` still open on the version, in id order (locked when they will be
        changed)."""
        q = (
            sa.select(instances)
            .where(
                instances.c.id.in_(list(ids)),
                instances.c.version_id == version_id,
                instances.c.status.not_in(("completed", "failed")),
            )
            .order_by(instances.c.id)
        )
        if lock and self.lock_rows:
            q = q.with_for_update()
        return self.conn.execute(q).mappings().all()

    def due_timers(self, now: datetime, limit: int) -> list[str]:
        q = (
            sa.select(instances.c.id)
            .where(instances.c.next_timer_at.is_not(None), instances.c.next_timer_at <= now)
            .order_by(instances.c.next_timer_at)
            .limit(limit)
        )
        if self.lock_rows:
            q = q.with_for_update(skip_locked=True)
        return [str(r) for r in self.conn.execute(q).scalars()]

    def lock_if_due(self, instance_id: str, now: datetime) -> bool:
        """Lock one instance if its timer is still due and no one else holds it."""
        q = sa.select(instances.c.id).where(
            instances.c.id == instance_id,
            instances.c.next_timer_at.is_not(None),
            instances.c.next_timer_at <= now,
        )
        if self.lock_rows:
            q = q.with_for_update(skip_locked=True)
        return self.conn.execute(q).first() is not None

    def queue(
        self, group: str, limit: int, after: Any = None, *, places_only: bool = False
    ) -> Sequence[RowMapping]:
        """Unclaimed handed-off sessions of ``group``, oldest first, after ``after`` (a
        QueueCursor on handed_off_at, id). ``places_only``: just id and handed_off_at (not
        the saved state), for a queue that merges several sources."""
        i = instances.c
        columns = (i.id, i.handed_off_at) if places_only else (instances,)
        q = sa.select(*columns).where(
            i.handoff_queue == group, i.status == "handed_off", i.assignee.is_(None)
        )
        params: dict[str, Any] = {}
        if after is not None:
            q = q.where(after.condition(i.handed_off_at, i.id))
            params = after.params()
        q = q.order_by(i.handed_off_at, i.id).limit(limit)
        return self.conn.execute(q, params).mappings().all()

    def many(self, instance_ids: list[str]) -> dict[str, RowMapping]:
        """Instance rows by id."""
        if not instance_ids:
            return {}
        q = sa.select(instances).where(instances.c.id.in_(instance_ids))
        return {str(r["id"]): r for r in self.conn.execute(q).mappings()}


class HistoryRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_many(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(history.insert(), rows)

    def for_instance(self, instance_id: str, limit: int = 10_000) -> Sequence[RowMapping]:
        q = (
            sa.select(history)
            .where(history.c.instance_id == instance_id)
            .order_by(history.c.id)
            .limit(limit)
        )
        return self.conn.execute(q).mappings().all()


# The transaction id below which every outbox row has committed (or never will): the oldest
# transaction the statement's snapshot sees running, leaving out those pg_stat_activity shows
# running in another database (they cannot write this outbox), else the snapshot's xmax. A
# transaction that ended between the snapshot and the read of pg_stat_activity is not left out,
# so it still holds the horizon back: its rows are not in this snapshot. Prepared transactions
# are never left out. backend_xid is 32 bits; the snapshot's ids carry the epoch above them.
_OUTBOX_HORIZON = """
SELECT coalesce(
  (SELECT min(x.xid) FROM txid_snapshot_xip(snap.s) AS x(xid)
   WHERE x.xid % 4294967296 NOT IN (
     SELECT a.backend_xid::text::bigint FROM pg_stat_activity AS a
     WHERE a.backend_xid IS NOT NULL AND a.datname IS DISTINCT FROM current_database())),
  txid_snapshot_xmax(snap.s))
FROM txid_current_snapshot() AS snap(s)
"""


_UNPUBLISHED = (
    sa.select(outbox.c.id, outbox.c.topic, outbox.c.key, outbox.c.payload)
    .where(outbox.c.published_at.is_(None))
    .order_by(outbox.c.id)
    .limit(sa.bindparam("limit"))
)
_UNPUBLISHED_LOCKED = _UNPUBLISHED.with_for_update(skip_locked=True)
# One array parameter, however many rows a batch marks.
_MARK_PUBLISHED = (
    outbox.update()
    .where(outbox.c.id == sa.any_(sa.bindparam("ids", type_=postgresql.ARRAY(sa.BigInteger))))
    .values(published_at=sa.bindparam("now"))
)

_OLDER_ELSEWHERE = (
    sa.select(outbox.c.key, sa.func.min(outbox.c.id))
    .where(
        outbox.c.published_at.is_(None),
        outbox.c.id < sa.bindparam("newest"),
        outbox.c.key == sa.any_(sa.bindparam("keys", type_=postgresql.ARRAY(sa.String))),
        outbox.c.id != sa.all_(sa.bindparam("ids", type_=postgresql.ARRAY(sa.BigInteger))),
    )
    .group_by(outbox.c.key)
)


class OutboxRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_many(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(outbox.insert(), rows)

    def unpublished(self, limit: int, *, lock: bool) -> Sequence[RowMapping]:
        """The oldest unpublished events (id, topic, key, payload), locked with ``SKIP LOCKED``
        when ``lock``: read in the order of the unpublished index, however large the backlog.

        The planner's estimate of unpublished rows comes from statistics taken when there were
        few; with a backlog it would sort all of them for every batch. Sorting is turned off
        for the rest of the relay's transaction, so the partial index gives them in order.
        """
        if lock and self.conn.dialect.name == "postgresql":
            self.conn.exec_driver_sql("SET LOCAL enable_sort = off")
        q = _UNPUBLISHED_LOCKED if lock else _UNPUBLISHED
        return self.conn.execute(q, {"limit": limit}).mappings().all()

    def mark_published(self, ids: list[int], now: datetime) -> None:
        if not ids:
            return
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(_MARK_PUBLISHED, {"ids": ids, "now": now})
        else:
            self.conn.execute(outbox.update().where(outbox.c.id.in_(ids)).values(published_at=now))

    def older_elsewhere(self, rows: Sequence[RowMapping]) -> dict[str, int]:
        """For the keys of ``rows`` (a relay's locked batch), the oldest unpublished event of
        the same key that is not among them and older than the batch's newest: another relay
        holds it (or it committed late). Only a key's events older than that one may go out."""
        if not rows:
            return {}
        ids = [row["id"] for row in rows]
        values = {"newest": max(ids), "keys": sorted({row["key"] for row in rows}), "ids": ids}
        return {str(key): int(first) for key, first in self.conn.execute(_OLDER_ELSEWHERE, values)}

    def prune_published(self, before: datetime, limit: int, *, by_age: bool = False) -> int:
        """Delete up to ``limit`` events published before ``before``, oldest first; with
        ``by_age`` (no relay runs, so none is ever published) those written before it."""
        column = outbox.c.created_at if by_age else outbox.c.published_at
        oldest = sa.select(outbox.c.id).where(column < before).order_by(outbox.c.id).limit(limit)
        ids = [row_id for (row_id,) in self.conn.execute(oldest)]
        if ids:
            self.conn.execute(outbox.delete().where(outbox.c.id.in_(ids)))
        return len(ids)

    def lag(self) -> tuple[int, datetime | None]:
        """How many events wait to be published, and when the oldest of them was written."""
        q = sa.select(sa.func.count(), sa.func.min(outbox.c.created_at)).where(
            outbox.c.published_at.is_(None)
        )
        count, oldest = self.conn.execute(q).one()
        return int(count), oldest

    def since(self, after: tuple[int, int], limit: int) -> Sequence[RowMapping]:
        """Events after the cursor ``(tx, id)``, in an order no later commit can fall behind.

        On PostgreSQL only rows of transactions older than the oldest one of this database
        still running are read, ordered by (transaction id, id): any event committed later
        has a larger transaction id, so a reader never skips one (see ``_OUTBOX_HORIZON``).
        SQLite commits one writer at a time, so ids are in commit order there and ``tx`` is
        not used.
        """
        if self.conn.dialect.name != "postgresql":
            q = sa.select(outbox).where(outbox.c.id > after[1]).order_by(outbox.c.id)
            return self.conn.execute(q.limit(limit)).mappings().all()
        horizon = sa.literal_column(f"({_OUTBOX_HORIZON})", sa.BigInteger)
        q = (
            sa.select(outbox)
            .where(sa.tuple_(outbox.c.tx, outbox.c.id) > sa.tuple_(after[0], after[1]))
            .where(outbox.c.tx < horizon)
            .order_by(outbox.c.tx, outbox.c.id)
            .limit(limit)
        )
        return self.conn.execute(q).mappings().all()


class TokenRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, name: str, role: str, token_hash: str, now: datetime) -> int:
        res = self.conn.execute(
            api_tokens.insert().values(name=name, role=role, token_hash=token_hash, created_at=now)
        )
        return int(res.inserted_primary_key[0])  # type: ignore[index]

    def by_hash(self, token_hash: str) -> RowMapping | None:
        q = sa.select(api_tokens).where(
            api_tokens.c.token_hash == token_hash, api_tokens.c.revoked_at.is_(None)
        )
        return self.conn.execute(q).mappings().first()


class FunctionRepository:
    """Integration functions: every edit is a new version row; the newest row is current."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def current(self, name: str) -> RowMapping | None:
        q = (
            sa.select(integration_functions)
            .where(integration_functions.c.name == name)
            .order_by(integration_functions.c.version.desc())
            .limit(1)
        )
        row = self.conn.execute(q).mappings().first()
        return None if row is None or row["deleted"] else row

    def latest_version(self, name: str) -> int:
        q = sa.select(sa.func.max(integration_functions.c.version)).where(
            integration_functions.c.name == name
        )
        return int(self.conn.execute(q).scalar() or 0)

    def add(self, **values: Any) -> None:
        self.conn.execute(integration_functions.insert().values(**values))

    def all_current(self) -> list[RowMapping]:
        newest = (
            sa.select(
                integration_functions.c.name,
                sa.func.max(integration_functions.c.version).label("version"),
            )
            .group_by(integration_functions.c.name)
            .subquery()
        )
        q = (
            sa.select(integration_functions)
            .join(
                newest,
                sa.and_(
                    newest.c.name == integration_functions.c.name,
                    newest.c.version == integration_functions.c.version,
                ),
            )
            .where(integration_functions.c.deleted.is_(False))
            .order_by(integration_functions.c.name)
        )
        return list(self.conn.execute(q).mappings().all())
