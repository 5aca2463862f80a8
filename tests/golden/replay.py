"""Driving a saved instance with the engine alone: where it waits, and the steps that move it.

Shared by ``make_golden.py`` (which records goldens) and ``test_golden_states.py`` (which
replays them), so both read a golden the same way. No database and no app: the bundle is
compiled with ``compile_bundle`` and run by a ``Runner``, as ``bench/step.py`` does.

A step is one of:

* ``{"answer": {...}}``: the waiting human step is completed with this answer (checked
  against the step's form first, as the step API does);
* ``{"fire_timers": true}``: the clock moves past every waiting timer, then
  ``refresh_timers()`` and engine steps, as the timer worker does;
* ``{"message": {"name": ..., "payload": ...}}``: a message is delivered to the waiting
  catch event of that name, as ``engine.messages`` does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.bundle import bundle_from_path
from engine.bpmn.compiler import CompiledScript, compile_bundle
from engine.bpmn.runner import Position, Runner
from engine.bpmn.sandbox import make_script_engine
from engine.templates import TemplateRenderer

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent
STATES = GOLDEN / "states"
BUNDLES = GOLDEN / "bundles"

CLOCK_JUMP = timedelta(days=3660)
"""How far ``fire_timers`` moves the clock: past any timer a golden case sets."""


def make_runner() -> Runner:
    return Runner(make_script_engine, TemplateRenderer())


def load_bundle(folder: Path, content_hash: str | None = None) -> CompiledScript:
    """Compile a bundle folder; with ``content_hash``, refuse one whose files changed."""
    bundle = bundle_from_path(folder)
    if content_hash is not None and bundle.content_hash != content_hash:
        raise AssertionError(
            f"{folder.relative_to(ROOT)} changed since its goldens were made "
            f"(hash {bundle.content_hash[:12]}, recorded {content_hash[:12]}): a saved "
            "instance runs on the version it started with, so its bundle must not change"
        )
    return compile_bundle(bundle)


def waiting_point(compiled: CompiledScript, position: Position) -> dict[str, Any]:
    """Where a workflow waits, in the terms a golden records."""
    point: dict[str, Any] = {"status": position.status}
    spec = position.step_spec
    if position.task is not None:
        point["element"] = position.task.task_spec.bpmn_id or position.task.task_spec.name
    if spec is not None:
        point["kind"] = spec.kind
        point["needs_person"] = spec.needs_person
        point["handoff_queue"] = spec.handoff_queue
    if position.waiting_for:
        point["events"] = list(position.waiting_for)
    if position.next_timer_at is not None:
        point["next_timer_at"] = position.next_timer_at
    if position.end_element is not None:
        point["end_element"] = position.end_element
    return point


def plain(data: dict[str, Any]) -> Any:
    """Task data as JSON would hold it, for comparisons."""
    return json.loads(json.dumps(data, default=repr, sort_keys=True))


@contextmanager
def clock_moved(by: timedelta) -> Iterator[None]:
    """SpiffWorkflow's timers see a clock ``by`` ahead of the real one.

    Timer events read ``datetime.now`` in SpiffWorkflow's timer module (3.2.0); if that
    changes, this fails loudly rather than leave the timers unfired.
    """
    real = spiff_timer.datetime
    if real is not datetime:
        raise AssertionError("SpiffWorkflow's timer module no longer reads datetime.now")

    class _Later(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return datetime.now(tz) + by

    spiff_timer.datetime = _Later  # type: ignore[misc]
    try:
        yield
    finally:
        spiff_timer.datetime = real  # type: ignore[misc]


def _deliver(workflow: Any, name: str, payload: Any) -> None:
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, MessageEventDefinition) and definition.name == name:
            workflow.send_event(BpmnEvent(definition, payload=payload))
            return
    raise AssertionError(f"the workflow waits for no message {name!r}")


def take_step(
    runner: Runner, compiled: CompiledScript, workflow: Any, step: dict[str, Any]
) -> None:
    """Apply one recorded step to ``workflow`` and run engine steps until it waits again."""
    if "answer" in step:
        position = runner.position(compiled, workflow)
        if position.task is None:
            raise AssertionError(f"an answer for {step['answer']} but no step waits")
        spec = position.step_spec
        if spec is not None and spec.validator is not None:
            errors = [e.message for e in spec.validator.iter_errors(step["answer"])]
            if errors:
                raise AssertionError(f"answer refused by the form of {spec.id}: {errors}")
        runner.complete(workflow, position.task, step["answer"], [])
    elif step.get("fire_timers"):
        with clock_moved(CLOCK_JUMP):
            workflow.refresh_timers()
        runner.advance(workflow, [])  # on the real clock: timers it starts are due as usual
    elif "message" in step:
        _deliver(workflow, step["message"]["name"], step["message"].get("payload"))
        runner.advance(workflow, [])
    else:
        raise AssertionError(f"unknown step {step}")
