"""Shared benchmark plumbing: a fresh PostgreSQL schema, a gunicorn server, percentiles."""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from engine.persistence.database import normalize_url

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("CUEBOOK_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
CUEBOOK = str(Path(sys.executable).parent / "cuebook")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(name: str, values_ms: list[float]) -> str:
    return (
        f"{name:<34} n={len(values_ms):<6} p50={percentile(values_ms, 50):7.2f} ms  "
        f"p99={percentile(values_ms, 99):7.2f} ms  mean={statistics.fmean(values_ms):7.2f} ms"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def fresh_schema(url: str = PG_URL) -> Iterator[dict[str, str]]:
    """Environment for a Cuebook process on its own schema; dropped afterwards."""
    schema = f"cuebook_bench_{uuid.uuid4().hex[:8]}"
    var_dir = tempfile.mkdtemp(prefix=schema)
    env = dict(
        os.environ,
        CUEBOOK_DATABASE_URL=url,
        CUEBOOK_DATABASE_SCHEMA=schema,
        CUEBOOK_SECRET_KEY="bench",
        CUEBOOK_VAR_DIR=var_dir,
    )
    subprocess.run([CUEBOOK, "db", "upgrade"], env=env, check=True, capture_output=True)
    try:
        yield env
    finally:
        engine = sa.create_engine(normalize_url(url))
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        engine.dispose()
        shutil.rmtree(var_dir, ignore_errors=True)


def run_sql(engine: sa.engine.Engine, script: str, params: dict[str, Any]) -> None:
    """Run a script of statements separated by ``;`` at line ends, in one transaction, each
    with ``params`` bound (the benchmarks fill their tables this way, not through HTTP)."""
    with engine.begin() as conn:
        for statement in script.split(";\n"):
            if statement.strip():
                conn.execute(sa.text(statement), params)


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([CUEBOOK, *args], env=env, check=True, capture_output=True, text=True)
    return done.stdout.strip()


@contextmanager
def gunicorn(env: dict[str, str], workers: int = 2, threads: int = 2) -> Iterator[str]:
    with gunicorn_process(env, workers, threads) as (base, _proc):
        yield base


@contextmanager
def gunicorn_process(
    env: dict[str, str],
    workers: int = 2,
    threads: int = 2,
    *,
    gunicorn_args: str = "",
    start_timeout: float = 30.0,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``cuebook serve`` on a free port; yields its base URL and the gunicorn master process.

    ``gunicorn_args`` go to gunicorn through GUNICORN_CMD_ARGS (e.g. ``--worker-class sync``);
    the PostgreSQL connections carry the application name ``cuebook-bench-<port>``."""
    port = free_port()
    env = dict(env, PGAPPNAME=f"cuebook-bench-{port}")
    if gunicorn_args:
        env["GUNICORN_CMD_ARGS"] = gunicorn_args
    proc = subprocess.Popen(
        [
            CUEBOOK,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--threads",
            str(threads),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not start")
        yield base, proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)
