"""Connections that are open but send nothing hold no thread of ``cuebook serve``.

A load balancer or a browser opens connections ahead of use, and a bot platform may connect
before it has a step to send. gunicorn's threaded worker gave each new connection a thread
that waited up to 5 s for its request: with more idle connections than threads, every
other request waited behind them (25 s for 40 idle connections against 2 x 8 threads).
The worker keeps a new connection in its poller until bytes arrive (cuebook/gunicorn_conf.py).
"""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.processes import Process, start_servers

pytestmark = pytest.mark.postgres

IDLE = 30  # more than the worker's 8 threads, several times over


def _status_line(sock: socket.socket) -> bytes:
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    return sock.recv(4096).split(b"\r\n", 1)[0]


@pytest.mark.timeout(90)
def test_idle_connections_do_not_hold_up_requests(
    settings: Any, processes: list[Process], tmp_path: Path
) -> None:
    (server,) = start_servers(settings, tmp_path, processes, 1)
    idle = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(IDLE)]
    try:
        time.sleep(0.3)  # every idle connection accepted by now
        began = time.monotonic()
        resp = httpx.get(server.base + "/healthz", timeout=20)
        took = time.monotonic() - began
        assert resp.status_code == 200
        # gunicorn's own worker answered after 5 s at the least (a thread per idle socket)
        assert took < 2.5, f"a request waited {took:.1f} s behind {IDLE} idle connections"
        # an idle connection that speaks at last is answered like any other
        assert _status_line(idle[0]) == b"HTTP/1.1 200 OK"
        assert _status_line(idle[-1]) == b"HTTP/1.1 200 OK"
    finally:
        for sock in idle:
            sock.close()


@pytest.mark.timeout(90)
def test_an_idle_connection_does_not_hold_a_draining_server(
    settings: Any, processes: list[Process], tmp_path: Path
) -> None:
    """A parked connection gets the short linger kept-alive ones get when the server stops,
    not the whole graceful timeout (20 s): rolling restarts stay quick."""
    (server,) = start_servers(settings, tmp_path, processes, 1)
    idle = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        time.sleep(0.3)
        began = time.monotonic()
        server.process.terminate()
        server.process.wait(timeout=30)
        took = time.monotonic() - began
        assert took < 10, f"the server took {took:.1f} s to stop with one idle connection open"
    finally:
        idle.close()
