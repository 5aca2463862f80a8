"""Bot conversations on the chat channel with free-text replies, through gunicorn on PostgreSQL.

    python bench/dialogues.py [--many 500] [--rate 300] [--seconds 20] [--threads 2]

Runs the sample chat-bot (bpmn/chat_bot) as a bot platform would: conversations on the
chat channel, each reply in words ("баланс", "ещё", "my plan", ...) read by the engine's
reply matching. The load client is wrk (bench/dialogue.lua, ``CUEBOOK_WRK_ANSWER=chat``):
one keep-alive connection per conversation walker, sessions made before the run (one
started over HTTP, the rest copies of its row), so its latencies are step latencies.
Prints, from one run:

1. the raw chat step in-process (restore, read the text, complete, engine steps, describe,
   save) with SpiffWorkflow's own classes (the baseline) and with Cuebook's;
2. one keep-alive client, one step at a time: p50 and its ratio to the baseline;
3. saturation with 8 connections and the server's CPU per step (gunicorn and PostgreSQL,
   from /proc) and its ratio to the baseline;
4. ``--many`` conversations in flight offered ``--rate`` steps/s (exponential pauses from
   the first second): p50 / p99 and the rate reached.

The aiohttp client it used before ran in this process on the same two cores and was itself
the bottleneck (120-135 steps/s, p99 0.8-1.3 s at 500 in flight).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import ROOT, cli, fresh_schema, gunicorn_process, percentile, summary
from bench.load import Server, clone_sessions, run_wrk
from engine.bpmn.bundle import bundle_from_path
from engine.bpmn.compiler import compile_bundle
from engine.bpmn.runner import Runner
from engine.bpmn.sandbox import make_script_engine
from engine.replies import interpret_text
from engine.templates import TemplateRenderer

CHAT_BOT = ROOT / "bpmn" / "chat_bot"
# the same words bench/dialogue.lua sends in its "chat" mode
MENU = ["баланс", "мой тариф", "balance", "тариф пожалуйста", "ballance", "сколько денег на счёте"]
MORE = ["да", "ещё", "yes", "да, есть ещё вопрос"]


def said(step_id: str, i: int) -> str:
    """Free text for whatever the bot asks: a menu item, or "yes, more" to keep looping."""
    return MENU[i % len(MENU)] if step_id == "main_menu" else MORE[i % len(MORE)]


def raw_engine(steps: int, *, stock: bool = True) -> list[float]:
    """The same step in-process: restore, read the text, complete, engine steps, describe, save
    (``stock``: SpiffWorkflow's own workflow class and state converter)."""
    compiled = compile_bundle(bundle_from_path(CHAT_BOT))
    runner = Runner(make_script_engine, TemplateRenderer(), stock_spiff=stock)
    wf = runner.start(compiled, {})
    runner.advance(wf, [])
    state = runner.save(wf)
    times = []
    for i in range(steps):
        t0 = time.perf_counter()
        wf = runner.restore(compiled, state)
        pos = runner.position(compiled, wf)
        step = runner.describe(compiled, pos, dict(pos.task.data))
        answer = interpret_text(step, said(step.id, i)).answer
        assert answer is not None, (step.id, said(step.id, i))
        runner.complete(wf, pos.task, answer, [])
        pos = runner.position(compiled, wf)
        runner.describe(compiled, pos, dict(pos.task.data))
        state = runner.save(wf)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--many", type=int, default=500, help="conversations in flight")
    parser.add_argument("--rate", type=float, default=300.0, help="steps/s offered to them")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each wrk run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    raw_engine(200)
    raw = raw_engine(2000)
    print(summary("raw SpiffWorkflow chat step (baseline)", raw))
    raw_engine(200, stock=False)
    print(summary("raw chat step, Cuebook's engine classes", raw_engine(2000, stock=False)))
    raw_p50 = percentile(raw, 50)
    with fresh_schema() as env:
        cli(env, "deploy", str(CHAT_BOT), "--script", "chat_bot", "--publish")
        token = cli(env, "token", "create", "--role", "bot", "--name", "bench")
        with gunicorn_process(env, args.workers, args.threads) as (base, proc):
            server = Server(proc.pid, f"cuebook-bench-{base.rsplit(':', 1)[1]}")

            def sessions(count: int) -> list[tuple[str, str, str]]:
                return clone_sessions(env, base, token, "chat_bot", count, channel="chat")

            run_wrk(base, token, sessions(300), connections=8, seconds=3, answer="chat")
            one = run_wrk(
                base, token, sessions(200), connections=1, seconds=args.seconds / 2, answer="chat"
            )
            print(one.line("1 keep-alive client"))
            sat = run_wrk(
                base,
                token,
                sessions(int(args.seconds * 100) + 200),
                connections=8,
                seconds=args.seconds,
                server=server,
                answer="chat",
            )
            print(sat.line("saturation, 8 keep-alive connections"))
            print(sat.cpu_line())
            many = run_wrk(
                base,
                token,
                sessions(int(args.seconds * args.rate / 5) + args.many),
                connections=args.many,
                seconds=args.seconds,
                think_ms=args.many / args.rate * 1000,
                answer="chat",
            )
            print(many.line(f"{args.many} in flight, offered {args.rate:.0f}/s"))
    print(
        f"ratios to the raw chat step p50 ({raw_p50:.2f} ms): one client "
        f"{one.p50 / raw_p50:.2f}x, server CPU per step {sat.cpu_per_step_ms / raw_p50:.2f}x "
        f"(targets <= 3x); {args.many} in flight p99 {many.p99:.1f} ms (target < 50 ms) at "
        f"{many.rate:.0f} steps/s"
    )


if __name__ == "__main__":
    main()
