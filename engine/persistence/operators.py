"""Queries of the operator workspace: operators, skills, presence spans, offers, and the
reads assignment makes (who is free for a group, the most urgent items not yet offered).

An operator's open load is counted, never stored: the conversations they hold (instances
with them as assignee, still handed off), their open work items, and their pending offers.
Claims, hand-backs and completions change it without telling anyone, so a stored counter
would drift; the counts are index look-ups (ix_instances_assignee_status,
ix_work_items_assignee_status, ix_offers_operator_id_status).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, RowMapping

from engine.persistence.tables import (
    api_tokens,
    instances,
    offers,
    operator_skills,
    operators,
    presence_spans,
    work_items,
)

CONVERSATION = "conversation"
TICKET = "ticket"
PENDING = "pending"
SEEN_EVERY = timedelta(seconds=5)

o, s, f = operators.c, operator_skills.c, offers.c


def _held_conversations(login: Any) -> Any:
    return (
        sa.select(sa.func.count())
        .select_from(instances)
        .where(instances.c.assignee == login, instances.c.status == "handed_off")
        .scalar_subquery()
    )


def _held_tickets(login: Any) -> Any:
    return (
        sa.select(sa.func.count())
        .select_from(work_items)
        .where(work_items.c.assignee == login, work_items.c.status == "open")
        .scalar_subquery()
    )


def _pending(operator_id: Any, kind: str) -> Any:
    return (
        sa.select(sa.func.count())
        .select_from(offers)
        .where(f.operator_id == operator_id, f.status == PENDING, f.item_kind == kind)
        .scalar_subquery()
    )


def load_columns() -> list[Any]:
    """An operator row's open load, as four columns."""
    return [
        _held_conversations(o.login).label("held_conversations"),
        _held_tickets(o.login).label("held_tickets"),
        _pending(o.id, CONVERSATION).label("pending_conversations"),
        _pending(o.id, TICKET).label("pending_tickets"),
    ]


