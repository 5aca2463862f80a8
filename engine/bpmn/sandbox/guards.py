"""Run-time guards and the builtins checked code sees.

Operators and methods that can build oversized values (``+``, ``*``, ``**``, ``<<``, ``%``,
f-strings, unpacking, ``join``, ``replace``, ``extend``, ``strftime``) are called through
these functions, which refuse results over the limits; ``range``, ``sum`` and ``round`` are
narrowed the same way.
"""

from __future__ import annotations

import builtins
import math
import operator
from collections.abc import Iterable
from datetime import date, timedelta, timezone
from typing import Any

from engine.bpmn.sandbox.access import (
    import_member,
    import_module,
    read_attribute,
    rethrow,
    safe_isinstance,
)
from engine.bpmn.sandbox.allowlist import CALLABLE_NAMES, EXCEPTION_NAMES, MODULE_NAMES
from engine.bpmn.sandbox.formatting import (
    TEXT,
    check_date_format,
    format_text,
    format_value,
    formatted,
)
from engine.bpmn.sandbox.limits import (
    MAX_INT_BITS,
    MAX_LENGTH,
    MAX_RANGE,
    MAX_ROUND_DIGITS,
    LimitExceeded,
)
from engine.bpmn.sandbox.modules import MODULES, check_decimal, whole_number

_SEQUENCES = (str, list, tuple)


def _check_length(length: int, what: str) -> None:
    if length > MAX_LENGTH:
        raise LimitExceeded(f"{what} would hold {length} items (limit {MAX_LENGTH})")


def _add(a: Any, b: Any) -> Any:
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        _check_length(len(a) + len(b), "result of '+'")
    return a + b


def _iadd(a: Any, b: Any) -> Any:
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        _check_length(len(a) + len(b), "result of '+='")
    return operator.iadd(a, b)


def _check_mul(a: Any, b: Any) -> None:
    if type(a) is float or type(b) is float:
        return
    if isinstance(a, int) and isinstance(b, int):
        if a.bit_length() + b.bit_length() > MAX_INT_BITS:
            raise LimitExceeded(f"result of '*' would exceed {MAX_INT_BITS} bits")
    elif isinstance(a, _SEQUENCES) and isinstance(b, int):
        _check_length(len(a) * b, "result of '*'")
    elif isinstance(b, _SEQUENCES) and isinstance(a, int):
        _check_length(len(b) * a, "result of '*'")


def _mul(a: Any, b: Any) -> Any:
    _check_mul(a, b)
    return a * b


def _imul(a: Any, b: Any) -> Any:
    _check_mul(a, b)
    return operator.imul(a, b)


def _pow(a: Any, b: Any) -> Any:
    big = isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1
    if big and (b > MAX_INT_BITS or b * math.log2(abs(a)) > MAX_INT_BITS):
        raise LimitExceeded(f"result of '**' would exceed {MAX_INT_BITS} bits")
    return a**b


def _lshift(a: Any, b: Any) -> Any:
    big = isinstance(a, int) and isinstance(b, int) and a and b > 0
    if big and a.bit_length() + b > MAX_INT_BITS:
        raise LimitExceeded(f"result of '<<' would exceed {MAX_INT_BITS} bits")
    return a << b


def _mod(a: Any, b: Any) -> Any:
    if isinstance(a, str):
        raise LimitExceeded("'%' formatting of text is not allowed (use an f-string)")
    return a % b


def _text(value: str) -> str:
    _check_length(len(value), "f-string")
    return value


def _sized(value: list[Any] | tuple[Any, ...]) -> list[Any] | tuple[Any, ...]:
    _check_length(len(value), "unpacked sequence")
    return value


