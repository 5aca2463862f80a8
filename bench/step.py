"""Step cost: the raw engine against full HTTP steps through gunicorn on PostgreSQL.

    python bench/step.py [--seconds 20] [--workers 2] [--threads 2] [--gunicorn-args ARGS]
    python bench/step.py --profile [--steps 2000]

The script is the ten-form one (bench/linear.py: a script task after each form). Prints,
all from one run:

1. the raw engine in-process (restore state, complete the task, run engine steps,
   describe, save state) with SpiffWorkflow's own workflow class and state converter,
   before and again after the HTTP runs: the mean of the two medians is the baseline every
   ratio below is taken against (the issue's "raw SpiffWorkflow step"); and the same step
   with Cuebook's engine classes (engine/bpmn/workflow.py, the codec's task writer), which
   the server runs, with the ratios against it too;
2. HTTP steps from one keep-alive client, one at a time (wrk with one connection; and
   httpx, a Python client, for comparison): p50 and its ratio to the raw p50;
3. saturation: wrk (bench/dialogue.lua) with 50, then 8, keep-alive connections and no
   pause, steps/s, and the server's CPU per step (gunicorn master and workers plus the
   PostgreSQL processes serving them, read from /proc over the window) and its ratio to the
   raw p50; wrk's own CPU per step shows it is not the bottleneck;
4. 50 sessions in flight offered half the higher saturation rate (exponential pauses
   between a session's steps): p50 / p99;
5. 500 sessions in flight offered 300 steps/s: p50 / p99 and the rate reached;
6. the 1st against the 1,000th turn of one looping dialogue (tests/fixtures menu_loop).

``--profile`` prints instead where one step's time goes, layer by layer (bench/layers.py).
The load client runs on the same cores as the server.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import ROOT, cli, fresh_schema, gunicorn_process, percentile, summary
from bench.linear import answer_for, linear_bundle
from bench.load import Server, clone_sessions, run_wrk
from engine.bpmn.bundle import bundle_from_path
from engine.bpmn.compiler import compile_bundle
from engine.bpmn.runner import Runner
from engine.bpmn.sandbox import make_script_engine
from engine.templates import TemplateRenderer

LOOP = ROOT / "tests" / "fixtures" / "bundles" / "menu_loop"


def raw_engine(folder: Path, steps: int, *, stock: bool = True) -> list[float]:
    """One step = restore + complete + engine steps + describe + save, as the HTTP path does.

    ``stock``: with SpiffWorkflow's own workflow class and state converter (the issue's "raw
    SpiffWorkflow step"); else with Cuebook's (``ScannedWorkflow`` and the codec's task
    writer), what the server itself runs."""
    compiled = compile_bundle(bundle_from_path(folder))
    runner = Runner(make_script_engine, TemplateRenderer(), stock_spiff=stock)

    def fresh() -> str:
        wf = runner.start(compiled, {})
        runner.advance(wf, [])
        return runner.save(wf)

    state = fresh()
    times = []
    for i in range(steps):
        t0 = time.perf_counter()
        wf = runner.restore(compiled, state)
        pos = runner.position(compiled, wf)
        runner.complete(wf, pos.task, answer_for(pos.step_spec.id, i), [])
        pos = runner.position(compiled, wf)
        runner.describe(compiled, pos, runner.data_of(wf, pos))
        state = runner.save(wf)
        times.append((time.perf_counter() - t0) * 1000)
        if pos.task is None:
            state = fresh()
    return times


def one_client(base: str, token: str, script: str, steps: int) -> list[float]:
    """Steps from one keep-alive client, one at a time (a new session after each end)."""
    headers = {"Authorization": f"Bearer {token}"}
    times = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as c:
        view: dict[str, Any] = {"status": "ended"}
        for i in range(steps):
            if view["status"] != "waiting":
                view = c.post("/api/v1/sessions", json={"script": script}).json()
            body = {"step_token": view["step_token"], "answer": answer_for(view["step"]["id"], i)}
            t0 = time.perf_counter()
            resp = c.post(f"/api/v1/sessions/{view['session_id']}/steps", json=body)
            times.append((time.perf_counter() - t0) * 1000)
            view = resp.json()
            assert resp.status_code == 200, view
    return times


def long_loop(base: str, token: str, key: str, turns: int) -> list[float]:
    headers = {"Authorization": f"Bearer {token}"}
    times = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as c:
        view = c.post("/api/v1/sessions", json={"script": key}).json()
        sid = view["session_id"]
        view = c.post(
            f"/api/v1/sessions/{sid}/steps",
            json={"step_token": view["step_token"], "answer": {"name": "Loop"}},
        ).json()
        for _ in range(turns):
            t0 = time.perf_counter()
            view = c.post(
                f"/api/v1/sessions/{sid}/steps",
                json={"step_token": view["step_token"], "answer": {"choice": "again"}},
            ).json()
            times.append((time.perf_counter() - t0) * 1000)
            assert view["status"] == "waiting", view
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20, help="length of each wrk run")
    parser.add_argument("--sessions", type=int, default=50, help="in flight, paced run")
    parser.add_argument("--many", type=int, default=500, help="in flight, the large run")
    parser.add_argument("--rate", type=float, default=300, help="steps/s offered, large run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--gunicorn-args", default="", help="e.g. '--worker-class sync'")
    parser.add_argument("--steps", type=int, default=0, help="steps of the one-client run")
    parser.add_argument("--turns", type=int, default=1000)
    parser.add_argument("--profile", action="store_true", help="only the profile by layer")
    args = parser.parse_args()
    if args.profile:
        from bench.layers import profile

        profile(args.steps or 2000)
        return

    folder = linear_bundle(Path(tempfile.mkdtemp()) / "linear")
    raw_engine(folder, 300)  # warm up
    raw = raw_engine(folder, 2000)
    print(summary("raw SpiffWorkflow step (baseline, before)", raw))
    raw_engine(folder, 300, stock=False)
    ours = raw_engine(folder, 2000, stock=False)
    print(summary("raw step, Cuebook's engine classes", ours))
    with fresh_schema() as env:
        cli(env, "deploy", str(folder), "--script", "linear", "--publish")
        cli(env, "deploy", str(LOOP), "--script", "loop", "--publish")
        token = cli(env, "token", "create", "--role", "bot", "--name", "bench")
        with gunicorn_process(
            env, args.workers, args.threads, gunicorn_args=args.gunicorn_args
        ) as (base, proc):
            server = Server(proc.pid, f"cuebook-bench-{base.rsplit(':', 1)[1]}")
            one_client(base, token, "linear", 200)
            python_client = one_client(base, token, "linear", args.steps or 1000)
            print(summary("HTTP step, 1 Python client (httpx)", python_client))
            single = run_wrk(
                base,
                token,
                clone_sessions(env, base, token, "linear", int(args.seconds * 20) + 20),
                connections=1,
                seconds=args.seconds / 2,
            )
            print(single.line("HTTP step, 1 keep-alive client (wrk)"))
            warm = clone_sessions(env, base, token, "linear", 400)
            run_wrk(base, token, warm, connections=50, seconds=3)
            # sessions enough for every connection to keep stepping through the run
            need = int(args.seconds * 400 / 10) + 200
            sat, few = (
                run_wrk(
                    base,
                    token,
                    clone_sessions(env, base, token, "linear", need),
                    connections=connections,
                    seconds=args.seconds,
                    server=server,
                )
                for connections in (50, 8)
            )
            print(sat.line("saturation, 50 keep-alive connections"))
            print(sat.cpu_line())
            print(few.line("saturation, 8 keep-alive connections"))
            print(few.cpu_line())
            half = max(sat.rate, few.rate) / 2
            paced = run_wrk(
                base,
                token,
                clone_sessions(env, base, token, "linear", int(args.seconds * half / 10) + 200),
                connections=args.sessions,
                seconds=args.seconds,
                think_ms=args.sessions / half * 1000,
            )
            print(paced.line(f"{args.sessions} in flight, offered {half:.0f}/s (half)"))
            many = run_wrk(
                base,
                token,
                clone_sessions(
                    env, base, token, "linear", int(args.seconds * args.rate / 10) + args.many
                ),
                connections=args.many,
                seconds=args.seconds,
                think_ms=args.many / args.rate * 1000,
            )
            print(many.line(f"{args.many} in flight, offered {args.rate:.0f}/s"))
            loop = long_loop(base, token, "loop", args.turns)
    # This machine's speed drifts within minutes: the baseline is taken again after the
    # HTTP runs, and the ratios use the mean of both medians.
    raw_after = raw_engine(folder, 2000)
    print(summary("raw SpiffWorkflow step (baseline, after)", raw_after))
    ours_after = raw_engine(folder, 2000, stock=False)
    print(summary("raw step, Cuebook's engine classes (after)", ours_after))
    raw_p50 = (percentile(raw, 50) + percentile(raw_after, 50)) / 2
    ours_p50 = (percentile(ours, 50) + percentile(ours_after, 50)) / 2
    print(f"{'raw SpiffWorkflow step p50, the baseline':<44} {raw_p50:.2f} ms")
    print(f"{'raw step p50 with Cuebook engine classes':<44} {ours_p50:.2f} ms")
    first = percentile(loop[:50], 50)
    last = percentile(loop[-50:], 50)
    print(
        f"{'looping dialogue':<44} first 50 turns p50={first:.2f} ms, "
        f"turns {args.turns - 49}-{args.turns} p50={last:.2f} ms, "
        f"ratio {last / first:.2f}x (target <= 1.5x)"
    )
    print(
        f"ratio HTTP step p50 (1 keep-alive client) / raw p50: "
        f"{single.p50 / raw_p50:.2f}x (target <= 3x); "
        f"against Cuebook's own raw step {single.p50 / ours_p50:.2f}x"
    )
    print(
        f"ratio server CPU per step / raw p50: {sat.cpu_per_step_ms / raw_p50:.2f}x "
        f"(50 connections), {few.cpu_per_step_ms / raw_p50:.2f}x (8) (target <= 3x); "
        f"against Cuebook's own raw step {few.cpu_per_step_ms / ours_p50:.2f}x (8); "
        f"saturation {max(sat.rate, few.rate):.0f} steps/s (target >= 300)"
    )
    print(
        f"p99 with {args.sessions} in flight at half saturation: {paced.p99:.1f} ms; "
        f"with {args.many} in flight at {args.rate:.0f}/s: {many.p99:.1f} ms (target < 50 ms)"
    )


if __name__ == "__main__":
    main()
