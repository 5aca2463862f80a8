"""The worker: its loop in-process, and real ``cuebook worker`` processes sharing one database.

Two worker processes fire a crowd of timers that fall due at the same instant: each timer
fires exactly once (``FOR UPDATE SKIP LOCKED``), and SIGTERM / SIGINT stop a worker cleanly
(exit 0) without waiting out its poll interval.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from engine.persistence.tables import history, instances, outbox
from engine.relay import PublishFailed
from engine.worker import Worker
from tests.conftest import BUNDLES
from tests.support.processes import lock_waits
from tests.support.timer_sessions import due_after_starting, start_timer_sessions
from tests.support.waiting import join_all, wait_until
from tests.support.worker_env import worker_env

TIMERS = BUNDLES / "timers"
CUEBOOK = Path(sys.executable).parent / "cuebook"


def _waiting_at(services: Any, ids: list[str], element: str) -> int:
    q = sa.select(sa.func.count()).where(
        instances.c.id.in_(ids), instances.c.current_element == element
    )
    with services.database.unit_of_work() as uow:
        return int(uow.conn.execute(q).scalar_one())


# --- the loop in-process ----------------------------------------------------------------


class Refusing:
    """A publisher whose broker never confirms anything."""

    def __init__(self) -> None:
        self.sent = 0

    def publish(self, topic: str, key: str, value: bytes) -> None:
        self.sent += 1

    def flush(self) -> None:
        raise PublishFailed("broker down")


@pytest.mark.smoke
def test_a_stop_ends_the_wait_between_passes_at_once(services: Any) -> None:
    worker = Worker(services.database, services.engine, None, services.engine.clock, interval=60)
    stop = threading.Event()
    passes: list[int] = []
    thread = threading.Thread(target=lambda: passes.append(worker.run(stop)), name="worker")
    thread.start()
    time.sleep(0.3)  # the first pass is done and the loop waits out its 60 s interval
    started = time.monotonic()
    stop.set()
    join_all([thread], "the worker loop after its stop event was set", timeout=5)
    assert time.monotonic() - started < 2, "the loop slept on instead of stopping"
    assert passes == [1]
    assert worker.run(stop) == 0, "a worker told to stop runs no further pass"


def test_a_full_pass_goes_on_at_once_rather_than_waiting(
    client: Any, services: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    """A backlog of due timers is worked through pass after pass; the interval is waited
    only when a pass found fewer due than it could fire."""
    deploy(TIMERS, key)
    when = due_after_starting(client, tokens["bot"], key, 5)
    ids = start_timer_sessions(client, tokens["bot"], key, 5, when)
    wait_until(lambda: datetime.now(UTC) > when, "the timers fall due", timeout=120)
    worker = Worker(services.database, services.engine, None, services.engine.clock, interval=60)
    worker.timers_per_pass = 2
    stop = threading.Event()
    thread = threading.Thread(target=lambda: worker.run(stop), name="worker")
    thread.start()
    try:
        wait_until(lambda: _waiting_at(services, ids, "at_date") == 0, "all five fired", timeout=10)
    finally:
        stop.set()
        join_all([thread], "the worker loop", timeout=10)


@pytest.mark.smoke
def test_a_failing_relay_does_not_stop_the_timers(
    client: Any, services: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(TIMERS, key)
    when = due_after_starting(client, tokens["bot"], key, 1)
    [sid] = start_timer_sessions(client, tokens["bot"], key, 1, when)
    refusing = Refusing()
    said: list[str] = []
    warned: list[str] = []
    worker = Worker(
        services.database,
        services.engine,
        refusing,
        services.engine.clock,
        say=said.append,
        warn=warned.append,
    )

    def moved() -> bool:
        worker.run_pass()
        return _waiting_at(services, [sid], "after") == 1

    wait_until(
        moved,
        "the timer to fire while the relay fails",
        timeout=15,
        every=0.1,
        explain=lambda: "\n".join(warned),
    )
    assert refusing.sent > 0
    assert warned and all(w == "outbox relay failed: broker down" for w in warned)
    assert any(s.startswith("fired ") for s in said)
    assert not any(s.startswith("relayed ") for s in said)
    q = sa.select(outbox.c.published_at).where(outbox.c.key == sid)
    with services.database.unit_of_work() as uow:
        assert [row for (row,) in uow.conn.execute(q)] == [None, None]


# --- real worker processes --------------------------------------------------------------


class WorkerProcess:
    """A ``cuebook worker`` subprocess with its output in files and a PostgreSQL
    application name, so the test can see when it is connected."""

    def __init__(self, settings: Any, folder: Path, name: str, *args: str) -> None:
        self.name = name
        self.out = folder / f"{name}.out"
        self.err = folder / f"{name}.err"
        env = worker_env(settings, name)
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.process = subprocess.Popen(
                [str(CUEBOOK), "worker", *args],
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=folder,
            )

    def output(self) -> str:
        return self.out.read_text() + self.err.read_text()

    def fired(self) -> int:
        lines = self.out.read_text().splitlines()
        return sum(int(line.split()[1]) for line in lines if line.startswith("fired "))

    def stop(self, signum: int, *, within: float) -> int:
        """Send ``signum``; return the exit code, or fail if it takes longer than ``within``."""
        started = time.monotonic()
        self.process.send_signal(signum)
        try:
            code = self.process.wait(timeout=within)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{self.name} did not stop within {within} s:\n{self.output()}")
        assert time.monotonic() - started < within
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture()
def workers(settings: Any, is_postgres: bool, tmp_path: Path) -> Iterator[list[WorkerProcess]]:
    """Started worker processes of this test; any still running at the end is killed."""
    if not is_postgres:
        pytest.skip("several worker processes share a PostgreSQL database")
    assert CUEBOOK.is_file(), f"no cuebook command next to {sys.executable}"
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        worker.kill()


def _outputs(workers: list[WorkerProcess]) -> str:
    return "\n".join(f"--- {w.name}:\n{w.output()}" for w in workers)


def _connected(services: Any, workers: list[WorkerProcess]) -> bool:
    """True once every worker holds a database connection (its first pass ran); fails at
    once, with its output, if one has exited."""
    for worker in workers:
        if worker.process.poll() is not None:
            pytest.fail(
                f"{worker.name} exited with {worker.process.returncode}:\n{worker.output()}"
            )
    names = [worker.name for worker in workers]
    q = sa.text(
        "SELECT DISTINCT application_name FROM pg_stat_activity WHERE application_name IN :names"
    )
    q = q.bindparams(sa.bindparam("names", expanding=True))
    with services.database.unit_of_work() as uow:
        seen = set(uow.conn.execute(q, {"names": names}).scalars())
    return seen == set(names)


@pytest.mark.postgres
def test_two_worker_processes_fire_each_timer_exactly_once(
    client: Any,
    services: Any,
    settings: Any,
    tokens: dict[str, str],
    deploy: Any,
    key: str,
    workers: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    count = 150
    deploy(TIMERS, key)
    tag = uuid.uuid4().hex[:8]
    names = [f"cuebook-worker-{tag}-{n}" for n in (1, 2)]
    for name in names:
        workers.append(WorkerProcess(settings, tmp_path, name, "--interval", "0.05"))
    wait_until(lambda: _connected(services, workers), "both workers to connect", timeout=30)
    when = due_after_starting(client, tokens["bot"], key, count)
    ids = start_timer_sessions(client, tokens["bot"], key, count, when)
    assert datetime.now(UTC) < when, "starting the sessions took longer than the timers wait"
    assert _waiting_at(services, ids, "at_date") == count, "a timer fired before it was due"

    wait_until(
        lambda: _waiting_at(services, ids, "after") == count,
        f"all {count} timers to fire",
        timeout=60,
        every=0.2,
        explain=lambda: _outputs(workers),
    )
    codes = [worker.stop(signal.SIGTERM, within=5) for worker in workers]
    assert codes == [0, 0], [w.output() for w in workers]
    for worker in workers:
        assert "worker stopped" in worker.output()
        assert "Traceback" not in worker.output() and "failed" not in worker.output()
    assert all(w.fired() > 0 for w in workers), (
        "both workers should have taken part: " + json.dumps([w.fired() for w in workers])
    )

    left = sa.select(history.c.instance_id, history.c.element, history.c.event).where(
        history.c.instance_id.in_(ids), history.c.actor == "timer"
    )
    events = sa.select(outbox.c.key, outbox.c.topic).where(outbox.c.key.in_(ids))
    with services.database.unit_of_work() as uow:
        fired = Counter(tuple(row) for row in uow.conn.execute(left))
        published = Counter(tuple(row) for row in uow.conn.execute(events))
    for sid in ids:
        assert fired[(sid, "at_date", "left")] == 1, f"session {sid}: the timer fired {fired}"
        assert fired[(sid, "compute", "left")] == 1
        assert published[(sid, "session.timer_fired")] == 1
        assert published[(sid, "session.started")] == 1
    assert sum(fired.values()) == 2 * count, "a timer wrote history twice"
    assert sum(published.values()) == 2 * count, "a timer wrote an event twice"


@pytest.mark.postgres
def test_sigterm_lets_the_pass_in_progress_finish(
    client: Any,
    services: Any,
    settings: Any,
    tokens: dict[str, str],
    deploy: Any,
    key: str,
    workers: list[WorkerProcess],
    tmp_path: Path,
) -> None:
    count, per_pass = 150, 100  # more timers due than one pass fires
    deploy(TIMERS, key)
    # The SIGTERM must reach the worker in the middle of a pass, however busy the machine.
    # Every timer is due before the worker starts (each a few seconds after its own start,
    # so none is due when it starts, however slow the starts are), and the history table is
    # locked: the worker's first pass begins at once, its first timer waits on the lock, and
    # the signal is sent while it waits (not after a pass that might have ended, and the
    # next one begun, before a poll saw its first timer).
    ids: list[str] = []
    for _ in range(count):
        when = datetime.now(UTC) + timedelta(seconds=3)
        ids += start_timer_sessions(client, tokens["bot"], key, 1, when)
    wait_until(lambda: datetime.now(UTC) > when, "the timers to fall due", timeout=10)
    name = f"cuebook-worker-{uuid.uuid4().hex[:8]}"
    with _history_locked(services):
        worker = WorkerProcess(settings, tmp_path, name, "--interval", "0.05")
        workers.append(worker)
        wait_until(
            lambda: lock_waits(services, name) == 1,
            "the pass's first timer to wait on the history lock",
            timeout=60,
            explain=worker.output,
        )
        worker.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert worker.process.poll() is None, "the worker exited in the middle of a pass"
        assert _waiting_at(services, ids, "after") == 0
    try:
        assert worker.process.wait(timeout=30) == 0, worker.output()
    except subprocess.TimeoutExpired:
        pytest.fail(f"{name} did not stop after its pass:\n{worker.output()}")
    assert worker.output().splitlines()[-1] == "worker stopped"
    assert worker.fired() == per_pass, f"one whole pass, then the stop:\n{worker.output()}"
    assert _waiting_at(services, ids, "after") == per_pass
    assert _waiting_at(services, ids, "at_date") == count - per_pass
    time.sleep(0.3)
    assert _waiting_at(services, ids, "after") == per_pass, "a stopped worker fired on"


@contextmanager
def _history_locked(services: Any) -> Iterator[None]:
    """No history row can be written (a timer that fires waits) until the block ends."""
    with services.database.engine.connect() as conn, conn.begin():
        conn.exec_driver_sql("LOCK TABLE history IN EXCLUSIVE MODE")
        yield


@pytest.mark.postgres
def test_sigint_stops_a_waiting_worker_at_once(
    services: Any, settings: Any, workers: list[WorkerProcess], tmp_path: Path
) -> None:
    name = f"cuebook-worker-{uuid.uuid4().hex[:8]}"
    worker = WorkerProcess(settings, tmp_path, name, "--interval", "60")
    workers.append(worker)
    wait_until(lambda: _connected(services, [worker]), "the worker to connect", timeout=30)
    time.sleep(0.2)  # well inside its 60 s wait
    assert worker.stop(signal.SIGINT, within=5) == 0, worker.output()
    assert "worker stopped" in worker.output()
    assert "Traceback" not in worker.output()
