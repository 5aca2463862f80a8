"""PostgreSQL restarted under load, with real processes: a ``cuebook serve`` and a
``cuebook worker`` on a cluster of the test's own, driven by a few client threads (session
starts, steps, timer sessions) while the cluster is stopped (a fast shutdown, then an
immediate one, as in a crash) and started again.

- During an outage every answer is a 503 with ``Retry-After`` naming
  ``database_unavailable`` (or a success, which must then be durable): never a 500, never
  a request held past its timeout.
- After each start the server answers again and the worker fires the timers that fell due
  meanwhile within seconds, neither of them restarted (same processes, same gunicorn
  workers).
- Every step answered 200 is in the history exactly once, and every timer fired once.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from cuebook.wiring import build_services
from engine.migrations import upgrade
from engine.persistence.tables import instances
from engine.tokens import create_token
from tests.conftest import BUNDLES, auth, bundle_upload
from tests.support.dialogues import Dialogue, human_steps_taken
from tests.support.private_postgres import PrivateCluster, missing_reason, private_cluster
from tests.support.processes import Process, Server, Worker, outputs, worker_connected
from tests.support.timer_sessions import assert_each_timer_fired_once
from tests.support.waiting import join_all, wait_until

pytestmark = pytest.mark.postgres

MENU = BUNDLES / "menu_loop"
TIMERS = BUNDLES / "timers"
REQUEST_TIMEOUT_S = 15.0  # a request held longer than this is a hung request
OUTAGE_S = 3.0  # how long the clients keep sending while the cluster is down
RECOVERY_S = 10.0  # the server and the worker serve again within this after a start
TIMER_LEAD_S = 1.5  # a timer session falls due this long after it starts


@pytest.fixture()
def cluster(is_postgres: bool) -> Iterator[PrivateCluster]:
    if not is_postgres:
        pytest.skip("a PostgreSQL cluster to restart")
    reason = missing_reason()
    if reason is not None:
        pytest.skip(reason)
    with private_cluster() as started:
        yield started


@pytest.fixture()
def processes(cluster: PrivateCluster) -> Iterator[list[Process]]:
    """Stopped before the cluster is (teardown runs in reverse)."""
    started: list[Process] = []
    yield started
    for process in started:
        process.stop(within=10)


class Outcomes:
    """Every answer the clients got, with when it came: successes, 503s, and anything else
    (a failure of the test)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.successes: list[float] = []
        self.unavailable: list[float] = []
        self.wrong: list[str] = []

    def judge(self, what: str, send: Any) -> httpx.Response | None:
        """Send; the response if it succeeded, None after a proper 503."""
        began = time.monotonic()
        try:
            resp: httpx.Response = send()
        except httpx.TransportError as exc:
            self._wrong(f"{what}: {exc!r} after {time.monotonic() - began:.1f} s")
            return None
        now = time.monotonic()
        if resp.status_code in (200, 201):
            with self.lock:
                self.successes.append(now)
            return resp
        hint = resp.headers.get("Retry-After", "")
        if (
            resp.status_code == 503
            and _error_code(resp) == "database_unavailable"
            and hint.isdigit()
        ):
            with self.lock:
                self.unavailable.append(now)
            return None
        self._wrong(f"{what}: {resp.status_code} {resp.headers.get('Retry-After')} {resp.text}")
        return None

    def _wrong(self, message: str) -> None:
        with self.lock:
            self.wrong.append(message)

    def between(self, times: list[float], start: float, end: float) -> int:
        with self.lock:
            return sum(1 for t in times if start <= t < end)

    def first_success_after(self, moment: float) -> float | None:
        with self.lock:
            later = [t for t in self.successes if t >= moment]
        return min(later) if later else None


