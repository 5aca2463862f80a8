"""Paging the event log never skips an event whose transaction commits late, and is not held
back by transactions of other databases on the same server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from engine.outbox import event_row, read_events
from engine.persistence.tables import outbox
from tests.support.waiting import tries, wait_until


@pytest.fixture()
def postgres(is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("SQLite commits one writer at a time: insertion order is commit order")


def _read_to_end(db: Any, key: str, after: str) -> tuple[list[str], str]:
    """The types of ``key``'s events from ``after`` to where the log can be read now, and
    the cursor there. Other tests' events (and transactions) may come and go meanwhile."""
    types: list[str] = []
    with db.unit_of_work() as uow:
        for _ in tries(10_000, "the readable end of the event log"):
            page, nxt = read_events(uow, after=after, limit=1000)
            types += [e["type"] for e in page if e["key"] == key]
            if not page:
                return types, after
            after = nxt
    raise AssertionError("unreachable")


def test_a_late_commit_is_not_skipped(services: Any, postgres: None, key: str) -> None:
    db = services.database
    now = datetime.now(UTC)
    slow = db.engine.connect()
    slow_tx = slow.begin()
    try:
        slow.execute(outbox.insert(), [event_row("test.slow", key, {}, now)])
        with db.unit_of_work() as uow:
            uow.outbox.add_many([event_row("test.fast", key, {}, now)])
        seen, cursor = _read_to_end(db, key, "")
        assert seen == []  # the fast one waits for the slow one, which may still commit
        slow_tx.commit()
    finally:
        slow.close()

    def both() -> list[str]:
        return _read_to_end(db, key, cursor)[0]

    # Other tests' transactions in this database may hold the horizon back for a moment.
    assert wait_until(both, "the two events after the slow commit") == ["test.slow", "test.fast"]


@pytest.fixture()
def other_database_transaction(services: Any) -> Iterator[int]:
    """A transaction with a transaction id, open in another database of the same server."""
    url = services.database.engine.url.set(database="postgres")
    other = sa.create_engine(url, poolclass=NullPool)
    with other.connect() as conn:
        tx = conn.begin()
        xid = int(conn.execute(sa.text("SELECT txid_current()")).scalar_one())
        try:
            yield xid
        finally:
            tx.rollback()
    other.dispose()


def test_a_transaction_in_another_database_does_not_hold_the_log_back(
    services: Any, postgres: None, key: str, other_database_transaction: int
) -> None:
    db = services.database
    with db.unit_of_work() as uow:
        uow.outbox.add_many([event_row("test.after_other", key, {}, datetime.now(UTC))])
        tx = uow.conn.execute(sa.select(outbox.c.tx).where(outbox.c.key == key)).scalar_one()
    assert tx > other_database_transaction  # written after the other one began

    def readable() -> list[str]:
        return _read_to_end(db, key, "")[0]

    assert wait_until(readable, "the event, while the other database's transaction is open") == [
        "test.after_other"
    ]
