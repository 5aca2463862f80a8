"""gunicorn settings and hooks for ``cuebook serve``.

Workers are gthread workers: a connection stays open between requests (HTTP keep-alive),
so a bot platform or a CRM page holding connections does not reconnect on every step,
and a session's steps keep reaching the worker that holds its workflow live. A worker
thread waiting on PostgreSQL (a lock, a commit) lets the worker's other thread use the
core meanwhile. Sync workers close every connection after its request, and a client that
connects before it has something to send holds a sync worker until it sends: they served
keep-alive clients at a fraction of the rate (docs/performance.md has the figures).
``--threads`` sets the threads per worker (8 by default: a step whose service task waits on
a remote system holds its thread for the call, and with 2 threads a slow CRM stalled every
other session of the worker; plain steps ran as fast with 8 as with 2, docs/performance.md);
``--threads 1`` with
``GUNICORN_CMD_ARGS="--worker-class sync"`` still chooses sync workers (gunicorn runs
gthread workers whenever threads are more than one).

Each worker, once its app is loaded, moves what it holds to the collector's permanent
generation (``gc.freeze``) and collects young objects every 50,000 allocations instead of
700: a worker keeps up to 2,000 live workflows (hundreds of thousands of objects), which
every full collection would walk again. Measured: collector time per step 0.14 ms -> 0.03 ms.

A new connection waits in the worker's poller, not in a thread, until its first bytes
arrive (``CuebookThreadWorker.accept``): gunicorn hands it to a thread at once, which then
waits up to 5 s for the request, so idle connections (a load balancer's or a browser's
opened ahead of use, a client that connects before it has a step to send) held every
thread: with 8 threads, 40 idle connections held a health check 25 s.

On SIGTERM a worker stops listening at once (``CuebookThreadWorker``) while it finishes
the requests in flight: a connection that arrives meanwhile is refused before its request
is sent, so a load balancer or a bot sends it to another server, rather than waiting in
the listen queue until the drain ends and then being cut.

Each worker starts a precompiler thread that compiles new script versions before their
first session start (``CUEBOOK_PRECOMPILE_EVERY``, engine/precompile.py).

Per-worker metrics files are cleaned when a worker exits.

The workers' heartbeat files live in ``/dev/shm`` (memory) where there is one: a worker
touches its file on every turn of its event loop, and on a disk-backed ``/tmp`` that
update can wait behind the journal while PostgreSQL flushes its WAL to the same disk,
holding up the thread that hands out connections (gunicorn's documentation advises the
same).
"""

from __future__ import annotations

import errno
import gc
import os
import selectors
import time
from functools import partial
from typing import Any

from gunicorn.workers.gthread import DEFAULT_WORKER_DATA_TIMEOUT, TConn, ThreadWorker

GC_THRESHOLDS = (50_000, 20, 100)


class CuebookThreadWorker(ThreadWorker):  # type: ignore[misc]
    """A gthread worker that parks new connections in its poller until they send, and
    closes its listening sockets when it begins to drain.

    Parking: gunicorn's ``accept`` submits a new connection to the thread pool, where a
    thread waits for its request (up to 5 s, then the connection goes to the poller). A
    thread is a scarce thing here (8 a worker): a connection is given one only once it
    has bytes to read, as a kept-alive connection already is. One that sends nothing is
    closed when gunicorn's worker would have closed it (5 s and the keep-alive timeout),
    and at once when the worker drains (after gunicorn's short linger, as kept-alive ones).

    Draining: gunicorn's gthread worker stops accepting on SIGTERM but keeps the sockets open until
    its last request is done (up to ``--graceful-timeout``), and the arbiter's copy is
    already closed: the kernel still completes new connections into the listen queue, their
    clients send their requests and wait, and the queue is reset when the worker exits.
    Closed here, the socket is gone once every worker has begun to drain, and a new
    connection is refused at once. Connections kept alive from before are still answered
    (with ``Connection: close``) for the short linger gunicorn gives them.
    """

    def accept(self, listener: Any) -> None:
        try:
            client, address = listener.accept()
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                return
            raise
        self.nr_conns += 1
        conn = TConn(self.cfg, client, address, listener.getsockname())  # non-blocking
        # As long as gunicorn's own worker gives a connection to send its first request:
        # the wait in a thread, then the keep-alive timeout in the poller.
        conn.timeout = time.monotonic() + DEFAULT_WORKER_DATA_TIMEOUT + self.cfg.keepalive
        self.pending_conns.append(conn)
        self.poller.register(
            conn.sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn)
        )

    def _cap_keepalive(self, deadline: float) -> None:
        """A draining worker keeps its connections briefly, for a request a client may be
        sending already: gunicorn caps its kept-alive ones; the parked ones too, or one
        that never sends would hold the drain until ``--graceful-timeout``."""
        super()._cap_keepalive(deadline)
        for conn in self.pending_conns:
            conn.timeout = min(conn.timeout, deadline)

    def set_accept_enabled(self, enabled: bool) -> None:
        super().set_accept_enabled(enabled)
        if not enabled and not self.alive:
            for listener in self.sockets:
                listener.close()  # closing again at the worker's exit is a no-op


worker_class = CuebookThreadWorker
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None


def post_worker_init(worker: Any) -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    start_precompiler(worker.wsgi)


def start_precompiler(app: Any) -> None:
    """Each worker compiles new script versions in a thread of its own before their first
    start (engine/precompile.py); started after the fork, which keeps no threads."""
    from engine.persistence.database import Database
    from engine.precompile import Precompiler

    services = getattr(app, "extensions", {}).get("cuebook")
    if services is None or services.settings.precompile_every <= 0:
        return
    settings = services.settings
    # Its own connection, not one of the requests' pool: a look every second would keep a
    # pooled connection always "in use", so after a database restart the request that next
    # took it would meet it dead instead of having it pinged (database._ping_after_idle).
    feed = Database(settings.database_url, schema=settings.database_schema, pool_size=1)
    Precompiler(feed, services.engine.specs, every=settings.precompile_every).start()


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
