"""Sandbox for methodologists' Python: script tasks, gateway conditions, DMN expressions.

Code is parsed, checked against an AST allow-list and rewritten before it is compiled:

* no ``class``, ``with``, ``global``, ``yield``, ``async``, no names or attributes starting
  with ``_``, no reflective names (``getattr``, ``vars``, ``type(...)``, ``gi_frame``, ...);
  ``import`` binds only the safe module stand-ins; only allow-listed builtins, methods and
  the script's own functions can be called;
* every loop, comprehension, ``def`` and ``lambda`` calls a tick that enforces a deadline
  and an iteration cap, and ``def`` calls nest at most ``MAX_CALL_DEPTH`` deep;
* every ``except`` handler re-raises the sandbox's own errors first, and a ``finally``
  cannot ``return``/``break``/``continue``, so no ``try`` outlives a limit;
* attribute reads go through ``read_attribute`` (dict items, module members, a few data
  attributes of values);
* ``+``, ``*``, ``**``, ``<<``, ``%``, f-strings, ``str.format`` and the amplifying
  methods go through helpers that refuse oversized results.

Compiled code is cached by ``(source, mode)``, so a condition is parsed once per process.

The modules, in the order code meets them:

* ``allowlist``: the names, methods, attributes and syntax nodes code may use;
* ``checker``: the AST walk that refuses everything else, naming each line;
* ``instrumentation``: the rewrite that routes attribute reads and amplifying operations
  through guards, ticks every loop and function and opens every handler with ``rethrow``;
* ``compilation``: parse, check, rewrite, compile, cached;
* ``limits``: the numbers, the loop budget (deadline + iteration cap + call depth) and
  ``LimitExceeded``;
* ``guards``, ``access``, ``formatting``: the run-time guards and the builtins code sees;
* ``modules``: the stand-ins for ``datetime``, ``time``, ``calendar``, ``decimal``,
  ``json``, ``re``, ``random`` and ``uuid``; ``regexes``: ``re``, searches bounded in time;
* ``task_data``: what is dropped from task data after a script, and the check of the rest;
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
