"""Functions Cuebook itself provides to service tasks, beside the HTTP integration functions.

A service task names them like any integration function (``cuebook.create_ticket``,
``cuebook.due_time``); they are validated at deploy by the same rules (parameter names,
required ones) and called the same way: outside the step's transaction, their outcome
replayed into the step. A built-in reports failure by raising a ``CuebookError``; the
step then sees it as the BPMN error ``integration_failed``, like a failed HTTP call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from engine.bpmn.compiler import FunctionInfo
from engine.errors import IntegrationFailed

PREFIX = "cuebook."


@dataclass(frozen=True)
class BuiltinFunction:
    name: str
    parameters: tuple[str, ...]
    required: tuple[str, ...]
    run: Callable[[dict[str, Any]], dict[str, Any]]

    @property
    def info(self) -> FunctionInfo:
        return FunctionInfo(self.name, self.parameters, self.required)


class BuiltinFunctions:
    """The built-ins of one process, by name (every name starts with ``cuebook.``)."""

    def __init__(self, functions: Iterable[BuiltinFunction] = ()) -> None:
        self._by_name: dict[str, BuiltinFunction] = {}
        for function in functions:
            self.register(function)

    @classmethod
    def declared(cls, declarations: Iterable[FunctionInfo]) -> BuiltinFunctions:
        """Built-ins known by name and parameters (all that validation needs), not callable
        yet: ``bind`` gives each its implementation once the services it needs exist."""
        return cls(
            BuiltinFunction(d.name, d.parameters, d.required, _unbound(d.name))
            for d in declarations
        )

    def bind(self, name: str, run: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        function = self._by_name.get(name)
        if function is None:
            raise ValueError(f"built-in function {name!r} is not declared")
        self._by_name[name] = replace(function, run=run)

    def register(self, function: BuiltinFunction) -> None:
        if not function.name.startswith(PREFIX):
            raise ValueError(f"a built-in function's name starts with {PREFIX!r}")
        self._by_name[function.name] = function

    def get(self, name: str) -> BuiltinFunction | None:
        return self._by_name.get(name)

    def info(self, name: str) -> FunctionInfo | None:
        function = self._by_name.get(name)
        return None if function is None else function.info

    def names(self) -> list[str]:
        return sorted(self._by_name)


def _unbound(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def run(args: dict[str, Any]) -> dict[str, Any]:
        raise IntegrationFailed(f"{name} is declared but not available in this process")

    return run
