"""Scale-out and faults with real processes: ``cuebook serve`` (gunicorn) and ``cuebook
worker`` processes sharing one PostgreSQL schema.

- Two servers and two workers: sessions step alternately through both servers (each
  process's live-workflow cache never serves a state another process has moved on), a new
  version and a canary split made through one server reach the other at once, running
  sessions finish on their version, and every timer fires exactly once.
- kill -9 of a server under load: every step answered 200 is in the history exactly once
  (a step whose answer was lost is retried on the other server with the same step token),
  and every session can still be read and stepped to its end.
- kill -9 of a worker in the middle of a batch of due timers: another worker fires the
  rest, each timer exactly once.
- SIGTERM to a server while a step is in flight: the step completes (200) before the
  server exits (0).
"""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from engine.persistence.tables import instances
from engine.releases import BUCKETS, bucket_of
from tests.conftest import BUNDLES, bundle_upload
from tests.support.dialogues import Dialogue, human_steps_taken, start_session
from tests.support.processes import (
    Process,
    lock_waits,
    outputs,
    row_locked,
    start_servers,
    start_workers,
)
from tests.support.timer_sessions import (
    assert_each_timer_fired_once,
    due_after_starting,
    start_timer_sessions,
)
from tests.support.waiting import join_all, wait_until

MENU = BUNDLES / "menu_loop"
TIMERS = BUNDLES / "timers"

pytestmark = pytest.mark.postgres


# --- what the database says ---------------------------------------------------------------


def _versions(services: Any, ids: list[str]) -> dict[str, int]:
    q = sa.select(instances.c.id, instances.c.version_number).where(instances.c.id.in_(ids))
    with services.database.engine.connect() as conn:
        return {sid: number for sid, number in conn.execute(q)}


def _waiting_at(services: Any, ids: list[str], element: str) -> int:
    q = sa.select(sa.func.count()).where(
        instances.c.id.in_(ids), instances.c.current_element == element
    )
    with services.database.engine.connect() as conn:
        return int(conn.execute(q).scalar_one())


# --- clients --------------------------------------------------------------------------------


def _deploy_http(
    client: httpx.Client, key: str, folder: Path, replace: dict[str, bytes] | None = None
) -> int:
    upload = bundle_upload(folder, replace)["files"]
    files = [("files", (name, stream.read())) for stream, name in upload]
    resp = client.post(f"/api/v1/scripts/{key}/versions", files=files)
    assert resp.status_code == 201, resp.text
    return int(resp.json()["number"])


def _welcome_bundle() -> dict[str, bytes]:
    """menu_loop with another greeting: the version a session runs is visible in its text."""
    bpmn = (MENU / "menu_loop.bpmn").read_bytes().replace(b"Hello!", b"Welcome!")
    assert b"Welcome!" in bpmn
    return {"menu_loop.bpmn": bpmn}


# --- two servers, two workers ---------------------------------------------------------------


