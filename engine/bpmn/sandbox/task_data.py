"""Task data after a script: what is dropped, and the check that what stays can be saved.

Like SpiffWorkflow's own environment, a script's functions (``def``, ``lambda``, a
function or class it read into a variable) and the module stand-ins it imported are dropped
from task data when it ends. What stays must be plain values the saved state can hold as
JSON: text, numbers, booleans, None, lists, tuples and dicts with text or number keys,
bounded in size and depth, without cycles. A date, Decimal or UUID is refused with the way
to convert it (the saved state could not hold it).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from datetime import time as dt_time
from decimal import Decimal
from types import GeneratorType
from typing import Any
from uuid import UUID

from engine.bpmn.sandbox.limits import MAX_DATA_DEPTH, MAX_DATA_VALUES
from engine.bpmn.sandbox.modules import SafeModule
from engine.errors import SandboxViolation, ScriptFailed

_TRANSIENT_TYPES: tuple[type, ...] = (
    range, zip, enumerate, reversed, map, filter, GeneratorType,
    type({}.keys()), type({}.values()), type({}.items()), set, frozenset,
    type(iter([])), type(iter(())), type(iter("")), type(iter(range(0))),
)  # fmt: skip
_SCALARS = frozenset({str, int, float, bool, type(None)})
_HINTS: dict[type, str] = {
    date: "convert it with .isoformat() (datetime.fromisoformat(...) reads it back)",
    dt_time: "convert it with .isoformat()",
    timedelta: "convert it with .total_seconds()",
    Decimal: "convert it with str(...) or float(...)",
    UUID: "convert it with str(...)",
}


def is_dropped(value: Any) -> bool:
    """Whether a variable a script leaves behind is dropped rather than kept: a function,
    a class or a module stand-in."""
    return callable(value) or isinstance(value, SafeModule)


def _unsavable(name: str, value: Any) -> ScriptFailed:
    kind = type(value)
    if isinstance(value, _TRANSIENT_TYPES):
        return ScriptFailed(
            f"task data '{name}' holds a {kind.__name__} object: "
            "convert it with list(...) before the script ends"
        )
    if is_dropped(value):
        return ScriptFailed(f"task data '{name}' holds a function or module")
    hint = next((h for k, h in _HINTS.items() if isinstance(value, k)), None)
    return ScriptFailed(
        f"task data '{name}' holds a {kind.__name__} value, which cannot be saved: "
        + (hint or "keep text, numbers, lists and dicts")
    )


_KEYS = frozenset({str, int, float, bool, type(None)})


def _check_keys(value: dict[Any, Any], name: str) -> None:
    for key in value:
        if type(key) not in _KEYS:
            raise ScriptFailed(
                f"task data '{name}' has a dict key of type {type(key).__name__}, "
                "which cannot be saved: use text keys"
            )


def _measure(value: Any, name: str, depth: int, memo: dict[int, int], active: set[int]) -> int:
    kind = type(value)
    if kind in _SCALARS:
        return 1
    if isinstance(value, dict | list | tuple):
        key = id(value)
        known = memo.get(key)
        if known is not None:
            return known
        if key in active:
            raise ScriptFailed(f"task data '{name}' contains itself")
        if depth >= MAX_DATA_DEPTH:
            raise ScriptFailed(f"task data '{name}' is nested deeper than {MAX_DATA_DEPTH} levels")
        active.add(key)
        children: Iterable[Any] = value
        if isinstance(value, dict):
            _check_keys(value, name)
            children = value.values()
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
    raise _unsavable(name, value)


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
