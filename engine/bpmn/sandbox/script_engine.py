"""The SpiffWorkflow script engine built on the sandboxed environment."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.bpmn.sandbox.environment import SandboxedEnvironment, ServiceCaller
from engine.errors import CuebookError


def _source_line(source: str, line: int | None) -> str:
    lines = source.splitlines()
    return lines[line - 1] if line and 0 < line <= len(lines) else ""


class SandboxedScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    """PythonScriptEngine whose task exceptions keep the original error as ``__cause__``."""

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except SpiffWorkflowException as err:
            err.add_note(f"Error evaluating expression '{expression}'")
            raise
        except Exception as err:
            raise WorkflowTaskException(
                f"Error evaluating expression '{expression}': {err}", task=task, exception=err
            ) from err

    def execute(self, task: Any, script: str, external_context: Any = None) -> Any:
        try:
            return self.environment.execute(script, task.data, external_context or {})
        except SpiffWorkflowException:
            raise
        except Exception as err:
            line = err.extra.get("line") if isinstance(err, CuebookError) else None
            raise WorkflowTaskException(
                str(err),
                task=task,
                exception=err,
                line_number=line or None,
                error_line=_source_line(script, line),
            ) from err

    def call_service(self, task: Any, **kwargs: Any) -> Any:
        try:
            return self.environment.call_service(task.data, task=task, **kwargs)
        except SpiffWorkflowException:
            raise
        except Exception as err:
            raise WorkflowTaskException(str(err), task=task, exception=err) from err


def make_script_engine(
    service_caller: ServiceCaller | None = None, *, deadline_s: float = 1.0
) -> PythonScriptEngine:
    """A SpiffWorkflow script engine that runs every script and expression sandboxed."""
    return SandboxedScriptEngine(
        environment=SandboxedEnvironment(service_caller=service_caller, deadline_s=deadline_s)
    )
