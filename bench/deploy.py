"""Hot deploy under load: publishes and canary splits while bot conversations run.

    python bench/deploy.py [--conversations 200] [--rounds 10] [--rate 100] [--baseline 20]

Two gunicorn servers (``cuebook serve``, ``--workers`` each) on one fresh PostgreSQL
schema. A separate process runs ``--conversations`` bot conversations of the menu_loop
test script, half on each server, about ``--rate`` requests/s in all: each starts a
session, answers its name, loops a random 10-30 turns, says stop and starts again.

After a warm-up (every conversation started) and a baseline of ``--baseline`` seconds,
each of ``--rounds`` rounds deploys a new version and releases it to ``--canary`` percent
of new sessions (a split with the version before), then publishes it (100%), ``--gap``
seconds apart. After each call returns, probes start sessions on both servers, each on a
new connection, with session keys whose version the change moves; the server end of each
probe's connection is found in /proc to learn which gunicorn worker served it. A change
has propagated when every worker of both servers has started a probe on the new release;
the time from the call's return to that moment is the figure.

Prints: conversation steps (p50/p99) before any change, between changes and during
changes (from a call until its propagation ends, plus a second; split into the time the
probes ran, which adds their own starts to the load, and the second after), and in a
control window each round where the same probes run with no change (their own cost); failed
requests of every kind, and per kind of change the call's own time, the propagation time
p50/p99/max, the time to the first probe on the new release, and how many probes landed
on the old release after the call returned (a start reads the release from the database,
so none should).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import multiprocessing as mp
import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import ROOT, cli, fresh_schema, gunicorn_process, percentile
from bench.load import _children
from engine.bpmn.bundle import bundle_from_path
from engine.releases import BUCKETS, bucket_of

BUNDLE = ROOT / "tests" / "fixtures" / "bundles" / "menu_loop"
KEY = "deploy_bench"
PROBE_THREADS = 4
PROPAGATION_LIMIT_S = 30.0

# One request of the load: (monotonic start, milliseconds, HTTP status or 0, kind).
Record = tuple[float, float, int, str]


# --- the load: bot conversations in their own process ---------------------------------


async def _call(
    http: Any, url: str, body: dict[str, Any], kind: str, records: list[Record]
) -> dict[str, Any] | None:
    t0 = time.monotonic()
    try:
        async with http.post(url, json=body) as resp:
            status = resp.status
            view = await resp.json()
    except Exception:
        records.append((t0, (time.monotonic() - t0) * 1000, 0, kind))
        return None
    records.append((t0, (time.monotonic() - t0) * 1000, status, kind))
    return view if status in (200, 201) else None


async def _conversation(
    http: Any, base: str, number: int, think_s: float, stop: Any, records: list[Record]
) -> None:
    rng = random.Random(number)
    await asyncio.sleep(rng.uniform(0, think_s * 2))
    round_ = 0
    while not stop.is_set():
        round_ += 1
        start = {"script": KEY, "channel": "chat", "session_key": f"bot-{number}-{round_}"}
        view = await _call(http, f"{base}/api/v1/sessions", start, "start", records)
        if view is None:
            await asyncio.sleep(think_s)
            continue
        answers: list[dict[str, Any]] = [{"name": f"Bot {number}"}]
        answers += [{"choice": "again"}] * rng.randint(10, 30) + [{"choice": "stop"}]
        for answer in answers:
            await asyncio.sleep(rng.expovariate(1 / think_s))
            if stop.is_set():
                return
            body = {"step_token": view["step_token"], "answer": answer}
            url = f"{base}/api/v1/sessions/{view['session_id']}/steps"
            view = await _call(http, url, body, "step", records)
            if view is None:
                break


def run_load(
    bases: list[str], token: str, conversations: int, rate: float, stop: Any, out: Any
) -> None:
    """Runs until ``stop`` is set; puts the list of records on ``out``."""
    import aiohttp

    async def main() -> list[Record]:
        records: list[Record] = []
        think_s = conversations / rate
        headers = {"Authorization": f"Bearer {token}"}
        connector = aiohttp.TCPConnector(limit=conversations)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(
            headers=headers, connector=connector, timeout=timeout
        ) as http:
            await asyncio.gather(
                *[
                    _conversation(http, bases[i % len(bases)], i, think_s, stop, records)
                    for i in range(conversations)
                ]
            )
        return records

    out.put(asyncio.run(main()))


# --- probes: which worker starts which version -----------------------------------------


def _socket_inode(server_port: int, client_port: int) -> str | None:
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            parts = line.split()
            local, remote = parts[1], parts[2]
            if (
                int(local.rsplit(":", 1)[1], 16) == server_port
                and int(remote.rsplit(":", 1)[1], 16) == client_port
            ):
                return parts[9]
    return None


def worker_of(server_port: int, client_port: int, workers: list[int]) -> int | None:
    """The gunicorn worker holding the server end of a client's connection."""
    inode = _socket_inode(server_port, client_port)
    if inode is None:
        return None
    target = f"socket:[{inode}]"
    for pid in workers:
        fd_dir = f"/proc/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"{fd_dir}/{fd}") == target:
                    return pid
            except OSError:
                continue
    return None


