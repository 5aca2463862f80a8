"""Safe stand-ins for the modules scripts use: ``datetime``, ``time``, ``calendar``,
``decimal``, ``json``, ``re``, ``random`` and ``uuid``.

Each is a ``SafeModule``: a fixed table of the functions, classes and constants a script
needs, nothing else; no file, network, process or interpreter access is reachable through
them, and what they return is a plain value. Functions that can build large results
(``json.dumps``, ``re.sub``, ``random.choices``, ``time.strftime``) are wrapped with the
sandbox's size limits; ``re`` is the ``regex`` module with every search bounded in time
(``regexes.py``).
"""

from __future__ import annotations

import calendar as _calendar
import datetime as _datetime
import decimal as _decimal
import json as _json
import random as _random
import time as _time
import uuid as _uuid
from collections.abc import Callable
from typing import Any

from engine.bpmn.sandbox.formatting import check_date_format, text_size
from engine.bpmn.sandbox.limits import (
    MAX_INT_BITS,
    MAX_LENGTH,
    LimitExceeded,
)
from engine.bpmn.sandbox.regexes import RE_MEMBERS


class SafeModule:
    """A module as scripts see it: only the members in its table, read-only."""

    __slots__ = ("_members", "_name")

    def __init__(self, name: str, members: dict[str, Any]) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_members", members)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._members[name]
        except KeyError:
            known = ", ".join(sorted(self._members))
            raise AttributeError(f"{self._name}.{name} is not available (it has {known})") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{self._name} is read-only")

    def __repr__(self) -> str:
        return f"<module {self._name}>"


class DatetimeModule(SafeModule):
    """``datetime`` as both the module (``datetime.datetime.now()``, ``datetime.timedelta``)
    and the class (``datetime.now()``, ``datetime(2024, 5, 1)``), as scripts have used it."""

    __slots__ = ()

    def __call__(self, *args: Any, **kwargs: Any) -> _datetime.datetime:
        return _datetime.datetime(*args, **kwargs)


# ------------------------------------------------------------------------------- json


def _json_dumps(
    obj: Any,
    *,
    indent: int | str | None = None,
    sort_keys: bool = False,
    ensure_ascii: bool = True,
    separators: tuple[str, str] | None = None,
    default: Callable[[Any], Any] | None = None,
) -> str:
    width = len(indent) if isinstance(indent, str) else indent or 0
    if width > 8 or (separators and sum(len(s) for s in separators) > 8):
        raise LimitExceeded("json.dumps() indents and separators are at most 8 characters")
    budget = [MAX_LENGTH]
    text_size(obj, width, 0, budget)
    if default is not None:
        default = _counted(default, width, budget)
    text = _json.dumps(
        obj,
        indent=indent,
        sort_keys=sort_keys,
        ensure_ascii=ensure_ascii,
        separators=separators,
        default=default,
    )
    if len(text) > MAX_LENGTH:
        raise LimitExceeded(f"json.dumps() result of {len(text)} characters (limit {MAX_LENGTH})")
    return text


def _counted(default: Callable[[Any], Any], indent: int, budget: list[int]) -> Callable[[Any], Any]:
    """``default`` for ``json.dumps``, its results taken from the same text budget."""

    def counted(value: Any) -> Any:
        result = default(value)
        text_size(result, indent, 0, budget)
        return result

    return counted


def _json_loads(text: str | bytes) -> Any:
    return _json.loads(text)


JSON = SafeModule(
    "json",
    {"dumps": _json_dumps, "loads": _json_loads, "JSONDecodeError": _json.JSONDecodeError},
)

RE = SafeModule("re", RE_MEMBERS)

# ----------------------------------------------------------------------------- random

_RANDOM = _random.Random()


def _choices(population: Any, weights: Any = None, *, cum_weights: Any = None, k: int = 1) -> Any:
    if k > MAX_LENGTH:
        raise LimitExceeded(f"random.choices() of more than {MAX_LENGTH} items")
    return _RANDOM.choices(population, weights, cum_weights=cum_weights, k=k)


RANDOM = SafeModule(
    "random",
    {
        name: getattr(_RANDOM, name)
        for name in ("random", "randint", "randrange", "uniform", "choice", "sample", "shuffle")
    }
    | {"choices": _choices},
)

