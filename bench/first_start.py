"""What a new version's first session start costs a process, compiled on demand or before.

    python bench/first_start.py [--rounds 20] [--starts 5]

On a fresh PostgreSQL schema, in-process: each round deploys and publishes a new version of
the menu_loop test bundle, empties the process's spec cache (a process that has not met the
version, as every process but the deploying one), then times ``--starts`` session starts.
Rounds alternate between compiling on the first start (how starts were before) and the
precompiler's look (engine/precompile.py) taking place first, so both see the same machine.
Prints the first start, the later starts, and the look's own time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import ROOT, fresh_schema, summary
from cuebook.settings import Settings
from cuebook.wiring import build_services, utc_now
from engine.bpmn.bundle import Bundle, bundle_from_path
from engine.precompile import Precompiler
from engine.sessions import Actor
from engine.sessions.commands import start_session
from engine.versions import deploy

BUNDLE = ROOT / "tests" / "fixtures" / "bundles" / "menu_loop"
KEY = "bench_first_start"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()
    files = dict(bundle_from_path(BUNDLE).files)
    first: dict[bool, list[float]] = {False: [], True: []}
    later: dict[bool, list[float]] = {False: [], True: []}
    looks: list[float] = []
    with fresh_schema() as env:
        svc = build_services(Settings.from_env(env))
        precompiler = Precompiler(svc.database, svc.engine.specs, say=lambda _: None)
        precompiler.look()
        actor = Actor("bench", "bot")
        for r in range(args.rounds):
            changed = dict(files)
            changed["menu_loop.bpmn"] = files["menu_loop.bpmn"].replace(
                b"Hello! What is your name?", f"Hello ({r})! What is your name?".encode()
            )
            with svc.database.unit_of_work() as uow:
                deploy(
                    uow, svc.engine.specs, KEY, Bundle(changed), publish=True, actor="bench",
                    now=utc_now(),
                )  # fmt: skip
            svc.engine.specs.clear()
            ahead = r % 2 == 1
            if ahead:
                began = time.perf_counter()
                assert precompiler.look() == 1
                looks.append((time.perf_counter() - began) * 1000)
            else:
                precompiler.look()  # keeps the feed current; its compile is thrown away
                svc.engine.specs.clear()
            for n in range(args.starts):
                began = time.perf_counter()
                start_session(
                    svc.database, svc.engine, script=KEY, channel="chat", variables={},
                    session_key=None, actor=actor,
                )  # fmt: skip
                (first if n == 0 else later)[ahead].append((time.perf_counter() - began) * 1000)
        svc.database.dispose()
    print(f"{args.rounds} rounds, each a new version published, then {args.starts} starts")
    print(summary("first start, compiled on the start", first[False]))
    print(summary("first start, precompiled", first[True]))
    print(summary("later starts (compiled on demand rounds)", later[False]))
    print(summary("later starts (precompiled rounds)", later[True]))
    print(summary("the precompiler's look (off the start path)", looks))


if __name__ == "__main__":
    main()