def call_method(obj: Any, name: str, /, *args: Any, **kwargs: Any) -> Any:
    """``obj.name(*args, **kwargs)``; oversized ``join``/``replace``/``extend`` results refused."""
    if isinstance(obj, type) or obj is TEXT:
        raise LimitExceeded(f"'.{name}' must be called on a value, not on a type")
    if isinstance(obj, str):
        if name == "format":
            return format_text(obj, args, kwargs)
        if name == "format_map" and len(args) == 1 and not kwargs:
            return format_text(obj, (), args[0])
        if name == "join" and len(args) == 1 and not kwargs:
            parts = args[0] if isinstance(args[0], list | tuple) else list(args[0])
            size = sum(len(p) for p in parts if isinstance(p, str))
            _check_length(size + len(obj) * max(len(parts) - 1, 0), "result of '.join()'")
            return obj.join(parts)
        if name == "replace" and len(args) in (2, 3) and not kwargs:
            old, new = args[0], args[1]
            if isinstance(old, str) and isinstance(new, str):
                hits = obj.count(old) if old else len(obj) + 1
                if len(args) == 3 and isinstance(args[2], int) and args[2] >= 0:
                    hits = min(hits, args[2])
                size = len(obj) + hits * (len(new) - len(old))
                _check_length(size, "result of '.replace()'")
    elif isinstance(obj, date) and name == "strftime" and args and isinstance(args[0], str):
        check_date_format(args[0])
    elif isinstance(obj, list) and name == "extend" and len(args) == 1 and not kwargs:
        items = args[0]
        if not hasattr(items, "__len__"):
            items = list(items)
        _check_length(len(obj) + len(items), "list")
        obj.extend(items)
        return None
    return getattr(obj, name)(*args, **kwargs)


def _range(*args: int) -> range:
    numbers = range(*args)
    try:
        size = len(numbers)
    except OverflowError:
        size = MAX_RANGE + 1
    if size > MAX_RANGE:
        raise LimitExceeded(f"range() of more than {MAX_RANGE} numbers")
    return numbers


def _sum(values: Iterable[Any], start: int | float = 0) -> Any:
    if not isinstance(start, int | float):
        raise LimitExceeded("sum() only adds numbers")
    return sum(values, start)


def _round(number: Any, ndigits: int | None = None) -> Any:
    if ndigits is not None and isinstance(ndigits, int) and abs(ndigits) > MAX_ROUND_DIGITS:
        raise LimitExceeded(f"round() to more than {MAX_ROUND_DIGITS} digits")
    if ndigits is None:
        check_decimal(number, "round()")
    return round(number, ndigits)


_IMPORTABLE = frozenset({"time", "_strptime"})


def _import(name: str, *args: Any, **kwargs: Any) -> Any:
    """Lets C code import what it needs (``datetime.__format__`` imports ``time``,
    ``datetime.strptime`` imports ``_strptime``); scripts' own imports never come here."""
    if name not in _IMPORTABLE:
        raise LimitExceeded(f"import of {name!r} is not allowed")
    return __import__(name, *args, **kwargs)


OPERATORS: dict[str, Any] = {"+": _add, "*": _mul, "**": _pow, "<<": _lshift, "%": _mod}
"""Binary operators that can build oversized values, as limit-checking functions."""

_EXCEPTIONS = {name: getattr(builtins, name) for name in EXCEPTION_NAMES}

SAFE_BUILTINS: dict[str, Any] = {  # the builtins of checked code, with the rewrite's helpers
    "len": len, "str": TEXT, "int": whole_number, "float": float, "bool": bool, "list": list,
    "dict": dict, "set": set, "tuple": tuple, "min": min, "max": max, "sum": _sum,
    "sorted": sorted, "reversed": reversed, "round": _round, "abs": abs, "any": any,
    "all": all, "enumerate": enumerate, "zip": zip, "range": _range, "chr": chr, "ord": ord,
    "map": map, "filter": filter, "isinstance": safe_isinstance, "format": format_value,
    "date": date, "timedelta": timedelta, "timezone": timezone,
    **MODULES, **_EXCEPTIONS,
    "__cb_add": _add, "__cb_iadd": _iadd, "__cb_mul": _mul, "__cb_imul": _imul,
    "__cb_pow": _pow, "__cb_lshift": _lshift, "__cb_mod": _mod, "__cb_text": _text,
    "__cb_fv": formatted, "__cb_sized": _sized, "__cb_call": call_method,
    "__cb_attr": read_attribute, "__cb_rethrow": rethrow, "__cb_module": import_module,
    "__cb_member": import_member, "__import__": _import,
}  # fmt: skip
assert set(SAFE_BUILTINS) >= CALLABLE_NAMES | MODULE_NAMES | EXCEPTION_NAMES
