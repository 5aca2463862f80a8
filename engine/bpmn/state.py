"""Instance state: the workflow's tasks and data, never its spec.

Specs are immutable per script version and cached per process, so the state
of an instance is saved without them (a fraction of the size, no spec
conversion on the step path) and restored against the cached spec.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

STATE_FORMAT = 1


class _StateConverter(BpmnWorkflowConverter):
    """Converts a top-level workflow without its spec and subprocess specs."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def restore_with(
        self,
        dct: dict[str, Any],
        spec: BpmnProcessSpec,
        subprocess_specs: dict[str, BpmnProcessSpec],
    ) -> BpmnWorkflow:
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class StateCodec:
    """Dumps and loads workflow state as JSON text (thread-safe after construction)."""

    def __init__(self) -> None:
        registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
        self._converter = _StateConverter(BpmnWorkflow, registry)

    def dump(self, workflow: BpmnWorkflow) -> str:
        dct = self._converter.to_dict(workflow)
        dct["format"] = STATE_FORMAT
        return json.dumps(dct, separators=(",", ":"), ensure_ascii=False)

    def load(
        self,
        text: str,
        spec: BpmnProcessSpec,
        subprocess_specs: dict[str, BpmnProcessSpec],
        script_engine: Any,
    ) -> BpmnWorkflow:
        dct = json.loads(text)
        dct.pop("format", None)
        workflow = self._converter.restore_with(dct, spec, subprocess_specs)
        workflow.script_engine = script_engine
        return workflow