@pytest.mark.timeout(120)
def test_two_servers_and_two_workers_share_one_database(
    services: Any,
    settings: Any,
    tokens: dict[str, str],
    deploy: Any,
    processes: list[Process],
    tmp_path: Path,
) -> None:
    tag = uuid.uuid4().hex[:8]
    menu_key, timer_key = f"menu{tag}", f"timer{tag}"
    deploy(MENU, menu_key)
    deploy(TIMERS, timer_key)
    servers = start_servers(settings, tmp_path, processes, 2)
    workers = start_workers(settings, services, tmp_path, processes, 2)
    bots = [server.client(tokens["bot"]) for server in servers]
    methodologists = [server.client(tokens["methodologist"]) for server in servers]
    try:
        # Timers due a few seconds ahead, so they fire while the dialogues run.
        when = datetime.now(UTC) + timedelta(seconds=4)
        timer_ids = []
        for n in range(10):
            view = start_session(
                bots[n % 2], timer_key, variables={"when": when.isoformat(), "divisor": 2}
            )
            assert view["step"]["id"] == "at_date", view
            timer_ids.append(view["session_id"])

        dialogues: list[Dialogue] = []
        for n in range(15):
            view = start_session(bots[n % 2], menu_key)
            assert view["version"]["number"] == 1
            assert view["step"]["text"] == "Hello! What is your name?"
            dialogue = Dialogue(view, turns=n % 4, first=n % 2)
            assert dialogue.take(bots[dialogue.server()]).status_code == 200
            dialogues.append(dialogue)

        # Version 2 through one server, the split through the other.
        assert _deploy_http(methodologists[1], menu_key, MENU, _welcome_bundle()) == 2
        split = {"versions": [{"number": 1, "weight": 50}, {"number": 2, "weight": 50}]}
        resp = methodologists[0].put(f"/api/v1/scripts/{menu_key}/release", json=split)
        assert resp.status_code == 200, resp.text
        listed = methodologists[1].get(f"/api/v1/scripts/{menu_key}/versions").json()
        weights = {v["number"]: v["weight"] for v in listed["versions"]}
        assert weights == {1: 50, 2: 50}, listed

        expected: dict[str, int] = {sid.sid: 1 for sid in dialogues}
        callers = [f"call-{tag}-{n}" for n in range(400)]
        by_version = {
            number: [c for c in callers if (bucket_of(menu_key, c) >= BUCKETS // 2) + 1 == number]
            for number in (1, 2)
        }
        chosen = by_version[1][:7] + by_version[2][:8]
        for n, caller in enumerate(chosen):
            number = 1 if caller in by_version[1] else 2
            view = start_session(bots[n % 2], menu_key, session_key=caller)
            assert view["version"]["number"] == number, (caller, view)
            greeting = "Hello!" if number == 1 else "Welcome!"
            assert view["step"]["text"] == f"{greeting} What is your name?", view
            dialogues.append(Dialogue(view, turns=n % 4, first=n % 2))
            expected[view["session_id"]] = number

        failures: list[str] = []

        def drive(mine: list[Dialogue]) -> None:
            try:
                while not all(d.done for d in mine):
                    for dialogue in mine:
                        if not dialogue.done:
                            resp = dialogue.take(bots[dialogue.server()])
                            assert resp.status_code == 200, (dialogue.sid, resp.text)
            except BaseException as exc:
                failures.append(repr(exc))

        threads = [
            threading.Thread(target=drive, args=(dialogues[n::3],), name=f"client-{n}")
            for n in range(3)
        ]
        for thread in threads:
            thread.start()
        join_all(threads, "the dialogues", timeout=60)
        assert failures == []

        wait_until(
            lambda: _waiting_at(services, timer_ids, "after") == len(timer_ids),
            "every timer to fire",
            timeout=30,
            every=0.1,
            explain=lambda: outputs(workers),
        )
        for n, sid in enumerate(timer_ids):
            # The server that started it holds it live at its first lock_version: it must
            # read the row the worker moved on, not its own copy.
            client = bots[(n // 2) % 2]
            view = client.get(f"/api/v1/sessions/{sid}").json()
            assert view["step"]["id"] == "after", view
            resp = client.post(
                f"/api/v1/sessions/{sid}/steps", json={"step_token": view["step_token"]}
            )
            assert resp.status_code == 200 and resp.json()["status"] == "completed", resp.text
    finally:
        for client in bots + methodologists:
            client.close()

    taken = human_steps_taken(services, [d.sid for d in dialogues])
    for dialogue in dialogues:
        assert dialogue.done
        assert taken[dialogue.sid] == dialogue.acknowledged, dialogue.sid
    assert _versions(services, list(expected)) == expected
    assert_each_timer_fired_once(services, timer_ids)
    after = human_steps_taken(services, timer_ids)
    assert all(steps == [("after", {})] for steps in after.values()), after
    for process in processes:
        assert process.stop() == 0, process.output()
        assert "Traceback" not in process.output(), process.output()


# --- kill -9 ------------------------------------------------------------------------------


@pytest.mark.timeout(120)
def test_a_server_killed_under_load_loses_no_acknowledged_step(
    services: Any,
    settings: Any,
    tokens: dict[str, str],
    deploy: Any,
    key: str,
    processes: list[Process],
    tmp_path: Path,
) -> None:
    deploy(MENU, key)
    doomed, survivor = start_servers(settings, tmp_path, processes, 2)
    setup = survivor.client(tokens["bot"])
    dialogues = [Dialogue(start_session(setup, key), turns=8 + n % 5, first=1) for n in range(12)]
    in_flight = Dialogue(start_session(setup, key), turns=1, first=1)
    setup.close()
    killed = threading.Event()
    failures: list[str] = []
    rerouted: list[str] = []

    def drive(mine: list[Dialogue]) -> None:
        clients = [doomed.client(tokens["bot"]), survivor.client(tokens["bot"])]
        try:
            while not all(d.done for d in mine):
                for dialogue in mine:
                    if dialogue.done:
                        continue
                    server = dialogue.server()
                    try:
                        resp = dialogue.take(clients[server])
                    except httpx.TransportError as exc:
                        assert killed.is_set() and server == 0, repr(exc)
                        rerouted.append(type(exc).__name__)
                        resp = dialogue.take(clients[1])
                    assert resp.status_code == 200, (dialogue.sid, resp.text)
        except BaseException as exc:
            failures.append(repr(exc))
        finally:
            for client in clients:
                client.close()

    threads = [
        threading.Thread(target=drive, args=(dialogues[n::4],), name=f"client-{n}")
        for n in range(4)
    ]
    outcome: list[Any] = []
    doomed_client = doomed.client(tokens["bot"])
    try:
        with row_locked(services, in_flight.sid):
            # One step certainly in flight on the doomed server when it dies.
            stepping = threading.Thread(
                target=lambda: outcome.append(_attempt(in_flight, doomed_client)),
                name="in-flight",
            )
            stepping.start()
            wait_until(
                lambda: lock_waits(services, doomed.name) == 1,
                "the step to wait on the row lock",
            )
            for thread in threads:
                thread.start()
            wait_until(
                lambda: sum(len(d.acknowledged) for d in dialogues) >= 40,
                "40 steps under load",
                timeout=30,
                explain=lambda: "\n".join(failures),
            )
            killed.set()
            doomed.crash()
        join_all([stepping], "the step in flight", timeout=20)
        join_all(threads, "the clients", timeout=60)
    finally:
        doomed_client.close()
    assert failures == []
    assert len(outcome) == 1 and isinstance(outcome[0], httpx.TransportError), outcome
    assert rerouted, "no step was sent to the killed server"
    print("steps rerouted after the kill:", Counter(rerouted))
    assert in_flight.acknowledged == []

    with survivor.client(tokens["bot"]) as client:
        again = client.get(f"/api/v1/sessions/{in_flight.sid}").json()
        assert again["step_token"] == in_flight.view["step_token"], "the lost step was applied"
        while not in_flight.done:
            assert in_flight.take(client).status_code == 200
        for dialogue in dialogues:
            view = client.get(f"/api/v1/sessions/{dialogue.sid}").json()
            assert view["status"] == "completed", view
    everyone = [*dialogues, in_flight]
    taken = human_steps_taken(services, [d.sid for d in everyone])
    for dialogue in everyone:
        assert taken[dialogue.sid] == dialogue.acknowledged, dialogue.sid
    assert "Traceback" not in survivor.output(), survivor.output()


def _attempt(dialogue: Dialogue, client: httpx.Client) -> Any:
    try:
        return dialogue.take(client)
    except httpx.TransportError as exc:
        return exc


@pytest.mark.timeout(120)
def test_a_worker_killed_in_a_timer_batch_leaves_each_timer_to_fire_once(
    client: Any,
    services: Any,
    settings: Any,
    tokens: dict[str, str],
    deploy: Any,
    key: str,
    processes: list[Process],
    tmp_path: Path,
) -> None:
    count = 200
    deploy(TIMERS, key)
    [first] = start_workers(settings, services, tmp_path, processes, 1)
    when = due_after_starting(client, tokens["bot"], key, count)
    ids = start_timer_sessions(client, tokens["bot"], key, count, when)
    assert datetime.now(UTC) < when, "starting the sessions took longer than the timers wait"
    wait_until(
        lambda: _waiting_at(services, ids, "after") > 0,
        "the first timer",
        timeout=30,
        every=0.01,
        explain=first.output,
    )
    first.crash()
    fired_before = _waiting_at(services, ids, "after")
    assert fired_before < count, "the batch was over before the kill"
    [second] = start_workers(settings, services, tmp_path, processes, 1)
    wait_until(
        lambda: _waiting_at(services, ids, "after") == count,
        f"all {count} timers to fire",
        timeout=60,
        every=0.1,
        explain=lambda: outputs([first, second]),
    )
    assert_each_timer_fired_once(services, ids)
    assert second.fired() >= count - fired_before - 1, second.output()
    assert second.stop() == 0, second.output()
    assert "Traceback" not in second.output(), second.output()


# --- graceful shutdown --------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_sigterm_lets_the_step_in_flight_finish(
    services: Any,
    settings: Any,
    tokens: dict[str, str],
    deploy: Any,
    key: str,
    processes: list[Process],
    tmp_path: Path,
) -> None:
    deploy(MENU, key)
    [server] = start_servers(settings, tmp_path, processes, 1)
    with server.client(tokens["bot"]) as client:
        dialogue = Dialogue(start_session(client, key), turns=0)
        outcome: list[Any] = []
        stepping = threading.Thread(
            target=lambda: outcome.append(_attempt(dialogue, client)), name="in-flight"
        )
        with row_locked(services, dialogue.sid):
            stepping.start()
            wait_until(
                lambda: lock_waits(services, server.name) == 1,
                "the step to wait on the row lock",
            )
            server.process.send_signal(signal.SIGTERM)
            time.sleep(1.0)
            assert server.alive(), "the server exited with a step in flight"
            assert outcome == []
        join_all([stepping], "the step in flight", timeout=20)
    assert len(outcome) == 1 and isinstance(outcome[0], httpx.Response), outcome
    assert outcome[0].status_code == 200, outcome[0].text
    assert server.process.wait(timeout=25) == 0, server.output()
    assert human_steps_taken(services, [dialogue.sid])[dialogue.sid] == dialogue.acknowledged
    assert dialogue.acknowledged == [("name", {"name": f"N{dialogue.sid[:6]}"})]
