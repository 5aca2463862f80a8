"""Service tasks call integration functions; failures become BPMN errors or clear step errors.

A failed call (after the function's own retries, or with its breaker open) raises the BPMN
error ``integration_failed``. A boundary error event on the service task that catches it
(by that code, or any error) takes the flow; otherwise the step fails with a clear "could
not reach X" and the transaction leaves the instance exactly as it was.
"""

from __future__ import annotations

import json
from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.spiff.specs.event_definitions import ErrorEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.runner import FlowDiverted
from engine.errors import IntegrationFailed
from engine.functions import FunctionCatalog
from integrations import CallFailed, Invoker

ERROR_CODE = "integration_failed"


class Diverted(FlowDiverted):
    """The call failed and a boundary error event took the flow: not a failure of the step."""

    def __init__(self, task: Any, error: IntegrationFailed) -> None:
        super().__init__(task, error.message)
        self.error = error


def _catcher(task: Any) -> bool:
    parent = task.parent
    if parent is None or not isinstance(parent.task_spec, BoundaryEventSplit):
        return False
    for sibling in parent.children:
        definition = getattr(sibling.task_spec, "event_definition", None)
        if (
            isinstance(definition, ErrorEventDefinition)
            and sibling.has_state(TaskState.WAITING)
            and definition.code in (None, "", ERROR_CODE)
        ):
            return True
    return False


class ServiceCaller:
    """The script engine's service hook: name + evaluated parameters -> the function's results."""

    def __init__(self, catalog: FunctionCatalog, invoker: Invoker) -> None:
        self.catalog = catalog
        self.invoker = invoker

    def __call__(self, context: dict[str, Any], **kwargs: Any) -> str:
        task = kwargs["task"]
        operation_name: str = kwargs["operation_name"]
        operation_params: dict[str, Any] = kwargs.get("operation_params") or {}
        spec = self.catalog.get(operation_name)
        if spec is None:
            raise self._fail(
                task,
                IntegrationFailed(
                    f"could not reach {operation_name}: no such integration function",
                    extra={"function": operation_name, "retry": False},
                ),
            )
        args = {name: param.get("value") for name, param in operation_params.items()}
        try:
            result = self.invoker.call(spec, args)
        except CallFailed as exc:
            raise self._fail(
                task,
                IntegrationFailed(
                    f"could not reach {spec.name}: {exc.message}",
                    extra={
                        "function": spec.name,
                        "status": exc.status,
                        "kind": exc.kind,
                        "retry": exc.kind != "bad_arguments",
                    },
                ),
            ) from None
        return json.dumps(result.results, ensure_ascii=False, default=str)

    @staticmethod
    def _fail(task: Any, error: IntegrationFailed) -> Exception:
        error.extra["element"] = task.task_spec.bpmn_id or task.task_spec.name
        if not _catcher(task):
            return error
        payload = {
            "function": error.extra.get("function"),
            "status": error.extra.get("status"),
            "message": error.message,
        }
        event = BpmnEvent(ErrorEventDefinition(ERROR_CODE, code=ERROR_CODE), payload=payload)
        task.workflow.top_workflow.catch(event)
        return Diverted(task, error)
