"""Load from wrk (a C load generator, not the bottleneck) and server CPU read from /proc.

The sessions are made before a run: one is started through HTTP, the rest are copies of its
row made in SQL (each with its own id), all waiting at the first form. Each wrk connection
walks its own share of them (bench/dialogue.lua), so wrk's latency figures are step
latencies only. While wrk runs, the CPU time of the gunicorn master and workers and of the
PostgreSQL processes serving them (their backends, found by application name, plus the
server's background processes) is read from /proc before and after: CPU per step is that
time over the steps taken.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from bench._harness import PG_URL
from engine.persistence.database import normalize_url

LUA = Path(__file__).resolve().parent / "dialogue.lua"
TICK = os.sysconf("SC_CLK_TCK")


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is not installed: `make bench` installs it (apt-get install wrk)")
    return found


@dataclass
class Load:
    """What one wrk run measured."""

    steps: int
    seconds: float
    p50: float
    p90: float
    p99: float
    max: float
    errors: int
    cpu_workers_s: float = 0.0
    cpu_pg_s: float = 0.0
    cpu_client_s: float = 0.0

    @property
    def rate(self) -> float:
        return self.steps / self.seconds

    @property
    def cpu_per_step_ms(self) -> float:
        return (self.cpu_workers_s + self.cpu_pg_s) / max(self.steps, 1) * 1000

    def line(self, name: str) -> str:
        return (
            f"{name:<44} {self.rate:6.0f} steps/s  p50={self.p50:6.2f} ms  p99={self.p99:7.2f} ms"
            f"  max={self.max:7.1f} ms  errors={self.errors}"
        )

    def cpu_line(self) -> str:
        per = 1000 / max(self.steps, 1)
        return (
            f"{'  server CPU per step':<44} {self.cpu_per_step_ms:6.2f} ms"
            f"  (gunicorn {self.cpu_workers_s * per:.2f} + PostgreSQL {self.cpu_pg_s * per:.2f});"
            f" wrk {self.cpu_client_s * per:.2f} ms"
        )


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    """User and system CPU time of each of ``pids`` so far, in seconds (those gone left out)."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / TICK  # utime, stime
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of ``pids`` so far, in seconds (those gone count 0)."""
    return sum(cpu_by_pid(pids).values())


def reaped_cpu(pid: int) -> float:
    """CPU time of the children ``pid`` has reaped so far (cutime + cstime), in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[13]) + int(fields[14])) / TICK


