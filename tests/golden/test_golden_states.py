"""Golden saved instances replay to their end with the current code (no database).

Each file in ``states/`` is a conversation an earlier build saved at a waiting point (see
``make_golden.py``). The current build must restore it, find it waiting where it waited,
with the same data, and finish it with the recorded steps. A failure here means instances
already running in production would break after an upgrade: fix the code (read the old
shape), do not regenerate the golden.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.state import READABLE_FORMATS, StateCodec, dump_json
from engine.bpmn.workflow import ScannedWorkflow
from tests.golden.replay import (
    ROOT,
    STATES,
    load_bundle,
    make_runner,
    plain,
    take_step,
    waiting_point,
)

GOLDENS = sorted(STATES.glob("*.json"))
CASES = {"form_step", "loop", "parallel", "call_activity", "timer_on_human_step"}
CASES |= {"timer_intermediate", "handoff"}


def _golden(path: Path) -> dict[str, Any]:
    golden: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return golden


def test_every_case_has_a_golden_of_the_format_this_build_writes() -> None:
    current = max(READABLE_FORMATS)
    made = {(g["case"], g["made"]["state_format"]) for g in map(_golden, GOLDENS)}
    assert {case for case, fmt in made if fmt == current} == CASES


@pytest.mark.parametrize("path", GOLDENS, ids=[p.stem for p in GOLDENS])
def test_a_saved_instance_resumes_where_it_waited_and_runs_to_its_end(path: Path) -> None:
    golden = _golden(path)
    bundle = golden["bundle"]
    compiled = load_bundle(ROOT / bundle["snapshot"], bundle["content_hash"])
    runner = make_runner()

    workflow = runner.restore(compiled, json.dumps(golden["state"]))
    position = runner.position(compiled, workflow)
    assert waiting_point(compiled, position) == golden["waiting"]
    data = runner.data_of(workflow, position)
    assert plain(data) == golden["data"]
    runner.describe(compiled, position, data)  # its prompt renders from the restored data

    state = runner.save(workflow)
    for step in golden["finish"]:
        workflow = runner.restore(compiled, state)
        take_step(runner, compiled, workflow, step)
        state = runner.save(workflow)

    workflow = runner.restore(compiled, state)
    position = runner.position(compiled, workflow)
    assert waiting_point(compiled, position) == golden["end"]
    end_data = plain(runner.data_of(workflow, position))
    assert {k: end_data.get(k) for k in golden["end_data"]} == golden["end_data"]


def _spiff_written(workflow: Any) -> str:
    """The top-level tasks as SpiffWorkflow's own converters write them (the registry's)."""
    registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
    return dump_json({str(key): registry.convert(task) for key, task in workflow.tasks.items()})


def _same_as_the_walk(workflow: Any) -> None:
    for state in (TaskState.READY, TaskState.WAITING):
        scanned = workflow.get_tasks(state=state)
        walked = BpmnWorkflow.get_tasks(workflow, state=state)
        assert scanned == walked, TaskState.get_name(state)


@pytest.mark.parametrize("path", GOLDENS, ids=[p.stem for p in GOLDENS])
def test_shortcuts_agree_with_spiffworkflow_at_every_point(path: Path) -> None:
    """The state codec's own task writer and ``ScannedWorkflow``'s task scans give what
    SpiffWorkflow's converter and tree walk give, at each point of each golden's replay."""
    golden = _golden(path)
    bundle = golden["bundle"]
    compiled = load_bundle(ROOT / bundle["snapshot"], bundle["content_hash"])
    runner = make_runner()
    codec = StateCodec()
    workflow = runner.restore(compiled, json.dumps(golden["state"]))
    assert isinstance(workflow, ScannedWorkflow)
    for step in [None, *golden["finish"]]:
        if step is not None:
            take_step(runner, compiled, workflow, step)
        _same_as_the_walk(workflow)
        written = json.loads(codec.dump(workflow))
        assert dump_json(written["tasks"]) == _spiff_written(workflow)
        runner.save(workflow)  # compacted as on every step