def _error_code(resp: httpx.Response) -> str | None:
    try:
        return str(resp.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return None


class Client:
    """One client thread's work: menu dialogues stepped to their end, one after another,
    and every other start a timer session due shortly after."""

    def __init__(self, server: Server, token: str, keys: tuple[str, str], outcomes: Outcomes):
        self.http = httpx.Client(
            base_url=server.base, headers=auth(token), timeout=REQUEST_TIMEOUT_S
        )
        self.menu, self.timers = keys
        self.outcomes = outcomes
        self.dialogues: list[Dialogue] = []
        self.timer_ids: dict[str, datetime] = {}
        self.starts = 0

    def run(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                if not self._one_request():
                    stop.wait(0.2)  # a 503: the hint says 5 s, the test keeps probing
        except BaseException as exc:  # e.g. a stale state served: the test fails with it
            self.outcomes.wrong.append(f"client: {exc!r}")
        finally:
            self.http.close()

    def _one_request(self) -> bool:
        current = self.dialogues[-1] if self.dialogues else None
        if current is not None and not current.done:
            return self.step(current)
        self.starts += 1
        if self.starts % 2 == 0:
            return self._start_timer_session()
        resp = self.outcomes.judge(
            "start", lambda: self.http.post("/api/v1/sessions", json={"script": self.menu})
        )
        if resp is not None:
            self.dialogues.append(Dialogue(resp.json(), turns=self.starts % 4))
        return resp is not None

    def step(self, dialogue: Dialogue) -> bool:
        """One step; after a 503 the same step (the same token) is sent again later: if the
        first one was applied after all, the server answers the retry with the next step."""
        return (
            self.outcomes.judge(f"step {dialogue.sid}", lambda: dialogue.take(self.http))
            is not None
        )

    def _start_timer_session(self) -> bool:
        when = datetime.now(UTC) + timedelta(seconds=TIMER_LEAD_S)
        body = {"script": self.timers, "variables": {"when": when.isoformat(), "divisor": 2}}
        resp = self.outcomes.judge(
            "timer start", lambda: self.http.post("/api/v1/sessions", json=body)
        )
        # A start slower than the lead (a busy machine) passes the timer itself: only a
        # session left waiting at it is the worker's to fire.
        if resp is not None and resp.json()["step"]["id"] == "at_date":
            self.timer_ids[resp.json()["session_id"]] = when
        return resp is not None


def _publish(server: Server, token: str, key: str, folder: Path) -> None:
    files = [("files", (name, stream.read())) for stream, name in bundle_upload(folder)["files"]]
    with httpx.Client(base_url=server.base, headers=auth(token), timeout=30) as http:
        resp = http.post(f"/api/v1/scripts/{key}/versions?publish=true", files=files)
    assert resp.status_code == 201, resp.text


def _gunicorn_workers(server: Server) -> set[int]:
    """The PIDs of the gunicorn arbiter's children (its workers)."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text()
    return {int(pid) for pid in children.split()}


def _timers_waiting(services: Any, due: dict[str, datetime], before: datetime) -> list[str]:
    """Timer sessions due before ``before`` still waiting at their timer."""
    ids = [sid for sid, when in due.items() if when < before]
    if not ids:
        return []
    q = sa.select(instances.c.id).where(
        instances.c.id.in_(ids), instances.c.current_element == "at_date"
    )
    with services.database.engine.connect() as conn:
        return list(conn.execute(q).scalars())


@pytest.mark.timeout(240)
def test_postgresql_restarted_under_load(
    cluster: PrivateCluster, processes: list[Process], settings: Any, tmp_path: Path
) -> None:
    upgrade(cluster.url)
    private = dataclasses.replace(settings, database_url=cluster.url, database_schema=None)
    services = build_services(private)
    try:
        with services.database.unit_of_work() as uow:
            now = datetime.now(UTC)
            bot, author = (
                create_token(uow, role, f"t-{role}", now) for role in ("bot", "methodologist")
            )
        server = Server(private, tmp_path, "serve-restart", workers=2)
        processes.append(server)
        wait_until(server.ready, "the server to be ready", timeout=60, every=0.1)
        worker = Worker(private, tmp_path, "worker-restart")
        processes.append(worker)
        wait_until(lambda: worker_connected(services, worker), "the worker to connect", timeout=60)
        _publish(server, author, "menu", MENU)
        _publish(server, author, "timers", TIMERS)
        gunicorn_workers = _gunicorn_workers(server)
        assert len(gunicorn_workers) == 2, gunicorn_workers

        outcomes = Outcomes()
        clients = [Client(server, bot, ("menu", "timers"), outcomes) for _ in range(3)]
        stop = threading.Event()
        threads = [
            threading.Thread(target=c.run, args=(stop,), name=f"client-{n}")
            for n, c in enumerate(clients)
        ]
        for thread in threads:
            thread.start()
        recoveries: dict[str, dict[str, float]] = {}
        try:
            for mode in ("fast", "immediate"):
                recoveries[mode] = _outage(cluster, services, clients, outcomes, mode)
        finally:
            stop.set()
            join_all(threads, "the clients", timeout=REQUEST_TIMEOUT_S + 10)
        print("outages:", recoveries)
        assert outcomes.wrong == [], outcomes.wrong[:10]

        _finish_dialogues(clients, outcomes)
        _check_durable(services, clients)
        _restart_while_idle(cluster, server, bot, clients[0].dialogues[0].sid)
        assert _gunicorn_workers(server) == gunicorn_workers, "a gunicorn worker was replaced"
        assert server.alive() and worker.alive(), outputs(processes)
        for process in processes:
            assert process.stop() == 0, process.output()  # nothing stuck: a clean exit
            assert "Traceback" not in process.output(), process.output()
    finally:
        services.database.dispose()


def _outage(
    cluster: PrivateCluster, services: Any, clients: list[Client], outcomes: Outcomes, mode: str
) -> dict[str, float]:
    """Stop the cluster in ``mode`` under load, keep the clients sending, start it again;
    return the 503s while it was down and how long after the start the server answered
    and the worker fired."""
    began = time.monotonic()
    timers_before = sum(len(c.timer_ids) for c in clients)
    wait_until(
        lambda: (
            outcomes.between(outcomes.successes, began, time.monotonic()) >= 30
            and sum(len(c.timer_ids) for c in clients) >= timers_before + 3
        ),
        "30 successes and 3 timer sessions before the outage",
        timeout=60,
        explain=lambda: "\n".join(outcomes.wrong),
    )
    cluster.stop(mode)
    down_at = time.monotonic()  # nothing can commit from here on
    time.sleep(OUTAGE_S)
    starting_at = time.monotonic()
    cluster.start()
    up_at = time.monotonic()
    up_wall = datetime.now(UTC)
    served = wait_until(
        lambda: outcomes.first_success_after(up_at),
        f"a success after the {mode} restart",
        timeout=RECOVERY_S,
        every=0.05,
        explain=lambda: "\n".join(outcomes.wrong) + cluster.server_log()[-2000:],
    )
    assert outcomes.between(outcomes.unavailable, down_at, starting_at) > 0, "no request hit it"
    # An answer to a step committed just before the stop may still be on its way.
    assert outcomes.between(outcomes.successes, down_at + 1.0, starting_at) == 0, "served down"
    due: dict[str, datetime] = {}
    for client in clients:
        due.update(client.timer_ids)
    assert any(when < up_wall for when in due.values()), "no timer fell due before the start"
    services.database.dispose()  # the test's own pool: its connections died with the cluster
    wait_until(
        lambda: not _timers_waiting(services, due, up_wall),
        f"the worker to fire the timers due before the {mode} restart",
        timeout=RECOVERY_S,
        every=0.1,
    )
    return {
        "503s": outcomes.between(outcomes.unavailable, down_at, up_at),
        "503s after the start": outcomes.between(outcomes.unavailable, up_at, time.monotonic()),
        "server serves after (s)": round(served - up_at, 2),
        "worker fires after (s)": round(time.monotonic() - up_at, 2),
    }


def _restart_while_idle(cluster: PrivateCluster, server: Server, token: str, sid: str) -> None:
    """A restart while no request comes: the pooled connections are dead, and the first
    requests after it (new connections, so both gunicorn workers answer some) succeed."""
    time.sleep(1.5)  # every pooled connection idle for a while
    cluster.stop("fast")
    cluster.start()
    answers = []
    for _ in range(8):
        with httpx.Client(
            base_url=server.base, headers=auth(token), timeout=REQUEST_TIMEOUT_S
        ) as http:
            answers.append(http.get(f"/api/v1/sessions/{sid}").status_code)
    assert answers == [200] * 8, answers


def _finish_dialogues(clients: list[Client], outcomes: Outcomes) -> None:
    """Step every dialogue to its end (a step left unanswered by the outage is sent again)."""
    for client in clients:
        with httpx.Client(
            base_url=client.http.base_url, headers=client.http.headers, timeout=REQUEST_TIMEOUT_S
        ) as http:
            for dialogue in client.dialogues:
                for _ in range(20):
                    if dialogue.done:
                        break
                    resp = dialogue.take(http)
                    assert resp.status_code == 200, (dialogue.sid, resp.text)
                assert dialogue.done, dialogue.sid
    assert outcomes.wrong == []


def _check_durable(services: Any, clients: list[Client]) -> None:
    dialogues = [d for c in clients for d in c.dialogues]
    taken = human_steps_taken(services, [d.sid for d in dialogues])
    for dialogue in dialogues:
        assert taken[dialogue.sid] == dialogue.acknowledged, dialogue.sid
    timer_ids = [sid for c in clients for sid in c.timer_ids]
    due = {sid: when for c in clients for sid, when in c.timer_ids.items()}
    wait_until(
        lambda: not _timers_waiting(services, due, datetime.max.replace(tzinfo=UTC)),
        "every timer to fire",
        timeout=30,
    )
    assert_each_timer_fired_once(services, timer_ids)
    print(
        f"{len(dialogues)} dialogues, {sum(len(d.acknowledged) for d in dialogues)} steps,"
        f" {len(timer_ids)} timers; {Counter(d.done for d in dialogues)}"
    )
