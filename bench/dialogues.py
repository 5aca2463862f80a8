"""Bot conversations on the chat channel with free-text replies, through gunicorn on PostgreSQL.

    python bench/dialogues.py [--sessions 500] [--rate 300] [--steps 12]

Runs the sample chat-bot (bpmn/chat_bot) as a bot platform would: ``--sessions``
conversations in flight at once, each replying in words ("баланс", "ещё", "my plan", ...)
after a think time chosen so that all of them together send about ``--rate`` steps/s.
Prints step latency (p50 / p99) and the steps per second reached, then a run with no think
time (the most the server does on this machine), and the raw engine's cost of the same step
measured in-process in the same run as the baseline.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import ROOT, cli, fresh_schema, gunicorn, percentile, run_dialogues, summary
from engine.bpmn.bundle import bundle_from_path
from engine.bpmn.compiler import compile_bundle
from engine.bpmn.runner import Runner
from engine.bpmn.sandbox import make_script_engine
from engine.replies import interpret_text
from engine.templates import TemplateRenderer

CHAT_BOT = ROOT / "bpmn" / "chat_bot"
MENU = ["баланс", "мой тариф", "balance", "тариф пожалуйста", "ballance", "сколько денег на счёте"]
MORE = ["да", "ещё", "yes", "да, есть ещё вопрос"]


def reply(view: dict[str, Any], i: int) -> dict[str, Any]:
    """Free text for whatever the bot asks: a menu item, or "yes, more" to keep looping."""
    if view.get("step_id") == "main_menu":
        return {"text": MENU[i % len(MENU)]}
    return {"text": MORE[i % len(MORE)]}


def raw_engine(steps: int) -> list[float]:
    """The same step in-process: restore, read the text, complete, engine steps, describe, save."""
    compiled = compile_bundle(bundle_from_path(CHAT_BOT))
    runner = Runner(make_script_engine, TemplateRenderer())
    wf = runner.start(compiled, {})
    runner.advance(wf, [])
    state = runner.save(wf)
    times = []
    for i in range(steps):
        t0 = time.perf_counter()
        wf = runner.restore(compiled, state)
        pos = runner.position(compiled, wf)
        step = runner.describe(compiled, pos, dict(pos.task.data))
        text = reply({"step_id": step.id}, i)["text"]
        answer = interpret_text(step, text).answer
        assert answer is not None, (step.id, text)
        runner.complete(wf, pos.task, answer, [])
        pos = runner.position(compiled, wf)
        runner.describe(compiled, pos, dict(pos.task.data))
        state = runner.save(wf)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--rate", type=float, default=300.0, help="target steps/s for all sessions")
    parser.add_argument("--steps", type=int, default=12, help="replies per conversation")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    raw_engine(200)
    raw = raw_engine(2000)
    print(summary("raw engine, chat step (baseline)", raw))
    with fresh_schema() as env:
        env = dict(env, CUEBOOK_DB_POOL_SIZE=str(args.threads + 2))
        cli(env, "deploy", str(CHAT_BOT), "--script", "chat_bot", "--publish")
        token = cli(env, "token", "create", "--role", "bot", "--name", "bench")
        with gunicorn(env, workers=args.workers, threads=args.threads) as base:
            run_dialogues(base, token, "chat_bot", sessions=20, steps=5, think_s=0, reply=reply)
            think = args.sessions / args.rate
            paced, rate = run_dialogues(
                base,
                token,
                "chat_bot",
                sessions=args.sessions,
                steps=args.steps,
                think_s=think,
                reply=reply,
            )
            print(
                summary(f"{args.sessions} in flight, ~{think:.1f} s think", paced)
                + f"  {rate:.0f} steps/s (targets: p99 < 50 ms, >= 300 steps/s)"
            )
            flat, most = run_dialogues(
                base, token, "chat_bot", sessions=50, steps=20, think_s=0, reply=reply
            )
            print(
                summary("50 in flight, no think time", flat) + f"  {most:.0f} steps/s (saturation)"
            )
    print(f"HTTP p50 / raw p50 (paced run): {percentile(paced, 50) / percentile(raw, 50):.2f}x")


if __name__ == "__main__":
    main()
