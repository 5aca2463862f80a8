"""Binding call arguments to a function's declared parameters."""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from integrations.errors import ArgumentsInvalid, Problem

if TYPE_CHECKING:
    from integrations.spec import FunctionSpec

_INTEGER_TEXT = re.compile(r"^\s*[+-]?\d+\s*$")
_NUMBER_TEXT = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")
_BOOLEAN_TEXT = {"true": True, "false": False}


class _Mismatch(Exception):
    pass


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, Sequence):
        return "array"
    return type(value).__name__


def coerce(value: Any, json_type: str) -> Any:
    """``value`` as ``json_type``, converting text that can only mean one thing.

    "5" becomes 5 for integer, "2.5" becomes 2.5 for number, "true"/"false" become booleans,
    and numbers become text for string. Raises ``ValueError`` saying what was expected.
    """
    try:
        return _COERCERS[json_type](value)
    except _Mismatch:
        raise ValueError(f"expected {json_type}, got {_describe(value)}") from None


def _as_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            raise _Mismatch
        return str(value)
    raise _Mismatch


def _as_integer(value: Any) -> int:
    if isinstance(value, bool):
        raise _Mismatch
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER_TEXT.match(value):
        return int(value)
    raise _Mismatch


def _as_number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise _Mismatch
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, str) and _NUMBER_TEXT.match(value):
        text = value.strip()
        return int(text) if _INTEGER_TEXT.match(text) else float(text)
    raise _Mismatch


def _as_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _BOOLEAN_TEXT:
        return _BOOLEAN_TEXT[value.strip().lower()]
    raise _Mismatch


def _as_object(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    raise _Mismatch


def _as_array(value: Any) -> list[Any]:
    if isinstance(value, Sequence) and not isinstance(value, str | bytes | bytearray):
        return list(value)
    raise _Mismatch


_COERCERS = {
    "string": _as_string,
    "integer": _as_integer,
    "number": _as_number,
    "boolean": _as_boolean,
    "object": _as_object,
    "array": _as_array,
}


def bind_arguments(
    spec: FunctionSpec, args: Sequence[Any] | Mapping[str, Any] | None
) -> dict[str, Any]:
    """Map ``args`` (a list in parameter order, or a dict by name) onto the parameters.

    Missing optional parameters take their default (or ``None``). Raises ``ArgumentsInvalid``
    whose problems name each parameter: too many values, unknown names, missing required
    values, values of the wrong type.
    """
    parameters = spec.parameters
    problems: list[Problem] = []
    given: dict[str, Any]
    if args is None:
        given = {}
    elif isinstance(args, Mapping):
        given = dict(args)
        known = spec.parameter_names
        for name in given:
            if name not in known:
                problems.append((str(name), "unknown parameter"))
    elif isinstance(args, Sequence) and not isinstance(args, str | bytes | bytearray):
        if len(args) > len(parameters):
            problems.append(
                (
                    f"[{len(parameters)}]",
                    f"{len(args)} values given, the function takes {len(parameters)}",
                )
            )
        given = {p.name: value for p, value in zip(parameters, args, strict=False)}
    else:
        raise ArgumentsInvalid(spec.name, [("", "arguments must be a list or an object")])

    bound: dict[str, Any] = {}
    for parameter in parameters:
        name = parameter.name
        if name not in given or given[name] is None:
            if parameter.has_default:
                bound[name] = copy.deepcopy(parameter.default)
            elif parameter.required:
                problems.append((name, "required parameter is missing"))
            else:
                bound[name] = None
            continue
        try:
            bound[name] = coerce(given[name], parameter.type)
        except ValueError as exc:
            problems.append((name, str(exc)))
    if problems:
        raise ArgumentsInvalid(spec.name, problems)
    return bound