class OperatorRepository:
    def __init__(self, conn: Connection, *, lock_rows: bool) -> None:
        self.conn = conn
        self.lock_rows = lock_rows

    # -- profiles ---------------------------------------------------------------------------

    def get(self, operator_id: int) -> RowMapping | None:
        q = sa.select(operators, *load_columns()).where(o.id == operator_id)
        return self.conn.execute(q).mappings().first()

    def by_login(self, login: str) -> RowMapping | None:
        q = sa.select(operators, *load_columns()).where(o.login == login)
        return self.conn.execute(q).mappings().first()

    def all(self, limit: int, after: int = 0) -> Sequence[RowMapping]:
        q = sa.select(operators, *load_columns()).where(o.id > after).order_by(o.id).limit(limit)
        return self.conn.execute(q).mappings().all()

    def add(self, **values: Any) -> int:
        res = self.conn.execute(operators.insert().values(**values))
        return int(res.inserted_primary_key[0])  # type: ignore[index]

    def update(self, operator_id: int, **values: Any) -> None:
        self.conn.execute(operators.update().where(o.id == operator_id).values(**values))

    def lock(self, operator_id: int, *, skip_locked: bool) -> bool:
        """Lock the operator's row (their capacity is decided under it); False: another
        transaction holds it (``skip_locked``) or the operator is gone."""
        q = sa.select(o.id).where(o.id == operator_id)
        if self.lock_rows:
            q = q.with_for_update(skip_locked=skip_locked)
        return self.conn.execute(q).first() is not None

    def token_for(self, login: str) -> RowMapping | None:
        """The newest live token named ``login``."""
        q = (
            sa.select(api_tokens)
            .where(api_tokens.c.name == login, api_tokens.c.revoked_at.is_(None))
            .order_by(api_tokens.c.id.desc())
            .limit(1)
        )
        return self.conn.execute(q).mappings().first()

    def skills(self, operator_ids: Sequence[int]) -> dict[int, list[tuple[str, int]]]:
        found: dict[int, list[tuple[str, int]]] = {i: [] for i in operator_ids}
        if not operator_ids:
            return found
        q = (
            sa.select(s.operator_id, s.group, s.level)
            .where(s.operator_id.in_(list(operator_ids)))
            .order_by(s.operator_id, s.group)
        )
        for row in self.conn.execute(q):
            found[int(row.operator_id)].append((str(row.group), int(row.level)))
        return found

    def set_skills(self, operator_id: int, skills: Sequence[tuple[str, int]]) -> None:
        self.conn.execute(operator_skills.delete().where(s.operator_id == operator_id))
        if skills:
            rows = [{"operator_id": operator_id, "group": g, "level": lv} for g, lv in skills]
            self.conn.execute(operator_skills.insert(), rows)

    # -- presence ---------------------------------------------------------------------------

    def start_span(self, operator_id: int, state: str, now: datetime) -> None:
        """End the current presence span and open one for ``state``."""
        p = presence_spans.c
        self.conn.execute(
            presence_spans.update()
            .where(p.operator_id == operator_id, p.ended_at.is_(None))
            .values(ended_at=now)
        )
        self.conn.execute(
            presence_spans.insert().values(operator_id=operator_id, state=state, started_at=now)
        )

    def spans(self, operator_id: int, since: datetime) -> Sequence[RowMapping]:
        p = presence_spans.c
        q = (
            sa.select(presence_spans)
            .where(
                p.operator_id == operator_id,
                sa.or_(p.ended_at.is_(None), p.ended_at > since),
            )
            .order_by(p.started_at)
        )
        return self.conn.execute(q).mappings().all()

    def silent_since(self, before: datetime, limit: int) -> list[int]:
        """Operators not offline whose last heartbeat is older than ``before``."""
        q = (
            sa.select(o.id)
            .where(
                o.presence != "offline", sa.or_(o.last_seen_at.is_(None), o.last_seen_at < before)
            )
            .order_by(o.id)
            .limit(limit)
        )
        if self.lock_rows:
            q = q.with_for_update(skip_locked=True)
        return [int(i) for i in self.conn.execute(q).scalars()]

    def seen(self, operator_id: int, now: datetime) -> None:
        """A heartbeat. Written at most every ``SEEN_EVERY``: an UPDATE locks the row, and
        assignment passes over an operator whose row is locked (SKIP LOCKED), so a client
        polling its offers must not keep its own row locked."""
        self.conn.execute(
            operators.update()
            .where(
                o.id == operator_id,
                sa.or_(o.last_seen_at.is_(None), o.last_seen_at < now - SEEN_EVERY),
            )
            .values(last_seen_at=now)
        )

    # -- assignment -------------------------------------------------------------------------

    def any_ready(self, group: str) -> bool:
        """Whether any active operator serving ``group`` is ready: the check that makes a
        queue change cost one indexed look-up when nobody is ready."""
        q = (
            sa.select(o.id)
            .select_from(operators.join(operator_skills, s.operator_id == o.id))
            .where(s.group == group, o.presence == "ready", o.active.is_(True))
            .limit(1)
        )
        return self.conn.execute(q).first() is not None

    def ready_groups(self) -> list[str]:
        """The groups some ready, active operator serves."""
        q = (
            sa.select(s.group)
            .select_from(operators.join(operator_skills, s.operator_id == o.id))
            .where(o.presence == "ready", o.active.is_(True))
            .distinct()
        )
        return sorted(str(g) for g in self.conn.execute(q).scalars())

    def candidates(
        self,
        group: str,
        kind: str,
        item_id: str | None,
        *,
        strategy: str,
        refused_since: datetime,
        limit: int,
        window: bool = False,
    ) -> Sequence[RowMapping]:
        """Ready, active operators of ``group`` with a free slot of ``kind``, best first by
        ``strategy``; ``refused``: they declined or let pass an offer of the item after
        ``refused_since``. Not locked: the caller locks the one it picks and counts again.

        ``window`` (longest idle only): the first ``limit`` by idle time, free slot or not,
        their loads counted for those rows alone; cheap when many operators are ready, and
        the caller asks again without it when none of them has room."""
        if item_id is None:  # a batch: ``refusals`` reads them for all its items at once
            refused: Any = sa.false()
        else:
            refused = sa.exists().where(
                f.item_kind == kind,
                f.item_id == item_id,
                f.operator_id == o.id,
                f.status.in_(("declined", "expired")),
                f.decided_at > refused_since,
            )
        load = load_columns()
        held = load[0] if kind == CONVERSATION else load[1]
        pending = load[2] if kind == CONVERSATION else load[3]
        capacity = o.capacity_conversations if kind == CONVERSATION else o.capacity_tickets
        q = (
            sa.select(operators, s.level, refused.label("refused"), *load)
            .select_from(operators.join(operator_skills, s.operator_id == o.id))
            .where(s.group == group, o.presence == "ready", o.active.is_(True), capacity > 0)
        )
        if window and strategy != "least_loaded":
            q = q.order_by(o.idle_since, s.level.desc(), o.id)
            return self.conn.execute(q.limit(limit)).mappings().all()
        q = q.where(held + pending < capacity)
        if strategy == "least_loaded":
            total = load[0] + load[1] + load[2] + load[3]
            ratio = sa.cast(total, sa.Float) / sa.func.nullif(
                o.capacity_conversations + o.capacity_tickets, 0
            )
            q = q.order_by(ratio, o.idle_since, s.level.desc(), o.id)
        else:
            q = q.order_by(o.idle_since, s.level.desc(), o.id)
        return self.conn.execute(q.limit(limit)).mappings().all()

    def lock_many(self, operator_ids: Sequence[int]) -> set[int]:
        """Lock the operators' rows that no other transaction holds (SKIP LOCKED): the ones
        locked. On SQLite (no row locks) all of them that exist."""
        if not operator_ids:
            return set()
        q = sa.select(o.id).where(o.id.in_(list(operator_ids))).order_by(o.id)
        if self.lock_rows:
            q = q.with_for_update(skip_locked=True)
        return {int(i) for i in self.conn.execute(q).scalars()}

    def loads_of(self, operator_ids: Sequence[int]) -> dict[int, RowMapping]:
        """``load_of`` for several operators in one statement (run it after locking them)."""
        if not operator_ids:
            return {}
        q = sa.select(
            o.id, o.login, o.presence, o.capacity_conversations, o.capacity_tickets, *load_columns()
        ).where(o.id.in_(list(operator_ids)))
        return {int(r["id"]): r for r in self.conn.execute(q).mappings()}

    def refusals(self, kind: str, item_ids: Sequence[str], since: datetime) -> dict[str, set[int]]:
        """For each item, the operators who declined or let pass an offer of it after
        ``since``."""
        found: dict[str, set[int]] = {}
        if not item_ids:
            return found
        q = sa.select(f.item_id, f.operator_id).where(
            f.item_kind == kind,
            f.item_id.in_(list(item_ids)),
            f.status.in_(("declined", "expired")),
            f.decided_at > since,
        )
        for row in self.conn.execute(q):
            found.setdefault(str(row.item_id), set()).add(int(row.operator_id))
        return found

    def load_of(self, operator_id: int) -> RowMapping | None:
        """The operator's capacity and open load, read by a statement of its own (so, under
        the operator's lock, it sees every offer committed before the lock was taken)."""
        q = sa.select(
            o.id, o.login, o.presence, o.capacity_conversations, o.capacity_tickets, *load_columns()
        ).where(o.id == operator_id)
        return self.conn.execute(q).mappings().first()