@dataclass
class Probe:
    done_at: float
    worker: int | None
    version: int | None
    status: int


def probe(port: int, token: str, session_key: str, workers: list[int]) -> Probe:
    """One session start on a new connection; the version it got and the worker that served it."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"script": KEY, "channel": "chat", "session_key": session_key})
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    try:
        conn.request("POST", "/api/v1/sessions", body=body, headers=headers)
        resp = conn.getresponse()
        payload = resp.read()
        done_at = time.monotonic()
        client_port = conn.sock.getsockname()[1] if conn.sock else 0
        worker = worker_of(port, client_port, workers)
        version = None
        if resp.status == 201:
            version = int(json.loads(payload)["version"]["number"])
        return Probe(done_at, worker, version, resp.status)
    except (OSError, http.client.HTTPException):
        return Probe(time.monotonic(), None, None, 0)
    finally:
        conn.close()


@dataclass
class Change:
    kind: str
    began: float
    returned: float
    ended: float = 0.0
    propagation_ms: float = float("nan")
    probes: int = 0
    stale: int = 0
    failed: int = 0
    per_worker_ms: dict[int, float] = field(default_factory=dict)
    first_ms: float = float("nan")


def keys_moved(round_: int, kind: str, moved: Callable[[int], bool]) -> list[str]:
    """Probe session keys whose bucket the change moves to the new version."""
    keys: list[str] = []
    n = 0
    while len(keys) < 2000:
        key = f"probe-{round_}-{kind}-{n}"
        n += 1
        if moved(bucket_of(KEY, key)):
            keys.append(key)
    return keys


def propagate(
    change: Change,
    want: int,
    keys: list[str],
    servers: list[tuple[int, list[int]]],
    token: str,
    pool: ThreadPoolExecutor,
) -> None:
    """Probe until every worker of every server has started a session on ``want``."""
    every = {pid for _, pids in servers for pid in pids}
    first_new: dict[int, float] = {}
    first: list[float] = []
    lock = threading.Lock()
    cursor = iter(enumerate(keys))

    def walker(offset: int) -> None:
        while True:
            with lock:
                if set(first_new) >= every:
                    return
                if time.monotonic() - change.returned > PROPAGATION_LIMIT_S:
                    return
                try:
                    i, key = next(cursor)
                except StopIteration:
                    return
            port, pids = servers[(i + offset) % len(servers)]
            got = probe(port, token, key, pids)
            with lock:
                change.probes += 1
                if got.status != 201:
                    change.failed += 1
                elif got.version != want:
                    change.stale += 1
                else:
                    first.append(got.done_at)
                    if got.worker is not None and got.worker not in first_new:
                        first_new[got.worker] = got.done_at

    list(pool.map(walker, range(PROBE_THREADS)))
    change.ended = time.monotonic()
    if first:
        change.first_ms = (min(first) - change.returned) * 1000
    change.per_worker_ms = {pid: (t - change.returned) * 1000 for pid, t in first_new.items()}
    if set(first_new) >= every:
        change.propagation_ms = max(change.per_worker_ms.values())


# --- the run --------------------------------------------------------------------------


def variant(files: dict[str, bytes], round_: int) -> dict[str, bytes]:
    changed = dict(files)
    changed["menu_loop.bpmn"] = files["menu_loop.bpmn"].replace(
        b"Hello! What is your name?", f"Hello (release {round_})! What is your name?".encode()
    )
    return changed


def canary_moved(weight: int) -> Callable[[int], bool]:
    edge = (100 - weight) * BUCKETS // 100
    return lambda bucket: bucket >= edge


def timed(change: Change, call: Callable[..., httpx.Response], *args: Any, **kw: Any) -> None:
    change.began = time.monotonic()
    resp = call(*args, **kw)
    change.returned = time.monotonic()
    if resp.status_code not in (200, 201):
        raise RuntimeError(f"{change.kind} failed: {resp.status_code} {resp.text[:300]}")


def rounds(
    admin: httpx.Client,
    files: dict[str, bytes],
    count: int,
    gap_s: float,
    canary_weight: int,
    servers: list[tuple[int, list[int]]],
    token: str,
) -> list[Change]:
    changes: list[Change] = []
    with ThreadPoolExecutor(PROBE_THREADS) as pool:
        for r in range(1, count + 1):
            upload = [("files", (n, body)) for n, body in sorted(variant(files, r).items())]
            made = admin.post(f"/api/v1/scripts/{KEY}/versions", files=upload)
            made.raise_for_status()
            new = int(made.json()["number"])
            old = new - 1
            time.sleep(gap_s)

            control = Change("control", 0.0, 0.0)
            control.began = control.returned = time.monotonic()
            anyone = keys_moved(r, "control", lambda b: True)
            propagate(control, old, anyone, servers, token, pool)
            changes.append(control)
            time.sleep(gap_s)

            canary = Change("canary split", 0.0, 0.0)
            versions = [
                {"number": old, "weight": 100 - canary_weight},
                {"number": new, "weight": canary_weight},
            ]
            timed(canary, admin.put, f"/api/v1/scripts/{KEY}/release", json={"versions": versions})
            moved = canary_moved(canary_weight)
            propagate(canary, new, keys_moved(r, "canary", moved), servers, token, pool)
            changes.append(canary)
            time.sleep(gap_s)

            publish = Change("publish", 0.0, 0.0)
            timed(publish, admin.post, f"/api/v1/scripts/{KEY}/versions/{new}/publish")
            were_old = keys_moved(r, "publish", lambda b, moved=moved: not moved(b))
            propagate(publish, new, were_old, servers, token, pool)
            changes.append(publish)
            time.sleep(gap_s)
    return changes


def line(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:<44} n=0"
    return (
        f"{name:<44} n={len(values):<6} p50={percentile(values, 50):7.2f} ms  "
        f"p99={percentile(values, 99):7.2f} ms  max={max(values):8.2f} ms"
    )


def report(
    records: list[Record],
    changes: list[Change],
    load_began: float,
    baseline_end: float,
    warmup_s: float,
) -> None:
    controls = [c for c in changes if c.kind == "control"]
    changes = [c for c in changes if c.kind != "control"]
    windows = [(c.began, c.ended + 1.0) for c in changes]
    control_windows = [(c.began, c.ended + 1.0) for c in controls]

    def during(t: float) -> bool:
        return any(a <= t <= b for a, b in windows)

    def probed(t: float) -> bool:
        return any(a <= t <= b for a, b in control_windows)

    warm = load_began + warmup_s
    first_change = changes[0].began if changes else float("inf")
    last_window = windows[-1][1] if windows else float("inf")
    ok = [r for r in records if r[2] in (200, 201)]
    steps = [r for r in ok if r[3] == "step"]
    before = [r[1] for r in steps if warm <= r[0] < min(baseline_end, first_change)]
    in_changes = [r[1] for r in steps if during(r[0])]
    between = [
        r[1]
        for r in steps
        if first_change <= r[0] <= last_window and not during(r[0]) and not probed(r[0])
    ]
    in_controls = [r[1] for r in steps if probed(r[0])]
    starts_during = [r[1] for r in ok if r[3] == "start" and during(r[0])]
    starts_else = [r[1] for r in ok if r[3] == "start" and r[0] >= warm and not during(r[0])]
    failed = [r for r in records if r[2] not in (200, 201)]
    span = max(r[0] for r in records) - min(r[0] for r in records)

    print(f"load: {len(records)} requests in {span:.0f} s ({len(records) / span:.0f}/s)")
    print("conversation steps")
    print(line("  baseline (before any change)", before))
    print(line("  between changes", between))
    print(line("  control: probes alone, no change (+ 1 s)", in_controls))
    print(line("  during changes (call .. propagated + 1 s)", in_changes))
    probing = [r[1] for r in steps if any(c.began <= r[0] <= c.ended for c in changes)]
    after = [r[1] for r in steps if any(c.ended < r[0] <= c.ended + 1.0 for c in changes)]
    print(line("    of which while probes ran", probing))
    print(line("    of which the second after", after))
    base_p99 = percentile(before + between, 99)
    print(
        f"  step p99 during / without changes: {percentile(in_changes, 99):.2f} / "
        f"{base_p99:.2f} ms = {percentile(in_changes, 99) / base_p99:.2f}x (target <= 1.2x)"
    )
    control_p99 = percentile(in_controls, 99)
    print(
        f"  step p99 during changes / during control probes: {percentile(in_changes, 99):.2f}"
        f" / {control_p99:.2f} ms = {percentile(in_changes, 99) / control_p99:.2f}x"
    )
    print("conversation starts")
    print(line("  without changes", starts_else))
    print(line("  during changes", starts_during))
    probe_failed = sum(c.failed for c in changes + controls)
    print(
        f"failed requests: conversations {len(failed)} of {len(records)}, probes "
        f"{probe_failed} of {sum(c.probes for c in changes + controls)}, publish/release calls 0 "
        f"(a failed call stops the run) (target 0)"
    )
    if failed:
        kinds: dict[str, int] = {}
        for r in failed:
            kinds[f"{r[3]} {r[2]}"] = kinds.get(f"{r[3]} {r[2]}", 0) + 1
        print(f"  by kind and status: {kinds}")
    for kind in ("canary split", "publish", "control"):
        mine = [c for c in changes + controls if c.kind == kind]
        calls = [(c.returned - c.began) * 1000 for c in mine]
        done = [c.propagation_ms for c in mine if c.propagation_ms == c.propagation_ms]
        print(f"{kind} x{len(mine)}")
        if kind != "control":
            print(line("  the call itself", calls))
        print(line("  return -> every worker starts on it", done))
        print(line("  return -> the first probe on it returns", [c.first_ms for c in mine]))
        print(
            f"  {len(done)} of {len(mine)} propagated within {PROPAGATION_LIMIT_S:.0f} s; "
            f"probes {sum(c.probes for c in mine)}, on the old release after the call "
            f"returned: {sum(c.stale for c in mine)}"
        )
    every = [c.propagation_ms for c in changes if c.propagation_ms == c.propagation_ms]
    if every:
        print(
            f"propagation, all {len(every)} changes: p50={percentile(every, 50):.1f} ms "
            f"p99={percentile(every, 99):.1f} ms max={max(every):.1f} ms "
            f"(target p99 < 1000 ms; the replaced system: 60 s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10, help="each a canary split + a publish")
    parser.add_argument("--rate", type=float, default=100.0, help="load requests/s in all")
    parser.add_argument(
        "--baseline", type=float, default=20.0, help="seconds measured before changes"
    )
    parser.add_argument("--gap", type=float, default=2.0, help="seconds between changes")
    parser.add_argument("--canary", type=int, default=10, help="new version's percent")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    files = dict(bundle_from_path(BUNDLE).files)
    with fresh_schema() as env:
        cli(env, "deploy", str(BUNDLE), "--script", KEY, "--publish")
        token = cli(env, "token", "create", "--role", "bot", "--name", "bench")
        author = cli(env, "token", "create", "--role", "methodologist", "--name", "author")
        second = dict(env, CUEBOOK_VAR_DIR=tempfile.mkdtemp(prefix="cuebook_bench_b"))
        with (
            gunicorn_process(env, args.workers, args.threads) as (base_a, proc_a),
            gunicorn_process(second, args.workers, args.threads) as (base_b, proc_b),
        ):
            servers = [
                (int(base.rsplit(":", 1)[1]), _children(proc.pid))
                for base, proc in ((base_a, proc_a), (base_b, proc_b))
            ]
            for port, pids in servers:
                if len(pids) != args.workers:
                    raise RuntimeError(f"server on {port}: workers {pids}")
            ctx = mp.get_context("spawn")
            stop, out = ctx.Event(), ctx.Queue()
            load = ctx.Process(
                target=run_load,
                args=([base_a, base_b], token, args.conversations, args.rate, stop, out),
            )
            load_began = time.monotonic()
            load.start()
            warmup = 2 * args.conversations / args.rate + 5
            time.sleep(warmup + args.baseline)
            baseline_end = time.monotonic()
            with httpx.Client(
                base_url=base_a, headers={"Authorization": f"Bearer {author}"}, timeout=30
            ) as admin:
                changes = rounds(admin, files, args.rounds, args.gap, args.canary, servers, token)
            stop.set()
            records = out.get(timeout=120)
            load.join(timeout=60)
    print(
        f"{args.conversations} conversations, ~{args.rate:.0f} requests/s, 2 servers x "
        f"{args.workers} workers x {args.threads} threads, {args.rounds} rounds "
        f"(canary {args.canary}% then publish)"
    )
    report(records, changes, load_began, baseline_end, warmup)


if __name__ == "__main__":
    main()
