"""Sandbox for methodologists' Python: script tasks, gateway conditions, DMN expressions.

Code is parsed, checked against an AST allow-list and rewritten before it is compiled:

* no imports, definitions, ``try``/``with``/``raise``, no names or attributes starting
  with ``_``, only allow-listed builtins and methods can be called;
* every loop and comprehension calls a tick that enforces a deadline and an iteration cap;
* ``+``, ``*``, ``**``, ``<<``, ``%``, f-strings and the amplifying methods ``join``,
  ``replace`` and ``extend`` go through helpers that refuse oversized results.

Compiled code is cached by ``(source, mode)``, so a condition is parsed once per process.

The modules, in the order code meets them:

* ``allowlist``: the names, methods, attributes and syntax nodes code may use;
* ``checker``: the AST walk that refuses everything else, naming each line;
* ``instrumentation``: the rewrite that routes amplifying operations through guards and
  ticks every loop;
* ``compilation``: parse, check, rewrite, compile, cached;
* ``limits``: the numbers, the loop budget (deadline + iteration cap) and ``LimitExceeded``;
* ``guards``: the run-time guards and the builtins code sees;
* ``task_data``: the size and type check of task data after a script;
* ``environment`` and ``script_engine``: the SpiffWorkflow adapter.

See docs/sandbox.md for what is enforced and why this is not RestrictedPython.
"""

from __future__ import annotations

from engine.bpmn.sandbox.allowlist import (
    CALLABLE_NAMES,
    DATA_ATTRIBUTES,
    DENIED_NAMES,
    GUARDED_METHODS,
    METHODS,
)
from engine.bpmn.sandbox.compilation import Mode, check_code
from engine.bpmn.sandbox.environment import SandboxedEnvironment, ServiceCaller
from engine.bpmn.sandbox.guards import OPERATORS, call_method
from engine.bpmn.sandbox.limits import (
    MAX_DATA_DEPTH,
    MAX_DATA_VALUES,
    MAX_INT_BITS,
    MAX_ITERATIONS,
    MAX_LENGTH,
    MAX_RANGE,
    MAX_ROUND_DIGITS,
    LimitExceeded,
    LoopBudget,
)
from engine.bpmn.sandbox.script_engine import (
    SandboxedScriptEngine,
    make_script_engine,
)

__all__ = [
    "CALLABLE_NAMES",
    "DATA_ATTRIBUTES",
    "DENIED_NAMES",
    "GUARDED_METHODS",
    "MAX_DATA_DEPTH",
    "MAX_DATA_VALUES",
    "MAX_INT_BITS",
    "MAX_ITERATIONS",
    "MAX_LENGTH",
    "MAX_RANGE",
    "MAX_ROUND_DIGITS",
    "METHODS",
    "OPERATORS",
    "LimitExceeded",
    "LoopBudget",
    "Mode",
    "SandboxedEnvironment",
    "SandboxedScriptEngine",
    "ServiceCaller",
    "call_method",
    "check_code",
    "make_script_engine",
]