# ------------------------------------------------------------------ dates, time, others


def _time_strftime(pattern: str, moment: Any = None) -> str:
    check_date_format(pattern)
    return _time.strftime(pattern) if moment is None else _time.strftime(pattern, moment)


_DATETIME_MEMBERS: dict[str, Any] = {
    "date": _datetime.date,
    "timedelta": _datetime.timedelta,
    "timezone": _datetime.timezone,
    **{
        name: getattr(_datetime.datetime, name)
        for name in ("now", "today", "utcnow", "fromisoformat", "fromtimestamp")
    },
    **{name: getattr(_datetime.datetime, name) for name in ("strptime", "combine")},
    "MINYEAR": _datetime.MINYEAR,
    "MAXYEAR": _datetime.MAXYEAR,
}
DATETIME = DatetimeModule("datetime", _DATETIME_MEMBERS)
_DATETIME_MEMBERS["datetime"] = DATETIME

TIME = SafeModule(
    "time",
    {
        "time": _time.time,
        "monotonic": _time.monotonic,
        "gmtime": _time.gmtime,
        "localtime": _time.localtime,
        "mktime": _time.mktime,
        "strftime": _time_strftime,
    },
)

CALENDAR = SafeModule(
    "calendar",
    {
        **{name: getattr(_calendar, name) for name in ("monthrange", "isleap", "leapdays")},
        **{name: getattr(_calendar, name) for name in ("weekday", "timegm")},
        **{name: tuple(getattr(_calendar, name)) for name in ("month_name", "month_abbr")},
        **{name: tuple(getattr(_calendar, name)) for name in ("day_name", "day_abbr")},
        **{day: getattr(_calendar, day) for day in ("MONDAY", "TUESDAY", "WEDNESDAY")},
        **{day: getattr(_calendar, day) for day in ("THURSDAY", "FRIDAY", "SATURDAY")},
        "SUNDAY": _calendar.SUNDAY,
    },
)

_MAX_INT_DIGITS = MAX_INT_BITS * 3 // 10


def check_decimal(value: Any, what: str) -> None:
    """Refuse turning a Decimal of more digits than an integer may have into one (the
    conversion of ``Decimal('1e999999')`` alone takes tens of seconds)."""
    big = isinstance(value, _decimal.Decimal) and value.is_finite()
    if big and value.adjusted() > _MAX_INT_DIGITS:
        raise LimitExceeded(f"{what} of a Decimal over {_MAX_INT_DIGITS} digits")


def whole_number(*args: Any, **kwargs: Any) -> int:
    """The ``int`` scripts call (``isinstance(x, int)`` still reads it as ``int``)."""
    if args:
        check_decimal(args[0], "int()")
    return int(*args, **kwargs)


DECIMAL = SafeModule(
    "decimal",
    {
        "Decimal": _decimal.Decimal,
        "InvalidOperation": _decimal.InvalidOperation,
        "DivisionByZero": _decimal.DivisionByZero,
        **{name: getattr(_decimal, name) for name in dir(_decimal) if name.startswith("ROUND_")},
    },
)

UUID = SafeModule(
    "uuid",
    {
        "uuid4": _uuid.uuid4,
        "uuid5": _uuid.uuid5,
        "UUID": _uuid.UUID,
        "NAMESPACE_DNS": _uuid.NAMESPACE_DNS,
        "NAMESPACE_URL": _uuid.NAMESPACE_URL,
    },
)

MODULES: dict[str, SafeModule] = {
    "datetime": DATETIME,
    "time": TIME,
    "calendar": CALENDAR,
    "decimal": DECIMAL,
    "json": JSON,
    "re": RE,
    "random": RANDOM,
    "uuid": UUID,
}
"""The stand-ins by name: scripts' builtins, and what ``import`` binds."""


def members(module: SafeModule) -> dict[str, Any]:
    """The table of a stand-in (scripts cannot name it: it starts with ``_``)."""
    table: dict[str, Any] = object.__getattribute__(module, "_members")
    return table


def module_name(module: SafeModule) -> str:
    name: str = object.__getattribute__(module, "_name")
    return name
