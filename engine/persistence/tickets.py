"""Queries of tickets, their messages and route, work items and customer identities."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, RowMapping

from engine.persistence.repositories import _rows_json
from engine.persistence.tables import (
    customer_identities,
    instances,
    scripts,
    ticket_messages,
    ticket_route,
    ticket_seq,
    tickets,
    work_items,
)

DONE_STATUSES = ("resolved", "closed")


@dataclass(frozen=True)
class QueueCursor:
    """Where a queue page of one source starts, in its order (time, id): after the item
    (``after_item``), or at (``from_time``) or after (``after_time``) the time itself."""

    since: datetime
    item_id: str = ""
    mode: str = "after_item"

    def condition(self, time_column: Any, id_column: Any, prefix: str = "") -> Any:
        """The condition, with bound parameters named by ``prefix`` (values: ``params``)."""
        return after_condition(self.mode, time_column, id_column, prefix)

    def params(self, prefix: str = "") -> dict[str, Any]:
        values: dict[str, Any] = {f"{prefix}since": self.since}
        if self.mode == "after_item":
            values[f"{prefix}id"] = self.item_id
        return values


def after_condition(mode: str, time_column: Any, id_column: Any, prefix: str) -> Any:
    since = sa.bindparam(f"{prefix}since", type_=time_column.type)
    if mode == "from_time":
        return time_column >= since
    if mode == "after_time":
        return time_column > since
    item = sa.bindparam(f"{prefix}id", type_=id_column.type)
    return sa.tuple_(time_column, id_column) > sa.tuple_(since, item)


@functools.lru_cache(maxsize=32)
def _queue_statement(with_due: bool, due_after: bool, undue_mode: str | None) -> Any:
    """The statement of a queue page's work items, built once per shape (bound parameters:
    group, limit, u_since / u_id, d_due / d_since / d_id). Each part is one range of its own
    index, cut to the limit before the tickets are joined."""
    w = work_items.c
    group = sa.bindparam("group", type_=w.group.type)
    base = sa.select(work_items).where(w.group == group, w.status == "open", w.assignee.is_(None))
    undue = base.where(w.due_at.is_(None)).order_by(w.created_at, w.id)
    if undue_mode is not None:
        undue = undue.where(after_condition(undue_mode, w.created_at, w.id, "u_"))
    parts = [undue]
    if with_due:
        due = base.where(w.due_at.is_not(None)).order_by(w.due_at, w.created_at, w.id)
        if due_after:
            keyset = [sa.bindparam(f"d_{c.name}", type_=c.type) for c in (w.due_at, w.created_at)]
            keyset.append(sa.bindparam("d_id", type_=w.id.type))
            due = due.where(sa.tuple_(w.due_at, w.created_at, w.id) > sa.tuple_(*keyset))
        parts.append(due)
    limit = sa.bindparam("limit", type_=sa.Integer())
    joined = []
    for part in parts:
        items = part.limit(limit).subquery()
        joined.append(
            sa.select(items, *_QUEUE_TICKET_COLUMNS).join(
                tickets, tickets.c.id == items.c.ticket_id
            )
        )
    return joined[0] if len(joined) == 1 else sa.union_all(*joined)


def _postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def _bound(column: Any) -> Any:
    return sa.bindparam(column.name, type_=column.type)


# The dedup look-up runs on every create: built once, served by ix_tickets_open_problem.
_DUPLICATE = (
    sa.select(tickets)
    .where(
        tickets.c.customer_key == _bound(tickets.c.customer_key),
        tickets.c.type == _bound(tickets.c.type),
        tickets.c.category == _bound(tickets.c.category),
        tickets.c.status.not_in(DONE_STATUSES),
        tickets.c.created_at >= sa.bindparam("since", type_=tickets.c.created_at.type),
    )
    .order_by(tickets.c.created_at.desc())
    .limit(1)
)


_NEXT_SEQ = sa.select(ticket_seq.next_value())

# A create's look-up in one round trip: the problem's lock, then (a statement of its own, so
# it sees what the lock's previous holder committed) the open ticket of the problem, or else
# the new ticket's counter value. The columns are ix_tickets_open_problem's.
_LOOK_UP_PROBLEM = (
    "SELECT pg_advisory_xact_lock(hashtextextended(%(key)s, 0)); "
    "SELECT dup.*, CASE WHEN dup.id IS NULL THEN nextval('ticket_seq') END AS next_seq "
    "FROM (SELECT 1) AS one LEFT JOIN ("
    "SELECT * FROM tickets WHERE customer_key = %(customer_key)s AND type = %(type)s "
    "AND category = %(category)s AND status NOT IN ("
    + ", ".join(f"'{status}'" for status in DONE_STATUSES)
    + ") "
    "AND created_at >= %(since)s ORDER BY created_at DESC LIMIT 1) AS dup ON true"
)


@functools.cache
def _insert_text(table: sa.Table, columns: tuple[str, ...]) -> str:
    cols = ", ".join(f'"{table.c[name].name}"' for name in columns)
    return (
        f"INSERT INTO {table.name} ({cols}) SELECT {cols} "
        f"FROM json_populate_recordset(NULL::{table.name}, %({table.name})s)"
    )


class TicketRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def next_seq(self) -> int:
        """The next ticket number: a sequence on PostgreSQL; on SQLite (one writer at a time)
        one more than the highest given."""
        if _postgres(self.conn):
            return int(self.conn.execute(_NEXT_SEQ).scalar_one())
        top = self.conn.execute(sa.select(sa.func.max(tickets.c.seq))).scalar()
        return int(top or 0) + 1

    def write_rows(self, rows_by_table: list[tuple[sa.Table, list[dict[str, Any]]]]) -> None:
        """Insert rows into several tables, in the order given. On PostgreSQL that is one
        round trip: the rows travel as JSON into ``json_populate_recordset`` (the statement
        text depends only on the tables and columns, so it is the same for every ticket and
        built once)."""
        if not _postgres(self.conn):
            for table, rows in rows_by_table:
                if rows:
                    self.conn.execute(table.insert(), rows)
            return
        statements, params = [], {}
        for table, rows in rows_by_table:
            if rows:
                statements.append(_insert_text(table, tuple(rows[0])))
                params[table.name] = _rows_json(rows)
        if statements:
            self.conn.exec_driver_sql("; ".join(statements), params)

    def look_up_problem(
        self, key: str, customer_key: str, ticket_type: str, category: str, since: datetime | None
    ) -> tuple[RowMapping | None, int | None]:
        """Lock the problem ``key`` until the transaction ends, then: (the newest open ticket
        of this customer, type and category created since ``since``, None), or, when there is
        none (or ``since`` is None), (None, the next ticket counter value). PostgreSQL: one
        round trip; SQLite, whose writers take turns, needs no lock."""
        if not _postgres(self.conn):
            found = None
            if since is not None:
                found = self.open_duplicate(customer_key, ticket_type, category, since)
            return (found, None) if found is not None else (None, self.next_seq())
        params = {
            "key": key,
            "customer_key": customer_key,
            "type": ticket_type,
            "category": category,
            "since": since,
        }
        row = self.conn.exec_driver_sql(_LOOK_UP_PROBLEM, params).mappings().one()
        if row["id"] is None:
            return None, int(row["next_seq"])
        return row, None

    def get(self, ticket_id: str, *, for_update: bool = False) -> RowMapping | None:
        q = sa.select(tickets).where(tickets.c.id == ticket_id)
        if for_update and _postgres(self.conn):
            q = q.with_for_update()
        return self.conn.execute(q).mappings().first()

    def by_instance(self, instance_id: str) -> RowMapping | None:
        q = sa.select(tickets).where(tickets.c.instance_id == instance_id)
        return self.conn.execute(q).mappings().first()

    def update(self, ticket_id: str, **values: Any) -> None:
        self.conn.execute(tickets.update().where(tickets.c.id == ticket_id).values(**values))

    def open_duplicate(
        self, customer_key: str, ticket_type: str, category: str, since: datetime
    ) -> RowMapping | None:
        """The newest open ticket of this customer, type and category created since ``since``."""
        params = {"customer_key": customer_key, "type": ticket_type, "category": category}
        found = self.conn.execute(_DUPLICATE, {**params, "since": since})
        return found.mappings().first()

    def page(
        self,
        *,
        customer_key: str | None,
        status: str | None,
        group: str | None,
        limit: int,
        before: tuple[datetime, str] | None,
    ) -> Sequence[RowMapping]:
        """Tickets newest first, after the keyset cursor ``before`` (created_at, id)."""
        q = sa.select(tickets)
        if customer_key is not None:
            q = q.where(tickets.c.customer_key == customer_key)
        if status is not None:
            q = q.where(tickets.c.status == status)
        if group is not None:
            q = q.where(tickets.c.group == group)
        if before is not None:
            q = q.where(
                sa.tuple_(tickets.c.created_at, tickets.c.id) < sa.tuple_(before[0], before[1])
            )
        q = q.order_by(tickets.c.created_at.desc(), tickets.c.id.desc()).limit(limit)
        return self.conn.execute(q).mappings().all()

    def add_messages(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(ticket_messages.insert(), rows)

    def messages(self, ticket_id: str, limit: int = 1000) -> Sequence[RowMapping]:
        q = (
            sa.select(ticket_messages)
            .where(ticket_messages.c.ticket_id == ticket_id)
            .order_by(ticket_messages.c.id)
            .limit(limit)
        )
        return self.conn.execute(q).mappings().all()

    def add_route(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(ticket_route.insert(), rows)

    def route(self, ticket_id: str, limit: int = 10_000) -> Sequence[RowMapping]:
        q = (
            sa.select(ticket_route)
            .where(ticket_route.c.ticket_id == ticket_id)
            .order_by(ticket_route.c.id)
            .limit(limit)
        )
        return self.conn.execute(q).mappings().all()


_QUEUE_TICKET_COLUMNS = (
    tickets.c.number,
    tickets.c.subject,
    tickets.c.type,
    tickets.c.category,
    tickets.c.customer_key,
    tickets.c.channel,
    tickets.c.status.label("ticket_status"),
)


class WorkItemRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_many(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(work_items.insert(), rows)

    def get(self, item_id: str) -> RowMapping | None:
        q = sa.select(work_items).where(work_items.c.id == item_id)
        return self.conn.execute(q).mappings().first()

    def of_ticket(self, ticket_id: str, *, open_only: bool) -> Sequence[RowMapping]:
        q = sa.select(work_items).where(work_items.c.ticket_id == ticket_id)
        if open_only:
            q = q.where(work_items.c.status == "open")
        return self.conn.execute(q.order_by(work_items.c.created_at)).mappings().all()

    def update(self, item_id: str, **values: Any) -> None:
        self.conn.execute(work_items.update().where(work_items.c.id == item_id).values(**values))

    def claim(self, item_id: str, assignee: str, now: datetime) -> bool:
        """Give an open, unclaimed item to one person: exactly one concurrent claim wins."""
        res = self.conn.execute(
            work_items.update()
            .where(
                work_items.c.id == item_id,
                work_items.c.status == "open",
                work_items.c.assignee.is_(None),
            )
            .values(assignee=assignee, claimed_at=now)
        )
        return res.rowcount == 1

    def queue(
        self,
        group: str,
        limit: int,
        *,
        with_due: bool,
        due_after: tuple[Any, ...] | None = None,
        undue_after: QueueCursor | None = None,
    ) -> Sequence[RowMapping]:
        """Unclaimed open items of ``group`` with their tickets' fields, in no set order: up to
        ``limit`` without a due time after ``undue_after`` and (if ``with_due``) up to
        ``limit`` with one after the keyset ``due_after`` (due_at, created_at, id); one
        statement."""
        q = _queue_statement(
            with_due, due_after is not None, undue_after.mode if undue_after else None
        )
        params: dict[str, Any] = {"group": group, "limit": limit}
        if undue_after is not None:
            params.update(undue_after.params("u_"))
        if due_after is not None:
            params.update(d_due_at=due_after[0], d_created_at=due_after[1], d_id=due_after[2])
        return self.conn.execute(q, params).mappings().all()

    def assigned(self, assignee: str, limit: int) -> Sequence[RowMapping]:
        w = work_items.c
        q = (
            sa.select(work_items, *_QUEUE_TICKET_COLUMNS)
            .select_from(work_items.join(tickets, tickets.c.id == w.ticket_id))
            .where(w.assignee == assignee, w.status == "open")
            .order_by(w.due_at, w.created_at)
            .limit(limit)
        )
        return self.conn.execute(q).mappings().all()


class CustomerRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def owner(self, kind: str, value: str) -> str | None:
        q = sa.select(customer_identities.c.customer_key).where(
            customer_identities.c.kind == kind, customer_identities.c.value == value
        )
        found = self.conn.execute(q).scalar()
        return None if found is None else str(found)

    def identities(self, customer_key: str) -> Sequence[RowMapping]:
        q = (
            sa.select(customer_identities)
            .where(customer_identities.c.customer_key == customer_key)
            .order_by(customer_identities.c.kind, customer_identities.c.value)
        )
        return self.conn.execute(q).mappings().all()

    def link(self, kind: str, value: str, customer_key: str, now: datetime) -> None:
        """Link an identity to a customer unless it is linked already (then nothing changes)."""
        insert = pg_insert if _postgres(self.conn) else sqlite_insert
        stmt = insert(customer_identities).values(
            kind=kind, value=value, customer_key=customer_key, created_at=now
        )
        self.conn.execute(stmt.on_conflict_do_nothing())

    def unlink(self, customer_key: str, keep: list[tuple[str, str]]) -> None:
        """Remove the customer's identities other than ``keep``."""
        c = customer_identities.c
        q = customer_identities.delete().where(c.customer_key == customer_key)
        if keep:
            q = q.where(sa.tuple_(c.kind, c.value).not_in(keep))
        self.conn.execute(q)

    def conversations(
        self, customer_key: str, session_keys: list[str], limit: int
    ) -> Sequence[RowMapping]:
        """Sessions (not tickets) of the customer: by customer key or by a session key that is
        the customer key or one of its identities; newest first, with the script's title."""
        i = instances.c
        q = (
            sa.select(
                i.id,
                i.script_key,
                i.version_number,
                i.channel,
                i.status,
                i.outcome,
                i.handoff_queue,
                i.current_element,
                i.created_at,
                i.ended_at,
                scripts.c.title,
            )
            .select_from(instances.join(scripts, scripts.c.id == i.script_id))
            .where(
                sa.or_(i.customer_key == customer_key, i.session_key.in_(session_keys)),
                i.channel != "ticket",
            )
            .order_by(i.created_at.desc())
            .limit(limit)
        )
        return self.conn.execute(q).mappings().all()
