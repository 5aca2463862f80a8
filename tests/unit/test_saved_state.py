"""Saved state: the format check on load, and the SpiffWorkflow shape compaction relies on.

The shape tests fail when a SpiffWorkflow upgrade moves what ``engine/bpmn/compaction.py``
and ``engine/bpmn/state.py`` touch; re-check those modules against the new version, then
update the version named in them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.task import Task

from engine.bpmn.bundle import bundle_from_path
from engine.bpmn.compaction import compact, drop_tasks, make_root, task_table
from engine.bpmn.compiler import CompiledScript, compile_bundle
from engine.bpmn.runner import Runner
from engine.bpmn.sandbox import make_script_engine
from engine.bpmn.state import READABLE_FORMATS, STATE_FORMAT
from engine.errors import SavedStateUnreadable
from engine.templates import TemplateRenderer

ROOT = Path(__file__).resolve().parents[2]
MENU_LOOP = ROOT / "tests" / "fixtures" / "bundles" / "menu_loop"
CALL_ACTIVITY = ROOT / "bpmn" / "internet_outage"


@pytest.fixture(scope="module")
def runner() -> Runner:
    return Runner(make_script_engine, TemplateRenderer())


@pytest.fixture(scope="module")
def loop() -> CompiledScript:
    return compile_bundle(bundle_from_path(MENU_LOOP))


def _at_menu(runner: Runner, loop: CompiledScript, turns: int) -> Any:
    workflow = runner.start(loop, {})
    runner.advance(workflow, [])
    runner.complete(workflow, runner.position(loop, workflow).task, {"name": "Ann"}, [])
    for _ in range(turns):
        runner.complete(workflow, runner.position(loop, workflow).task, {"choice": "again"}, [])
    return workflow


def _reformatted(state: str, **changes: Any) -> str:
    dct = json.loads(state)
    for key, value in changes.items():
        if value is ...:
            dct.pop(key)
        else:
            dct[key] = value
    return json.dumps(dct)


# --------------------------------------------------------------------------- format


def test_every_state_carries_the_format_it_was_written_in(
    runner: Runner, loop: CompiledScript
) -> None:
    state = runner.save(_at_menu(runner, loop, 0))
    assert json.loads(state)["format"] == STATE_FORMAT
    assert STATE_FORMAT in READABLE_FORMATS


@pytest.mark.parametrize(
    ("found", "message"),
    [
        (2, "saved state has format 2 (written by a newer Cuebook?); this build reads format 1"),
        (0, "saved state has format 0; this build reads format 1"),
        ("1", "saved state has format '1'; this build reads format 1"),
        (True, "saved state has format True; this build reads format 1"),
        (..., "saved state carries no format; this build reads format 1"),
    ],
)
def test_a_state_of_a_format_this_build_does_not_read_is_refused_by_name(
    runner: Runner, loop: CompiledScript, found: Any, message: str
) -> None:
    state = _reformatted(runner.save(_at_menu(runner, loop, 0)), format=found)
    with pytest.raises(SavedStateUnreadable) as info:
        runner.restore(loop, state)
    assert info.value.message == message
    assert info.value.code == "saved_state_unreadable"
    assert info.value.extra["readable_formats"] == list(READABLE_FORMATS)


@pytest.mark.parametrize("text", ["", "not json", "[1, 2]", "null"])
def test_text_that_is_no_state_at_all_is_refused(
    runner: Runner, loop: CompiledScript, text: str
) -> None:
    with pytest.raises(SavedStateUnreadable):
        runner.restore(loop, text)


def test_a_state_that_does_not_fit_its_spec_is_refused_not_half_restored(
    runner: Runner, loop: CompiledScript
) -> None:
    state = _reformatted(runner.save(_at_menu(runner, loop, 0)), root="not-a-uuid")
    with pytest.raises(SavedStateUnreadable) as info:
        runner.restore(loop, state)
    assert "cannot be restored against process 'menu_loop'" in info.value.message
    assert isinstance(info.value.__cause__, ValueError)


# --------------------------------------------------------------------------- SpiffWorkflow shape


def test_tasks_resolve_parents_and_children_through_the_task_table(
    runner: Runner, loop: CompiledScript
) -> None:
    workflow = _at_menu(runner, loop, 1)
    table = task_table(workflow)
    assert type(table) is dict
    assert table[workflow.task_tree.id] is workflow.task_tree
    for task in table.values():
        assert isinstance(task, Task)
        assert isinstance(task.id, UUID)
        assert "_parent" in vars(task), "Task no longer keeps its parent's id in _parent"
        assert task.parent is (table.get(task._parent) if task._parent else None)
        for child in task.children:
            assert child.parent is task


def test_subprocesses_hang_off_the_top_workflow_by_their_task_id(runner: Runner) -> None:
    compiled = compile_bundle(bundle_from_path(CALL_ACTIVITY))
    workflow = runner.start(compiled, {})
    runner.advance(workflow, [])
    assert type(workflow.subprocesses) is dict
    assert workflow.subprocesses, "the call activity started no subprocess"
    for task_id, sub in workflow.subprocesses.items():
        starter = task_table(workflow)[task_id]
        assert isinstance(starter.task_spec, SubWorkflowTask)
        assert sub.top_workflow is workflow
        assert isinstance(sub.completed, bool)
        assert type(task_table(sub)) is dict


def test_a_new_root_is_saved_whole_and_restores(runner: Runner, loop: CompiledScript) -> None:
    workflow = _at_menu(runner, loop, 3)
    waiting = runner.position(loop, workflow).task
    assert waiting is not None
    old_root = workflow.task_tree
    new_root = waiting.parent.parent
    above = [t.id for t in task_table(workflow).values() if _above(t, new_root)]
    drop_tasks(workflow, above)
    make_root(workflow, new_root)
    assert workflow.task_tree is new_root and new_root.parent is None
    assert old_root.id not in task_table(workflow)
    state = json.loads(runner.save(workflow))
    saved_root = state["tasks"][str(new_root.id)]
    assert state["root"] == str(new_root.id)
    assert saved_root["parent"] is None
    assert saved_root["data"]["name"] == "Ann", "a root's data is no longer saved whole"
    restored = runner.restore(loop, json.dumps(state))
    task = runner.position(loop, restored).task
    assert task is not None
    assert task.data["name"] == "Ann" and task.data["turns"] == 3


def _above(task: Any, root: Any) -> bool:
    """Whether ``task`` is outside the subtree under ``root``."""
    node = task
    while node is not None:
        if node is root:
            return False
        node = node.parent
    return True


def test_a_long_loop_stays_short_and_finishes(runner: Runner, loop: CompiledScript) -> None:
    workflow = _at_menu(runner, loop, 0)
    sizes = []
    for _ in range(60):
        state = runner.save(workflow)
        sizes.append(len(json.loads(state)["tasks"]))
        workflow = runner.restore(loop, state)
        runner.complete(workflow, runner.position(loop, workflow).task, {"choice": "again"}, [])
    assert max(sizes[20:]) == max(sizes[:20]), f"the task tree grows with the loop: {sizes}"
    runner.complete(workflow, runner.position(loop, workflow).task, {"choice": "stop"}, [])
    position = runner.position(loop, workflow)
    assert (position.status, position.end_element) == ("completed", "end")
    assert runner.data_of(workflow, position)["turns"] == 61
    assert compact(workflow) == 0


def test_a_state_restored_against_another_process_names_what_is_missing(
    runner: Runner, loop: CompiledScript
) -> None:
    other = compile_bundle(bundle_from_path(ROOT / "tests" / "fixtures" / "bundles" / "timers"))
    with pytest.raises(SavedStateUnreadable) as info:
        runner.restore(other, runner.save(_at_menu(runner, loop, 0)))
    assert info.value.message.startswith("saved state names element(s) ")
    assert "menu" in info.value.extra["missing"]
    assert info.value.message.endswith("that process 'timers' does not have")
