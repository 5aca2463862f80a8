"""The database handle and the unit of work (one transaction per use case)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError

from engine.persistence.operators import OfferRepository, OperatorRepository
from engine.persistence.repositories import (
    FunctionRepository,
    HistoryRepository,
    InstanceRepository,
    OutboxRepository,
    ScriptRepository,
    TokenRepository,
)
from engine.persistence.tickets import CustomerRepository, TicketRepository, WorkItemRepository


def normalize_url(url: str) -> str:
    """``postgresql://`` means psycopg2 here (SQLAlchemy 2.1 would pick psycopg 3)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers queue on the database lock at BEGIN, not halfway through a step.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _ping_after_idle(engine: Engine, idle_s: float) -> None:
    """A connection that sat in the pool ``idle_s`` seconds or more is pinged before use; a
    dead one is replaced (the pool retries the checkout with a new connection).

    A database restarted while a process was idle leaves that process's pooled connections
    dead; without the ping its first request afterwards fails (a 503). A request that meets
    the outage itself already clears the pool: SQLAlchemy invalidates every connection older
    than a disconnect it sees. Connections in steady use are never pinged, so the hot path
    pays no round trip (``pool_pre_ping`` would ping on every checkout).
    """

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _alive(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < idle_s:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            raise DisconnectionError("a pooled connection died while idle") from exc


CONNECT_TIMEOUT_S = 5
IDLE_PING_S = 1.0


class Database:
    """One per process: an engine with a connection pool."""

    def __init__(self, url: str, *, schema: str | None = None, pool_size: int = 5) -> None:
        url = normalize_url(url)
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        else:
            # No pre-ping on every checkout (a round trip per request): connections idle
            # for a second are pinged instead (_ping_after_idle), stale ones are recycled.
            kwargs.update(pool_size=pool_size, max_overflow=pool_size * 2, pool_recycle=900)
            # A host that drops packets must not hold a request (or /readyz) for the
            # operating system's TCP timeout: a connection attempt gives up after 5 s.
            connect: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT_S}
            if schema:
                connect["options"] = f"-csearch_path={schema}"
            kwargs["connect_args"] = connect
        self.schema = schema
        # Told, after a commit, the groups whose queues gained an item in it (operator
        # assignment listens here; see UnitOfWork.entered_queue).
        self.on_queued: Callable[[set[str]], None] | None = None
        # hide_parameters: errors and logs never carry row values (answers, state).
        self.engine = sa.create_engine(url, hide_parameters=True, **kwargs)
        if self.is_sqlite:
            _sqlite_setup(self.engine)
        else:
            _ping_after_idle(self.engine, IDLE_PING_S)

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        """One transaction: committed when the block ends, rolled back if it raises.

        Callbacks registered with ``after_commit`` run only once the commit succeeded.
        """
        with self.engine.connect() as conn:
            with conn.begin():
                uow = UnitOfWork(conn, self.is_sqlite)
                yield uow
            for callback in uow.committed:
                callback()
            if uow.queued and self.on_queued is not None:
                self.on_queued(uow.queued)

    def dispose(self) -> None:
        self.engine.dispose()


class UnitOfWork:
    """A transaction and the repositories that work inside it."""

    def __init__(self, conn: Connection, is_sqlite: bool) -> None:
        self.conn = conn
        self.is_sqlite = is_sqlite
        self.scripts = ScriptRepository(conn)
        self.instances = InstanceRepository(conn, lock_rows=not is_sqlite)
        self.history = HistoryRepository(conn)
        self.outbox = OutboxRepository(conn)
        self.tokens = TokenRepository(conn)
        self.functions = FunctionRepository(conn)
        self.tickets = TicketRepository(conn)
        self.work_items = WorkItemRepository(conn)
        self.customers = CustomerRepository(conn)
        self.operators = OperatorRepository(conn, lock_rows=not is_sqlite)
        self.offers = OfferRepository(conn, lock_rows=not is_sqlite)
        self.committed: list[Callable[[], None]] = []
        self.queued: set[str] = set()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` after this transaction commits (never if it rolls back)."""
        self.committed.append(callback)

    def entered_queue(self, group: str) -> None:
        """An item (a handed-off conversation, an open work item) now waits in ``group``'s
        queue: once this transaction commits, the database's ``on_queued`` listener is told
        (a set add here; the listener does its work off the request's path)."""
        self.queued.add(group)
