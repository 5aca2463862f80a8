"""Record golden saved instances: conversations stopped at a waiting point, saved as JSON.

    .venv/bin/python tests/golden/make_golden.py [--case NAME ...] [--replace]

Run by hand, never by the test run. For each case below it compiles the bundle, starts an
instance, takes the recorded steps to the waiting point (saving and restoring the state
after each step, as the step transaction does), and writes
``tests/golden/states/<case>-f<state format>-spiff<SpiffWorkflow version>.json`` holding:

* the saved state, exactly as the engine wrote it;
* the bundle it runs on: the source path, and a frozen copy in ``tests/golden/bundles/``
  named by the bundle's content hash (a running conversation stays on the version it
  started with, so later edits of the sample bundle must not change the golden);
* where it waits (element, kind, whether it needs a person, the next timer) and its data;
* the steps that finish it, the end element and data values to expect at the end.

Before writing, the generator replays the finish steps once, so a golden always ends.
``test_golden_states.py`` restores every file in ``states/`` with the current code and
drives it to the end: a change of the state format, of the codec or of SpiffWorkflow that
would break conversations already running fails CI.

Keep old goldens. They stand for instances saved by earlier builds, which a new build must
still read; a new state format or SpiffWorkflow version adds files next to them (the file
name carries both), it does not replace them. ``--replace`` overwrites a file of the
current format and version only, e.g. after fixing a case here.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import shutil
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.bpmn.bundle import bundle_from_path
from engine.bpmn.runner import Runner
from engine.bpmn.state import STATE_FORMAT
from tests.golden.replay import (
    BUNDLES,
    ROOT,
    STATES,
    load_bundle,
    make_runner,
    plain,
    take_step,
    waiting_point,
)

TIMER = {"fire_timers": True}


def answer(**values: Any) -> dict[str, Any]:
    return {"answer": values}


@dataclass(frozen=True)
class Case:
    name: str
    about: str
    bundle: str
    reach: list[dict[str, Any]]
    finish: list[dict[str, Any]]
    end_data: tuple[str, ...] = ()
    variables: dict[str, Any] = field(default_factory=dict)


def cases() -> list[Case]:
    in_a_month = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    return [
        Case(
            "form_step",
            "an IVR call waiting on a form (account number); the lookup script, menus and "
            "the end run on the restored instance",
            "bpmn/ivr_balance",
            reach=[answer()],
            finish=[
                answer(account_number="7654321"),
                answer(main_choice="balance"),
                answer(balance_choice="current"),
                answer(),
                answer(after_choice="finish"),
            ],
            end_data=("account_number", "balance", "in_debt", "balance_rub", "balance_kop"),
        ),
        Case(
            "loop",
            "a dialogue 12 turns into a loop, its task tree already compacted; the turn "
            "count carried in data survives and the loop still leaves by its gateway",
            "tests/fixtures/bundles/menu_loop",
            reach=[answer(name="Ann"), *[answer(choice="again")] * 12],
            finish=[answer(choice="again"), answer(choice="again"), answer(choice="stop")],
            end_data=("name", "turns"),
        ),
        Case(
            "parallel",
            "a parallel split with one branch done (a script) and one waiting (a person); "
            "the join merges both, then an inclusive gateway, a DMN table, a subprocess, a "
            "timer and a message run to the end",
            "tests/fixtures/bundles/features",
            reach=[answer(n=4)],
            finish=[
                answer(),
                TIMER,
                {"message": {"name": "crm_update", "payload": {"status": "ok"}}},
                answer(),
            ],
            end_data=("n", "right_done", "tags", "is_even", "size", "crm"),
        ),
        Case(
            "call_activity",
            "a call waiting inside a called process (identification); the subprocess "
            "finishes and hands its data back to the calling process, which runs to the end",
            "bpmn/internet_outage",
            reach=[answer(customer_ref="+79167654321")],
            finish=[
                answer(identity_confirmed="yes"),
                answer(symptom="no_connection"),
                answer(problem_since="today", devices_affected=3, cable_checked=True),
                answer(sms_notify=True, contact_phone="+79167654321"),
                answer(),
            ],
            end_data=("customer_call_name", "district", "outage_status", "sms_notify"),
        ),
        Case(
            "timer_on_human_step",
            "a person's step with a boundary timer pending; the saved due time survives, "
            "the timer fires and takes the flow off the step",
            "tests/fixtures/bundles/features",
            reach=[
                answer(n=4),
                answer(),
                TIMER,
                {"message": {"name": "crm_update", "payload": {"status": "late"}}},
            ],
            finish=[TIMER, answer()],
            end_data=("crm", "size"),
        ),
        Case(
            "timer_intermediate",
            "an instance waiting on an intermediate timer at a date from its data; the timer "
            "fires, the script after it runs with the saved data",
            "tests/fixtures/bundles/timers",
            variables={"when": in_a_month.isoformat(), "divisor": 4},
            reach=[],
            finish=[TIMER, answer()],
            end_data=("ratio",),
        ),
        Case(
            "handoff",
            "a chat handed to a person (a step with cuebook:handoff and its queue); the "
            "operator's answer and the customer's last reply finish it",
            "bpmn/chat_bot",
            reach=[answer(menu_choice="problem"), answer(problem_text="Нет интернета с утра")],
            finish=[
                answer(answer_text="Перезагрузили роутер", problem_resolved=True),
                answer(more="no"),
            ],
            end_data=("menu_choice", "problem_resolved"),
        ),
    ]


def snapshot(source: Path) -> tuple[Path, str]:
    """A frozen copy of the bundle, named by its content hash; made once."""
    content_hash = bundle_from_path(source).content_hash
    target = BUNDLES / f"{source.name}-{content_hash[:12]}"
    if not target.exists():
        target.mkdir(parents=True)
        for name in bundle_from_path(source).files:
            shutil.copyfile(source / name, target / name)
    return target, content_hash


def run_steps(runner: Runner, compiled: Any, state: str, steps: list[dict[str, Any]]) -> str:
    """Take ``steps``, saving and restoring around each one as the step transaction does."""
    for step in steps:
        workflow = runner.restore(compiled, state)
        take_step(runner, compiled, workflow, step)
        state = runner.save(workflow)
    return state


def record(case: Case) -> dict[str, Any]:
    runner = make_runner()
    folder, content_hash = snapshot(ROOT / case.bundle)
    compiled = load_bundle(folder, content_hash)
    workflow = runner.start(compiled, case.variables)
    runner.advance(workflow, [])
    state = run_steps(runner, compiled, runner.save(workflow), case.reach)

    workflow = runner.restore(compiled, state)
    position = runner.position(compiled, workflow)
    waiting = waiting_point(compiled, position)
    if waiting["status"] != "waiting":
        raise SystemExit(f"{case.name}: the steps to reach it end the instance: {waiting}")
    data = plain(runner.data_of(workflow, position))

    final = runner.restore(compiled, run_steps(runner, compiled, state, case.finish))
    end_position = runner.position(compiled, final)
    end = waiting_point(compiled, end_position)
    if end["status"] != "completed":
        raise SystemExit(f"{case.name}: the finish steps leave it at {end}")
    end_values = plain(runner.data_of(final, end_position))
    missing = [k for k in case.end_data if k not in end_values]
    if missing:
        raise SystemExit(f"{case.name}: no {missing} in the data at the end")

    return {
        "case": case.name,
        "about": case.about,
        "made": {
            "state_format": STATE_FORMAT,
            "spiffworkflow": importlib.metadata.version("SpiffWorkflow"),
            "at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        },
        "bundle": {
            "source": case.bundle,
            "snapshot": folder.relative_to(ROOT).as_posix(),
            "content_hash": content_hash,
        },
        "variables": case.variables,
        "waiting": waiting,
        "data": data,
        "finish": case.finish,
        "end": end,
        "end_data": {k: end_values[k] for k in case.end_data},
        "state": json.loads(state),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--case", action="append", help="only these cases (repeatable)")
    parser.add_argument("--replace", action="store_true", help="overwrite existing files")
    args = parser.parse_args()
    spiff = importlib.metadata.version("SpiffWorkflow")
    STATES.mkdir(parents=True, exist_ok=True)
    for case in cases():
        if args.case and case.name not in args.case:
            continue
        path = STATES / f"{case.name}-f{STATE_FORMAT}-spiff{spiff}.json"
        if path.exists() and not args.replace:
            print(f"{path.relative_to(ROOT)}: kept (use --replace to overwrite)")
            continue
        golden = record(case)
        text = json.dumps(golden, ensure_ascii=False, indent=1, sort_keys=False)
        path.write_text(text + "\n", encoding="utf-8")
        size = len(golden["state"]["tasks"])
        print(f"{path.relative_to(ROOT)}: waits at {golden['waiting']}, {size} tasks saved")


if __name__ == "__main__":
    main()
