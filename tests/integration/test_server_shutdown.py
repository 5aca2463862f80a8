"""Requests that reach a ``cuebook serve`` after it got SIGTERM, while a step in flight keeps
it draining: each gets a whole answer, or its connection is refused before the request is
sent (a load balancer sends it to another server), never a step half done.

A step in flight is held on its session's row lock, so the server is certainly draining
while the late requests come, however slow the machine. Late requests come on a connection
kept alive from before the signal and on new connections. Every step answered 200 is in the
history once; every step refused or cut is not, and is taken on the other server with the
same step token.
"""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import BUNDLES
from tests.support.dialogues import Dialogue, human_steps_taken, start_session
from tests.support.processes import Process, lock_waits, row_locked, start_servers
from tests.support.waiting import join_all, wait_until

pytestmark = pytest.mark.postgres

MENU = BUNDLES / "menu_loop"
LATE_FOR_S = 3.0  # how long late requests keep coming while the step in flight is held


class Late:
    """What happened to each late step: 'answered' (200) or the transport error's class;
    steps not answered are taken on the other server afterwards."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.kinds: Counter[str] = Counter()
        self.unanswered: list[tuple[Dialogue, str]] = []  # (dialogue, the token sent)
        self.errors: list[tuple[Dialogue, Exception]] = []
        self.last: float = 0.0  # when the last late step had its outcome
        self.wrong: list[str] = []

    def step(self, dialogue: Dialogue, client: httpx.Client) -> bool:
        token = dialogue.view["step_token"]
        try:
            resp = dialogue.take(client)
        except httpx.TransportError as exc:
            with self.lock:
                self.kinds[type(exc).__name__] += 1
                self.unanswered.append((dialogue, token))
                self.errors.append((dialogue, exc))
                self.last = time.monotonic()
            return False
        with self.lock:
            self.last = time.monotonic()
            if resp.status_code == 200:
                self.kinds["answered"] += 1
            else:
                self.wrong.append(f"{dialogue.sid}: {resp.status_code} {resp.text}")
        return resp.status_code == 200


@pytest.mark.timeout(120)
def test_requests_arriving_during_a_shutdown_are_answered_or_refused(
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
    with survivor.client(tokens["bot"]) as setup:
        in_flight = Dialogue(start_session(setup, key), turns=0)
        on_kept = Dialogue(start_session(setup, key), turns=30)
        on_new = [Dialogue(start_session(setup, key), turns=30) for _ in range(2)]
    kept = doomed.client(tokens["bot"])
    assert on_kept.take(kept).status_code == 200  # the connection is open before the signal
    late = Late()
    outcome: list[Any] = []
    stop = threading.Event()

    def keep_stepping(dialogue: Dialogue, fresh: bool) -> None:
        """Step ``dialogue`` on the draining server until a step is not answered."""
        try:
            while not stop.is_set():
                if fresh:
                    with doomed.client(tokens["bot"]) as client:
                        answered = late.step(dialogue, client)
                else:
                    answered = late.step(dialogue, kept)
                if not answered:
                    return
                stop.wait(0.1)
        except BaseException as exc:
            late.wrong.append(repr(exc))

    client = doomed.client(tokens["bot"])
    stepping = threading.Thread(
        target=lambda: outcome.append(_attempt(in_flight, client)), name="in-flight"
    )
    clients = [threading.Thread(target=keep_stepping, args=(on_kept, False), name="kept")]
    clients += [
        threading.Thread(target=keep_stepping, args=(d, True), name=f"new-{n}")
        for n, d in enumerate(on_new)
    ]
    try:
        with row_locked(services, in_flight.sid):
            stepping.start()
            wait_until(
                lambda: lock_waits(services, doomed.name) == 1, "the step to wait on the row lock"
            )
            doomed.process.send_signal(signal.SIGTERM)
            wait_until(lambda: _refused(doomed.port), "the draining server to stop listening")
            for thread in clients:
                thread.start()
            time.sleep(LATE_FOR_S)
            assert doomed.alive(), "the server exited with a step in flight"
            stop.set()
            released = time.monotonic()
        join_all(clients, "the late clients", timeout=30)
        join_all([stepping], "the step in flight", timeout=30)
    finally:
        client.close()
        kept.close()
    print("late steps:", dict(late.kinds))
    assert late.wrong == []
    assert len(outcome) == 1 and isinstance(outcome[0], httpx.Response), outcome
    assert outcome[0].status_code == 200, outcome[0].text
    # Each late client ends on a step the draining server did not take: refused at once
    # (before the request was sent), not held until the drain ends and then cut. The kept
    # connection is answered while gunicorn lingers on it; if it is closed as a request
    # goes out, the request is not read (the history check below proves it).
    assert len(late.unanswered) == 1 + len(on_new), late.kinds
    assert set(late.kinds) <= {"answered", "ConnectError", "RemoteProtocolError"}, late.kinds
    assert {type(e).__name__ for d, e in late.errors if d is not on_kept} == {"ConnectError"}
    assert late.last < released, "a late request was held until the step in flight ended"
    assert doomed.process.wait(timeout=30) == 0, doomed.output()

    with survivor.client(tokens["bot"]) as client:
        for dialogue, token in late.unanswered:
            view = client.get(f"/api/v1/sessions/{dialogue.sid}").json()
            assert view["step_token"] == token, f"{dialogue.sid}: a step not answered was taken"
            while not dialogue.done:
                assert dialogue.take(client).status_code == 200
    everyone = [in_flight, on_kept, *on_new]
    taken = human_steps_taken(services, [d.sid for d in everyone])
    for dialogue in everyone:
        assert taken[dialogue.sid] == dialogue.acknowledged, dialogue.sid


def _refused(port: int) -> bool:
    """True once a connection to ``port`` is refused."""
    with socket.socket() as sock:
        sock.settimeout(2)
        try:
            sock.connect(("127.0.0.1", port))
        except ConnectionRefusedError:
            return True
    return False


def _attempt(dialogue: Dialogue, client: httpx.Client) -> Any:
    try:
        return dialogue.take(client)
    except httpx.TransportError as exc:
        return exc
