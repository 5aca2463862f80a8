"""Run-time checks the rewrite calls: attribute reads, ``except`` handlers, ``import``.

* ``read_attribute``: ``obj.name`` read as a value. On a dict it reads the item, as
  SpiffWorkflow's task data boxes do (``invoice.invoiceId``); on a module stand-in, its
  member; on anything else only the data attributes in ``SCRIPT_DATA_ATTRIBUTES``. Names
  starting with ``_`` never get this far: the checker refuses them.
* ``rethrow``: the first statement of every ``except`` handler. The sandbox's own errors
  (a limit hit, endless recursion, memory) and anything that is not an ``Exception``
  (``SystemExit``, ``KeyboardInterrupt``) pass through every handler, so no ``try`` can
  catch a limit and go on.
* ``import_module`` / ``import_member``: what ``import json`` and ``from datetime import
  timedelta`` bind: the safe stand-ins, never a real module.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.bpmn.sandbox.allowlist import METHODS, MODULE_METHODS, SCRIPT_DATA_ATTRIBUTES
from engine.bpmn.sandbox.formatting import TEXT
from engine.bpmn.sandbox.limits import LimitExceeded
from engine.bpmn.sandbox.modules import (
    DATETIME,
    MODULES,
    SafeModule,
    members,
    module_name,
    whole_number,
)
from engine.errors import CuebookError

UNCATCHABLE: tuple[type[BaseException], ...] = (
    LimitExceeded,
    RecursionError,
    MemoryError,
    CuebookError,
)
"""Errors no ``except`` in a script can stop."""

_CALL_ONLY = METHODS | MODULE_METHODS


def read_attribute(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        try:
            return obj[name]
        except KeyError:
            if name in _CALL_ONLY:
                raise LimitExceeded(
                    f"method '.{name}' can only be called: write .{name}(...)"
                ) from None
            raise AttributeError(f"the dict has no key '{name}'") from None
    if isinstance(obj, SafeModule):
        table = members(obj)
        if name not in table:
            module = module_name(obj)
            raise LimitExceeded(
                f"{module}.{name} is not available in the sandbox "
                f"({module} has {', '.join(sorted(table))})"
            )
        return table[name]
    if name in SCRIPT_DATA_ATTRIBUTES:
        return getattr(obj, name)
    if name in _CALL_ONLY:
        raise LimitExceeded(f"method '.{name}' can only be called: write .{name}(...)")
    raise LimitExceeded(
        f"attribute '.{name}' is not allowed on a value of type {type(obj).__name__}"
    )


def rethrow(error: BaseException) -> None:
    if isinstance(error, UNCATCHABLE) or not isinstance(error, Exception):
        raise error


_REAL_CLASSES: dict[int, type] = {
    id(DATETIME): datetime,
    id(whole_number): int,
    id(TEXT): str,
}


def real_class(value: Any) -> Any:
    """The class a stand-in means in ``isinstance`` (``datetime`` -> ``datetime.datetime``,
    the guarded ``int`` and ``str`` -> ``int`` and ``str``)."""
    if isinstance(value, tuple):
        return tuple(real_class(v) for v in value)
    return _REAL_CLASSES.get(id(value), value)


def safe_isinstance(obj: Any, kinds: Any) -> bool:
    """``isinstance`` over the stand-ins' real classes."""
    return isinstance(obj, real_class(kinds))


def import_module(name: str) -> SafeModule:
    return MODULES[name]


def import_member(module: str, name: str) -> Any:
    return members(MODULES[module])[name]
