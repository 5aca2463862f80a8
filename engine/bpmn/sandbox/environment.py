"""The SpiffWorkflow script environment that runs scripts and expressions sandboxed."""

from __future__ import annotations

import time
import traceback
from contextvars import Token
from typing import Any, Protocol

from SpiffWorkflow.bpmn.script_engine.python_environment import (
    BasePythonScriptEngineEnvironment,
)

from engine.bpmn.sandbox.compilation import CompiledCode, compile_checked
from engine.bpmn.sandbox.guards import SAFE_BUILTINS
from engine.bpmn.sandbox.limits import MAX_ITERATIONS, LimitExceeded, LoopBudget
from engine.bpmn.sandbox.modules import SafeModule
from engine.bpmn.sandbox.regexes import RUN_DEADLINE
from engine.bpmn.sandbox.task_data import check_task_data, is_dropped
from engine.errors import CuebookError, SandboxViolation, ScriptFailed


def _error_line(err: BaseException, filename: str) -> int:
    line = 0
    for frame, lineno in traceback.walk_tb(err.__traceback__):
        if frame.f_code.co_filename == filename:
            line = lineno
    return line


def _failure(err: Exception, compiled: CompiledCode) -> ScriptFailed:
    line = _error_line(err, compiled.filename)
    where = f"line {line}: " if line else ""
    if isinstance(err, LimitExceeded):
        return SandboxViolation(f"{where}{err}", extra={"line": line})
    if isinstance(err, RecursionError | MemoryError):
        what = (
            "calls or data nested too deeply (endless recursion?)"
            if isinstance(err, RecursionError)
            else "ran out of memory"
        )
        return SandboxViolation(f"{where}{what}", extra={"line": line})
    message = err.message if isinstance(err, CuebookError) else f"{type(err).__name__}: {err}"
    return ScriptFailed(f"{where}{message}", extra={"line": line})


class ServiceCaller(Protocol):
    """Runs a service task's operation; returns the JSON text stored in task data."""

    def __call__(self, context: dict[str, Any], **kwargs: Any) -> Any: ...


class SandboxedEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    """SpiffWorkflow script environment that runs code through the sandbox.

    Same contract as SpiffWorkflow's ``TaskDataEnvironment``: ``execute`` updates the
    task data dict in place and leaves no builtins or functions behind in it.
    """

    def __init__(
        self,
        service_caller: ServiceCaller | None = None,
        deadline_s: float = 1.0,
        max_iterations: int = MAX_ITERATIONS,
    ) -> None:
        super().__init__()
        self.service_caller = service_caller
        self.deadline_s = deadline_s
        self.max_iterations = max_iterations

    def _builtins(self, compiled: CompiledCode) -> dict[str, Any]:
        if not compiled.loops:
            return SAFE_BUILTINS
        scope = dict(SAFE_BUILTINS)
        budget = LoopBudget(self.deadline_s, self.max_iterations)
        scope["__cb_tick"] = budget.tick
        scope["__cb_enter"] = budget.enter
        scope["__cb_leave"] = budget.leave
        return scope

    def _deadline(self, compiled: CompiledCode) -> Token[float | None] | None:
        """For code that uses regular expressions: their deadline, that of this run."""
        if not compiled.regex:
            return None
        return RUN_DEADLINE.set(time.monotonic() + self.deadline_s)

    @staticmethod
    def _refuse_reserved(compiled: CompiledCode, data: dict[str, Any]) -> None:
        for name in compiled.helpers:
            if name in data:
                raise SandboxViolation(f"task data key '{name}' is reserved")

    def evaluate(
        self,
        expression: str,
        context: dict[str, Any],
        external_context: dict[str, Any] | None = None,
    ) -> Any:
        """Value of ``expression`` with task data (over ``external_context``) as names."""
        compiled = compile_checked(expression, "eval")
        code = compiled.checked()
        scope = dict(external_context) if external_context else {}
        scope.update(context)
        self._refuse_reserved(compiled, scope)
        scope["__builtins__"] = self._builtins(compiled)
        deadline = self._deadline(compiled)
        try:
            value = eval(code, scope)
        except Exception as err:
            raise _failure(err, compiled) from err
        finally:
            if deadline is not None:
                RUN_DEADLINE.reset(deadline)
        if isinstance(value, SafeModule):
            raise ScriptFailed(f"the expression gives the module {value!r}, not a value")
        return value

    def execute(
        self,
        script: str,
        context: dict[str, Any],
        external_context: dict[str, Any] | None = None,
    ) -> bool:
        """Run ``script`` with ``context`` (the task data) as its variables, in place."""
        compiled = compile_checked(script, "exec")
        code = compiled.checked()
        external = external_context or {}
        clash = sorted(set(external).intersection(context))
        if clash:
            raise ScriptFailed(
                f"task data overwrites predefined name(s) {', '.join(clash)}; rename them"
            )
        self._refuse_reserved(compiled, context)
        context.update(external)
        context["__builtins__"] = self._builtins(compiled)
        deadline = self._deadline(compiled)
        try:
            exec(code, context)
        except Exception as err:
            raise _failure(err, compiled) from err
        finally:
            if deadline is not None:
                RUN_DEADLINE.reset(deadline)
            for key in list(context):
                if (
                    key == "__builtins__"
                    or key in external
                    or key.startswith("__cb_")
                    or is_dropped(context[key])
                ):
                    del context[key]
        check_task_data(context)
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        if self.service_caller is None:
            raise NotImplementedError("no service caller is configured for service tasks")
        return self.service_caller(context, **kwargs)
