"""``cuebook serve`` (gunicorn) and ``cuebook worker`` subprocesses for tests about
processes (scale-out, faults, a database restarted under load)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from engine.persistence.tables import instances
from tests.conftest import auth
from tests.support.waiting import wait_until
from tests.support.worker_env import worker_env

CUEBOOK = Path(sys.executable).parent / "cuebook"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Process:
    """A ``cuebook`` subprocess in a process group of its own (its PID is the group's id),
    with its output in a file."""

    def __init__(self, settings: Any, folder: Path, name: str, *args: str) -> None:
        self.name = name
        self.log_path = folder / f"{name}.log"
        var = folder / f"{name}-var"
        var.mkdir()
        env = worker_env(settings, name)
        env["CUEBOOK_VAR_DIR"] = str(var)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(CUEBOOK), *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=folder,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def crash(self) -> None:
        """kill -9 the process and every process it started (gunicorn's workers)."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)
        wait_until(lambda: not _group_alive(self.pid), f"{self.name}'s processes to die")

    def stop(self, within: float = 25.0) -> int | None:
        """SIGTERM, then kill -9 of the group if it has not exited ``within`` seconds."""
        if self.alive():
            self.process.terminate()
            try:
                return self.process.wait(timeout=within)
            except subprocess.TimeoutExpired:
                pass
        if _group_alive(self.pid):
            self.crash()
        return self.process.returncode


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Server(Process):
    def __init__(self, settings: Any, folder: Path, name: str, workers: int = 1) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        super().__init__(
            settings,
            folder,
            name,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(workers),
        )

    def ready(self) -> bool:
        if not self.alive():
            pytest.fail(f"{self.name} exited with {self.process.returncode}:\n{self.output()}")
        try:
            return httpx.get(self.base + "/readyz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def client(self, token: str) -> httpx.Client:
        return httpx.Client(base_url=self.base, headers=auth(token), timeout=20)


class Worker(Process):
    def __init__(self, settings: Any, folder: Path, name: str) -> None:
        super().__init__(settings, folder, name, "worker", "--interval", "0.05")

    def fired(self) -> int:
        lines = self.output().splitlines()
        return sum(int(line.split()[1]) for line in lines if line.startswith("fired "))


def start_servers(settings: Any, folder: Path, started: list[Process], count: int) -> list[Server]:
    servers = [Server(settings, folder, f"serve-{uuid.uuid4().hex[:8]}") for _ in range(count)]
    started.extend(servers)
    for server in servers:
        wait_until(server.ready, f"{server.name} to be ready", timeout=30, every=0.1)
    return servers


def worker_connected(services: Any, worker: Worker) -> bool:
    if not worker.alive():
        pytest.fail(f"{worker.name} exited with {worker.process.returncode}:\n{worker.output()}")
    q = sa.text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name")
    with services.database.engine.connect() as conn:
        return int(conn.execute(q, {"name": worker.name}).scalar_one()) > 0


def start_workers(
    settings: Any, services: Any, folder: Path, started: list[Process], count: int
) -> list[Worker]:
    workers = [Worker(settings, folder, f"worker-{uuid.uuid4().hex[:8]}") for _ in range(count)]
    started.extend(workers)
    for worker in workers:
        wait_until(partial(worker_connected, services, worker), f"{worker.name} to connect")
    return workers


def outputs(processes: Sequence[Process]) -> str:
    return "\n".join(f"--- {p.name}:\n{p.output()[-3000:]}" for p in processes)


def lock_waits(services: Any, name: str) -> int:
    """Backends of the process named ``name`` waiting for a lock."""
    q = sa.text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE application_name = :name AND wait_event_type = 'Lock'"
    )
    with services.database.engine.connect() as conn:
        return int(conn.execute(q, {"name": name}).scalar_one())


@contextmanager
def row_locked(services: Any, sid: str) -> Iterator[None]:
    """Hold the instance row lock from another connection until the block ends."""
    with services.database.engine.connect() as conn, conn.begin():
        locked = sa.select(instances.c.id).where(instances.c.id == sid).with_for_update()
        assert conn.execute(locked).scalar_one() == sid
        yield
