"""Rows of inbound messages: ids seen, early (pending) messages, dead letters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, RowMapping

from engine.persistence.tables import dead_letters, inbound_seen, instances, pending_messages

OPEN = ("completed", "failed")


class InboundRepository:
    """Queries of the inbound tables, inside the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- seen message ids -------------------------------------------------------------------

    def first_sight(self, message_id: str, outcome: str, now: datetime) -> bool:
        """Record the message id; False if it was seen before (a repeat to drop)."""
        insert = postgresql.insert if self.conn.dialect.name == "postgresql" else sqlite.insert
        q = insert(inbound_seen).values(message_id=message_id, outcome=outcome, seen_at=now)
        return bool(self.conn.execute(q.on_conflict_do_nothing()).rowcount)

    def first_sights(self, message_ids: Sequence[str], outcome: str, now: datetime) -> set[str]:
        """Record the message ids in one statement; return those not seen before."""
        if not message_ids:
            return set()
        insert = postgresql.insert if self.conn.dialect.name == "postgresql" else sqlite.insert
        rows = [
            {"message_id": m, "outcome": outcome, "seen_at": now}
            for m in dict.fromkeys(message_ids)
        ]
        q = insert(inbound_seen).values(rows).on_conflict_do_nothing()
        return set(self.conn.execute(q.returning(inbound_seen.c.message_id)).scalars())

    def seen_as(self, message_id: str, outcome: str, now: datetime) -> None:
        """Record (or overwrite) what became of a message id."""
        q = inbound_seen.update().where(inbound_seen.c.message_id == message_id)
        if not self.conn.execute(q.values(outcome=outcome, seen_at=now)).rowcount:
            self.first_sight(message_id, outcome, now)

    def prune_seen(self, before: datetime, limit: int) -> int:
        old = sa.select(inbound_seen.c.message_id).where(inbound_seen.c.seen_at < before)
        ids = list(self.conn.execute(old.limit(limit)).scalars())
        if ids:
            self.conn.execute(inbound_seen.delete().where(inbound_seen.c.message_id.in_(ids)))
        return len(ids)

    def open_by_session_keys(self, keys: Sequence[str]) -> dict[str, list[str]]:
        """The open sessions of each of these session keys (as ``open_by_session_key``)."""
        q = sa.select(instances.c.session_key, instances.c.id).where(
            instances.c.session_key.in_(list(keys)), instances.c.status.not_in(OPEN)
        )
        found: dict[str, list[str]] = {}
        for key, instance_id in self.conn.execute(q):
            found.setdefault(key, []).append(str(instance_id))
        return found

    # -- early (pending) messages -----------------------------------------------------------

    def keep(self, **values: Any) -> int:
        res = self.conn.execute(pending_messages.insert().values(**values))
        return int(res.inserted_primary_key[0])  # type: ignore[index]

    def pending_for(
        self, session_id: str, session_key: str | None, names: Sequence[str], now: datetime
    ) -> list[int]:
        """Ids of unexpired messages kept for this session (by id or key) and these names."""
        target = pending_messages.c.session_id == session_id
        if session_key:
            target = sa.or_(target, pending_messages.c.correlation_key == session_key)
        q = (
            sa.select(pending_messages.c.id)
            .where(target, pending_messages.c.name.in_(list(names)))
            .where(pending_messages.c.expires_at > now)
            .order_by(pending_messages.c.id)
        )
        return list(self.conn.execute(q).scalars())

    def take_pending(self, pending_id: int) -> RowMapping | None:
        """The kept message, locked (None if another worker holds it or it is gone)."""
        q = sa.select(pending_messages).where(pending_messages.c.id == pending_id)
        if self.conn.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        return self.conn.execute(q).mappings().first()

    def drop_pending(self, pending_id: int) -> None:
        self.conn.execute(pending_messages.delete().where(pending_messages.c.id == pending_id))

    def expire_pending(self, now: datetime, limit: int) -> list[str]:
        """Delete up to ``limit`` expired messages; return their names."""
        q = (
            sa.select(pending_messages.c.id, pending_messages.c.name)
            .where(pending_messages.c.expires_at <= now)
            .order_by(pending_messages.c.expires_at)
            .limit(limit)
        )
        rows = self.conn.execute(q).all()
        if rows:
            ids = [row_id for row_id, _ in rows]
            self.conn.execute(pending_messages.delete().where(pending_messages.c.id.in_(ids)))
        return [name for _, name in rows]

    def pending_with_open_session(self, now: datetime, limit: int) -> list[int]:
        """Kept messages whose session (by id or key) is open: worth another try."""
        by_key = sa.select(instances.c.id).where(
            instances.c.session_key == pending_messages.c.correlation_key,
            instances.c.status.not_in(OPEN),
        )
        by_id = sa.select(instances.c.id).where(
            instances.c.id == pending_messages.c.session_id, instances.c.status.not_in(OPEN)
        )
        q = (
            sa.select(pending_messages.c.id)
            .where(pending_messages.c.expires_at > now)
            .where(sa.or_(by_key.exists(), by_id.exists()))
            .order_by(pending_messages.c.id)
            .limit(limit)
        )
        return list(self.conn.execute(q).scalars())

    def count_pending(self) -> int:
        return int(
            self.conn.execute(sa.select(sa.func.count()).select_from(pending_messages)).scalar_one()
        )

    # -- dead letters -----------------------------------------------------------------------

    def add_dead_letter(self, **values: Any) -> int:
        res = self.conn.execute(dead_letters.insert().values(**values))
        return int(res.inserted_primary_key[0])  # type: ignore[index]

    def dead_letter(self, dead_letter_id: int, *, for_update: bool = False) -> RowMapping | None:
        q = sa.select(dead_letters).where(dead_letters.c.id == dead_letter_id)
        if for_update and self.conn.dialect.name == "postgresql":
            q = q.with_for_update()
        return self.conn.execute(q).mappings().first()

    def dead_letters(self, status: str | None, after: int, limit: int) -> Sequence[RowMapping]:
        q = sa.select(dead_letters).where(dead_letters.c.id > after)
        if status:
            q = q.where(dead_letters.c.status == status)
        return self.conn.execute(q.order_by(dead_letters.c.id).limit(limit)).mappings().all()

    def update_dead_letter(self, dead_letter_id: int, **values: Any) -> None:
        q = dead_letters.update().where(dead_letters.c.id == dead_letter_id)
        self.conn.execute(q.values(**values))

    def count_dead(self) -> int:
        q = sa.select(sa.func.count()).where(dead_letters.c.status == "dead")
        return int(self.conn.execute(q).scalar_one())