class OfferRepository:
    def __init__(self, conn: Connection, *, lock_rows: bool) -> None:
        self.conn = conn
        self.lock_rows = lock_rows

    def add(self, **values: Any) -> bool:
        """Insert a pending offer; False if the item has one already (another server made
        it first: the partial unique index ``uq_offers_pending_item`` decides)."""
        insert = pg_insert if self.conn.dialect.name == "postgresql" else sqlite_insert
        res = self.conn.execute(insert(offers).values(**values).on_conflict_do_nothing())
        return res.rowcount == 1

    def add_many(self, rows: Sequence[dict[str, Any]]) -> set[str]:
        """Insert pending offers in one statement; the item ids offered (an item that has a
        pending offer already is left out by ``uq_offers_pending_item``)."""
        if not rows:
            return set()
        if self.conn.dialect.name != "postgresql":  # SQLite: one writer, one at a time
            return {str(r["item_id"]) for r in rows if self.add(**r)}
        q = pg_insert(offers).values(list(rows)).on_conflict_do_nothing().returning(f.item_id)
        return {str(i) for i in self.conn.execute(q).scalars()}

    def get(self, offer_id: str, *, for_update: bool = False) -> RowMapping | None:
        q = sa.select(offers).where(f.id == offer_id)
        if for_update and self.lock_rows:
            q = q.with_for_update()
        return self.conn.execute(q).mappings().first()

    def decide(self, offer_id: str, status: str, now: datetime) -> bool:
        """Close a pending offer; False if it was no longer pending."""
        res = self.conn.execute(
            offers.update()
            .where(f.id == offer_id, f.status == PENDING)
            .values(status=status, decided_at=now)
        )
        return res.rowcount == 1

    def pending_of(self, operator_id: int) -> Sequence[RowMapping]:
        q = (
            sa.select(offers)
            .where(f.operator_id == operator_id, f.status == PENDING)
            .order_by(f.offered_at, f.id)
        )
        return self.conn.execute(q).mappings().all()

    def withdraw_of(self, operator_id: int, now: datetime) -> list[str]:
        """Close the operator's pending offers (as expired); the groups they were in."""
        rows = self.pending_of(operator_id)
        if rows:
            self.conn.execute(
                offers.update()
                .where(f.operator_id == operator_id, f.status == PENDING)
                .values(status="expired", decided_at=now)
            )
        return sorted({str(r["group"]) for r in rows})

    def expire_due(self, now: datetime, limit: int) -> list[RowMapping]:
        """Pending offers past their time, closed as expired (taken with SKIP LOCKED, so
        two workers share them)."""
        q = (
            sa.select(f.id, f.group, f.operator_id)
            .where(f.status == PENDING, f.expires_at <= now)
            .order_by(f.expires_at)
            .limit(limit)
        )
        if self.lock_rows:
            q = q.with_for_update(skip_locked=True)
        rows = list(self.conn.execute(q).mappings())
        if rows:
            self.conn.execute(
                offers.update()
                .where(f.id.in_([r["id"] for r in rows]), f.status == PENDING)
                .values(status="expired", decided_at=now)
            )
        return rows

    def heads(self, group: str, size: int) -> list[RowMapping]:
        """The first ``size`` items of each of ``group``'s queue sources (work items with a
        due time, without one, conversations) that have no pending offer, in queue order,
        locked with SKIP LOCKED on PostgreSQL: an item another server is offering now is
        passed over. Rows: kind, id, due, since, channel."""
        found: list[RowMapping] = []
        for q in (self._due_items(group, size), self._undue_items(group, size)):
            found.extend(self.conn.execute(self._locked(q, work_items)).mappings())
        found.extend(
            self.conn.execute(self._locked(self._talks(group, size), instances)).mappings()
        )
        return found

    def _locked(self, q: Any, table: sa.Table) -> Any:
        return q.with_for_update(skip_locked=True, of=table) if self.lock_rows else q

    @staticmethod
    def _not_offered(kind: str, id_column: Any) -> Any:
        return ~sa.exists().where(f.item_kind == kind, f.item_id == id_column, f.status == PENDING)

    def _due_items(self, group: str, size: int) -> Any:
        w = work_items.c
        return (
            sa.select(
                sa.literal(TICKET).label("kind"),
                w.id,
                w.due_at.label("due"),
                w.created_at.label("since"),
                sa.literal("ticket").label("channel"),
            )
            .where(
                w.group == group,
                w.status == "open",
                w.assignee.is_(None),
                w.due_at.is_not(None),
                self._not_offered(TICKET, w.id),
            )
            .order_by(w.due_at, w.created_at, w.id)
            .limit(size)
        )

    def _undue_items(self, group: str, size: int) -> Any:
        w = work_items.c
        return (
            sa.select(
                sa.literal(TICKET).label("kind"),
                w.id,
                w.due_at.label("due"),
                w.created_at.label("since"),
                sa.literal("ticket").label("channel"),
            )
            .where(
                w.group == group,
                w.status == "open",
                w.assignee.is_(None),
                w.due_at.is_(None),
                self._not_offered(TICKET, w.id),
            )
            .order_by(w.created_at, w.id)
            .limit(size)
        )

    def _talks(self, group: str, size: int) -> Any:
        i = instances.c
        return (
            sa.select(
                sa.literal(CONVERSATION).label("kind"),
                i.id,
                sa.null().label("due"),
                i.handed_off_at.label("since"),
                i.channel,
            )
            .where(
                i.handoff_queue == group,
                i.status == "handed_off",
                i.assignee.is_(None),
                self._not_offered(CONVERSATION, i.id),
            )
            .order_by(i.handed_off_at, i.id)
            .limit(size)
        )

    def still_waiting(self, kind: str, item_id: str) -> bool:
        """Whether the item still waits in its queue unclaimed."""
        if kind == CONVERSATION:
            i = instances.c
            q = sa.select(i.id).where(
                i.id == item_id, i.status == "handed_off", i.assignee.is_(None)
            )
        else:
            w = work_items.c
            q = sa.select(w.id).where(w.id == item_id, w.status == "open", w.assignee.is_(None))
        return self.conn.execute(q).first() is not None
