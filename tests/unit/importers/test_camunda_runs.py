"""Imported bundles run in the engine's sandboxed SpiffWorkflow, in memory: the converted
DMN cells, the decision's result mapping, input/output mappings and translated JUEL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.bundle import Bundle
from engine.bpmn.compiler import compile_bundle
from engine.bpmn.sandbox import make_script_engine
from engine.messages import deliver_message
from importers.camunda import import_camunda

MODELS = Path(__file__).resolve().parents[2] / "fixtures" / "camunda"


def workflow(name: str, data: dict[str, Any]) -> BpmnWorkflow:
    compiled = compile_bundle(Bundle(import_camunda(MODELS / name).files))
    wf = BpmnWorkflow(compiled.spec, compiled.subprocess_specs, script_engine=make_script_engine())
    wf.get_tasks(state=TaskState.READY)[0].data.update(data)
    wf.do_engine_steps()
    return wf


def answer(wf: BpmnWorkflow, values: dict[str, Any]) -> Any:
    task = next(t for t in wf.get_tasks(state=TaskState.READY) if t.task_spec.manual)
    task.data.update(values)
    task.run()
    wf.do_engine_steps()
    ready = [t for t in wf.get_tasks(state=TaskState.READY) if t.task_spec.manual]
    return ready[0] if ready else None


@pytest.mark.parametrize(
    ("season", "guests", "dish"),
    [
        ("Winter", 4, "Spareribs"),
        ("Fall", 8, "Spareribs"),
        ("Winter", 12, "Pasta"),
        ("Summer", 5, "Light salad and a nice steak"),
        ("Spring", 30, "Stew"),
        ("Summer", 30, "Steak"),
    ],
)
def test_the_converted_decision_table_decides(season: str, guests: int, dish: str) -> None:
    wf = workflow("dish_decision", {})
    serve = answer(wf, {"season": season, "guest_count": guests})
    assert serve.task_spec.bpmn_id == "serve"
    assert serve.data["desired_dish"] == dish and serve.data["dish"] == dish


def test_input_output_mappings_and_the_python_script_run() -> None:
    wf = workflow("input_output.bpmn", {"customer_name": "Ann", "tier": "gold", "phone": "+1"})
    greet = next(t for t in wf.get_tasks(state=TaskState.READY) if t.task_spec.manual)
    greet.run()  # the preScript runs when the task does
    data = greet.data
    assert data["greeting"] == "Hello, Ann!" and data["vip"] is True
    assert data["topics"] == ["billing", "gold"]
    assert data["contact"] == {"name": "Ann", "phone": "+1"}
    assert data["greeted"] is True and data["name_length"] == 3


def test_loan_gateways_follow_the_translated_juel() -> None:
    application = {"customer_name": "Ann", "amount": 5000}
    wf = workflow("loan_approval.bpmn", {})
    review = answer(wf, application)
    assert review.task_spec.bpmn_id == "review"
    assert answer(wf, {"approved": True}) is None
    assert wf.is_completed()
    ends = [t.task_spec.bpmn_id for t in wf.get_tasks(state=TaskState.COMPLETED)]
    assert "approved_end" in ends and "rejected_end" not in ends


def test_a_multi_instance_task_runs_once_per_item_of_the_collection() -> None:
    wf = workflow("multi_instance.bpmn", {"devices": ["router", "tv"], "reminders": 1})
    seen = []
    task = next(t for t in wf.get_tasks(state=TaskState.READY) if t.task_spec.manual)
    while task is not None and task.task_spec.bpmn_id == "check":
        seen.append(task.data["device"])
        task = answer(wf, {"works": True})
    assert seen == ["router", "tv"]
    assert task is not None and task.task_spec.bpmn_id == "repeat"
    assert answer(wf, {}) is None  # one reminder; now the receive task waits
    deliver_message("customer_reply", {"text": "done"})(wf)
    wf.do_engine_steps()
    waiting = [t for t in wf.get_tasks(state=TaskState.WAITING) if t.task_spec.bpmn_id == "outage"]
    assert waiting and waiting[0].data["customer_reply"] == {"text": "done"}
