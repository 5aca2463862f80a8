"""Step cost: the raw engine against full HTTP steps through gunicorn on PostgreSQL.

    python bench/step.py [--steps N] [--sessions 50]

Prints p50 / p99 per step for (1) the raw engine in-process (restore state, complete
the task, run engine steps, save state), (2) HTTP steps through gunicorn with 2 workers
and 50 sessions in flight, their ratio, and (3) the 1st against the 1,000th step of one
looping dialogue.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import ROOT, cli, fresh_schema, gunicorn, percentile, run_dialogues, summary
from engine.bpmn.bundle import bundle_from_path
from engine.bpmn.compiler import compile_bundle
from engine.bpmn.runner import Runner
from engine.bpmn.sandbox import make_script_engine
from engine.templates import TemplateRenderer

BUNDLE = ROOT / "tests" / "fixtures" / "bundles" / "menu_loop"


def raw_engine(steps: int) -> list[float]:
    """One step = restore + complete + engine steps + describe + save, as the HTTP path does."""
    compiled = compile_bundle(bundle_from_path(BUNDLE))
    runner = Runner(make_script_engine, TemplateRenderer())
    wf = runner.start(compiled, {})
    runner.advance(wf, [])
    pos = runner.position(compiled, wf)
    runner.complete(wf, pos.task, {"name": "Bench"}, [])
    state = runner.save(wf)
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        wf = runner.restore(compiled, state)
        pos = runner.position(compiled, wf)
        runner.complete(wf, pos.task, {"choice": "again"}, [])
        pos = runner.position(compiled, wf)
        runner.describe(compiled, pos, dict(pos.task.data))
        state = runner.save(wf)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def answer(view: dict[str, Any], i: int) -> dict[str, Any]:
    if view["step"]["id"] == "name":
        return {"answer": {"name": "Bench"}}
    return {"answer": {"choice": "again"}}


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
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--think", type=float, default=0.5, help="mean seconds between steps")
    parser.add_argument("--steps", type=int, default=20, help="steps per session")
    parser.add_argument("--turns", type=int, default=1000)
    args = parser.parse_args()

    raw_engine(200)  # warm up
    raw = raw_engine(2000)
    print(summary("raw engine (in-process)", raw))
    with fresh_schema() as env:
        cli(env, "deploy", str(BUNDLE), "--script", "bench", "--publish")
        token = cli(env, "token", "create", "--role", "bot", "--name", "bench")
        with gunicorn(env, workers=2) as base:
            run_dialogues(
                base, token, "bench", sessions=4, steps=10, think_s=0, reply=answer, channel="web"
            )
            paced, rate = run_dialogues(
                base,
                token,
                "bench",
                sessions=args.sessions,
                steps=args.steps,
                think_s=args.think,
                reply=answer,
                channel="web",
            )
            print(
                summary(f"HTTP step, {args.sessions} in flight", paced)
                + f"  {rate:.0f} steps/s, ~{args.think:.1f} s between a session's steps"
            )
            flat, most = run_dialogues(
                base,
                token,
                "bench",
                sessions=args.sessions,
                steps=20,
                think_s=0,
                reply=answer,
                channel="web",
            )
            print(
                summary(f"HTTP step, {args.sessions} in flight, no pause", flat)
                + f"  {most:.0f} steps/s (saturation)"
            )
            loop = long_loop(base, token, "bench", args.turns)
    one = loop[:300]
    print(summary("HTTP step, 1 in flight", one))
    first = percentile(loop[:50], 50)
    last = percentile(loop[-50:], 50)
    print(summary("looping dialogue, all turns", loop))
    print(
        f"{'looping dialogue':<34} first 50 turns p50={first:.2f} ms, "
        f"turns {args.turns - 49}-{args.turns} p50={last:.2f} ms, "
        f"ratio {last / first:.2f}x (target <= 1.5x)"
    )
    print(
        f"ratio HTTP/raw p50, 1 in flight: "
        f"{percentile(one, 50) / percentile(raw, 50):.2f}x (target <= 3x)"
    )
    print(
        f"HTTP p99 with {args.sessions} in flight: {percentile(paced, 99):.2f} ms (target < 50 ms)"
    )


if __name__ == "__main__":
    main()
