"""The check of task data after a script: bounded size and depth, only plain values."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from types import GeneratorType
from typing import Any

from engine.bpmn.sandbox.limits import MAX_DATA_DEPTH, MAX_DATA_VALUES
from engine.errors import SandboxViolation, ScriptFailed

_TRANSIENT_TYPES: tuple[type, ...] = (
    range, zip, enumerate, reversed, GeneratorType,
    type({}.keys()), type({}.values()), type({}.items()),
    type(iter([])), type(iter(())), type(iter("")), type(iter(range(0))),
)  # fmt: skip
_SCALARS = frozenset({str, int, float, bool, type(None), datetime, date, timedelta})


def _measure(value: Any, name: str, depth: int, memo: dict[int, int], active: set[int]) -> int:
    kind = type(value)
    if kind in _SCALARS:
        return 1
    if isinstance(value, dict | list | tuple | set | frozenset):
        key = id(value)
        known = memo.get(key)
        if known is not None:
            return known
        if key in active:
            raise ScriptFailed(f"task data '{name}' contains itself")
        if depth >= MAX_DATA_DEPTH:
            raise ScriptFailed(f"task data '{name}' is nested deeper than {MAX_DATA_DEPTH} levels")
        active.add(key)
        children = value.values() if isinstance(value, dict) else value
        total = 1
        for child in children:
            total += _measure(child, name, depth + 1, memo, active)
            if total > MAX_DATA_VALUES:
                raise SandboxViolation(
                    f"task data '{name}' would hold more than {MAX_DATA_VALUES} values"
                )
        active.discard(key)
        memo[key] = total
        return total
    if isinstance(value, _TRANSIENT_TYPES):
        raise ScriptFailed(
            f"task data '{name}' holds a {kind.__name__} object: "
            "convert it with list(...) before the script ends"
        )
    if callable(value):
        raise ScriptFailed(f"task data '{name}' holds a function")
    return 1


def check_task_data(context: dict[str, Any]) -> None:
    memo: dict[int, int] = {}
    total = 0
    for name, value in context.items():
        if type(value) in _SCALARS:
            total += 1
            continue
        total += _measure(value, name, 0, memo, set())
        if total > MAX_DATA_VALUES:
            raise SandboxViolation(f"task data would hold more than {MAX_DATA_VALUES} values")
