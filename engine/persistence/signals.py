"""Rows of the signals open sessions wait for."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.persistence.tables import signal_waits


class SignalWaits:
    """Which sessions wait for which signal, inside the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def replace(self, instance_id: str, script_key: str, names: Iterable[str]) -> None:
        """The session now waits for exactly ``names`` (none: it waits for no signal)."""
        self.conn.execute(signal_waits.delete().where(signal_waits.c.instance_id == instance_id))
        rows = [
            {"instance_id": instance_id, "name": name, "script_key": script_key}
            for name in sorted(set(names))
        ]
        if rows:
            self.conn.execute(signal_waits.insert(), rows)

    def waiting(
        self, name: str, script_key: str | None = None, exclude: str | None = None
    ) -> list[str]:
        """Ids of the sessions waiting for ``name`` (of one script, when given)."""
        q = sa.select(signal_waits.c.instance_id).where(signal_waits.c.name == name)
        if script_key is not None:
            q = q.where(signal_waits.c.script_key == script_key)
        if exclude is not None:
            q = q.where(signal_waits.c.instance_id != exclude)
        return list(self.conn.execute(q.order_by(signal_waits.c.instance_id)).scalars())