def cpu_between(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU spent between two samples (``cpu_by_pid``, plus a parent's reaped children under
    its negated PID): a process that started meanwhile counts whole; one that exited
    meanwhile is counted through its parent's reaped time, less what it had at the first
    sample (subtracting totals of the processes alive at each sample gave negative figures
    when an autovacuum worker exited mid-run)."""
    spent = sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())
    gone = sum(cpu for pid, cpu in before.items() if pid > 0 and pid not in after)
    return spent - gone


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _pg_pids(app_name: str) -> list[int]:
    engine = sa.create_engine(normalize_url(PG_URL))
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %(name)s"
            " OR backend_type NOT IN ('client backend', 'walsender')",
            {"name": app_name},
        ).all()
    engine.dispose()
    return [int(r[0]) for r in rows]


class Server:
    """The processes whose CPU counts: a gunicorn master's tree and its PostgreSQL."""

    def __init__(self, master_pid: int, app_name: str) -> None:
        self.master_pid = master_pid
        self.app_name = app_name

    def sample(self) -> tuple[dict[int, float], dict[int, float]]:
        """CPU so far of each gunicorn process and of each PostgreSQL process (``cpu_by_pid``),
        with the time of the children the gunicorn master and the postmaster reaped (under
        their negated PIDs): a backend or worker that exits mid-run still counts. The
        postmaster's reaped time includes backends of any other client that exits
        meanwhile: run the benchmarks on a machine doing nothing else."""
        workers = [self.master_pid, *_children(self.master_pid)]
        pg = _pg_pids(self.app_name)
        by_worker = cpu_by_pid(workers)
        by_worker[-self.master_pid] = reaped_cpu(self.master_pid)
        by_pg = cpu_by_pid(pg)
        postmaster = _parent(pg[0]) if pg else None
        if postmaster is not None:
            by_pg[-postmaster] = reaped_cpu(postmaster)
        return by_worker, by_pg


def clone_sessions(
    env: dict[str, str], base: str, token: str, script: str, count: int, channel: str = ""
) -> list[Any]:
    """``count`` sessions waiting at the script's first step: one started over HTTP (on
    ``channel``, if given), the others copies of its row (new ids). Returns (id, step token,
    step id) each."""
    headers = {"Authorization": f"Bearer {token}"}
    start = {"script": script, **({"channel": channel} if channel else {})}
    view = httpx.post(f"{base}/api/v1/sessions", json=start, headers=headers, timeout=30).json()
    if "session_id" not in view:
        raise RuntimeError(f"could not start a session of {script}: {view}")
    ids = [str(uuid.uuid4()) for _ in range(count - 1)]
    engine = sa.create_engine(
        normalize_url(env["CUEBOOK_DATABASE_URL"]),
        connect_args={"options": f"-csearch_path={env['CUEBOOK_DATABASE_SCHEMA']}"},
    )
    with engine.begin() as conn:
        columns = [
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT column_name FROM information_schema.columns WHERE table_name = "
                "'instances' AND table_schema = %(s)s",
                {"s": env["CUEBOOK_DATABASE_SCHEMA"]},
            )
        ]
        copied = ", ".join(c for c in columns if c != "id")
        conn.exec_driver_sql(
            f"INSERT INTO instances (id, {copied}) SELECT n, {copied} FROM instances, "
            "unnest(%(ids)s::text[]) AS n WHERE id = %(template)s",
            {"ids": ids, "template": view["session_id"]},
        )
    engine.dispose()
    step = view["step"]["id"] if "step" in view else view["step_id"]  # the chat JSON
    return [(sid, view["step_token"], step) for sid in [view["session_id"], *ids]]


def run_wrk(
    base: str,
    token: str,
    sessions: list[Any],
    *,
    connections: int,
    seconds: float,
    think_ms: float = 0.0,
    server: Server | None = None,
    answer: str = "form",
) -> Load:
    """wrk with ``connections`` connections (one thread each) for ``seconds``; ``answer``
    is what each step sends (bench/dialogue.lua: form, unique, repeated or chat)."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        for i, (sid, tok, step) in enumerate(sessions):
            f.write(f"{i % connections} {sid} {tok} {step}\n")
        path = f.name
    env = dict(
        os.environ,
        CUEBOOK_WRK_SESSIONS=path,
        CUEBOOK_WRK_THINK_MS=str(think_ms),
        CUEBOOK_WRK_TOKEN=token,
        CUEBOOK_WRK_ANSWER=answer,
    )
    args = [
        wrk_path(),
        "-t",
        str(connections),
        "-c",
        str(connections),
        "-d",
        f"{seconds:.0f}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        base,
    ]
    before = server.sample() if server else ({}, {})
    client_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    client = resource.getrusage(resource.RUSAGE_CHILDREN)
    after = server.sample() if server else ({}, {})
    os.unlink(path)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {done.stdout[-2000:]} {done.stderr[-2000:]}")
    got = dict(kv.split("=") for kv in line.split()[1:])
    errors = sum(int(got[k]) for k in got if k.startswith("errors_")) + int(got["failed"])
    return Load(
        steps=int(got["requests"]),
        seconds=float(got["seconds"]),
        p50=float(got["p50"]),
        p90=float(got["p90"]),
        p99=float(got["p99"]),
        max=float(got["max"]),
        errors=errors,
        cpu_workers_s=cpu_between(before[0], after[0]),
        cpu_pg_s=cpu_between(before[1], after[1]),
        cpu_client_s=(client.ru_utime + client.ru_stime)
        - (client_before.ru_utime + client_before.ru_stime),
    )
