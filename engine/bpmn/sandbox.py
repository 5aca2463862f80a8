"""Sandbox for methodologists' Python: script tasks, gateway conditions, DMN expressions.

Code is parsed, checked against an AST allow-list and rewritten before it is compiled:

* no imports, definitions, ``try``/``with``/``raise``, no names or attributes starting
  with ``_``, only allow-listed builtins and methods can be called;
* every loop and comprehension calls a tick that enforces a deadline and an iteration cap;
* ``+``, ``*``, ``**``, ``<<``, ``%``, f-strings and the amplifying methods ``join``,
  ``replace`` and ``extend`` go through helpers that refuse oversized results.

Compiled code is cached by ``(source, mode)``, so a condition is parsed once per process.
"""

from __future__ import annotations

import ast
import functools
import math
import operator
import re
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from types import CodeType, GeneratorType
from typing import Any, Literal, Protocol

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import (
    BasePythonScriptEngineEnvironment,
)
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.errors import CuebookError, SandboxViolation, ScriptFailed

Mode = Literal["exec", "eval"]

MAX_LENGTH = 1_000_000
"""Longest text or sequence an operator may build (characters or items)."""
MAX_INT_BITS = 16_384
"""Largest integer an operator may build, in bits (about 4,900 decimal digits)."""
MAX_RANGE = 100_000
"""Longest ``range()``."""
MAX_ITERATIONS = 1_000_000
"""Loop and comprehension iterations allowed in one run."""
MAX_DATA_VALUES = 1_000_000
"""Values (counting shared ones once per reference) task data may hold after a script."""
MAX_DATA_DEPTH = 100
"""Deepest nesting task data may have after a script."""
MAX_ROUND_DIGITS = 100
_MAX_SPEC_DIGITS = 3
_MAX_SPEC_LENGTH = 100

CALLABLE_NAMES = frozenset(
    {
        "len", "str", "int", "float", "bool", "list", "dict", "set", "tuple",
        "min", "max", "sum", "sorted", "reversed", "round", "abs", "any", "all",
        "enumerate", "zip", "range", "chr", "ord",
        "datetime", "date", "timedelta", "timezone",
    }
)  # fmt: skip
"""Names that may be called; they cannot be assigned."""

DENIED_NAMES = frozenset(
    {
        "exec", "eval", "open", "compile", "getattr", "setattr", "delattr", "hasattr",
        "globals", "locals", "vars", "dir", "type", "breakpoint", "input", "help",
        "print", "format", "object", "super", "memoryview", "bytearray", "bytes",
        "classmethod", "staticmethod", "property", "iter", "next", "pow", "id", "hash",
        "exit", "quit", "callable", "isinstance", "issubclass", "map", "filter",
    }
)  # fmt: skip

METHODS = frozenset(
    {
        # str
        "strip", "lstrip", "rstrip", "lower", "upper", "title", "capitalize", "casefold",
        "split", "rsplit", "splitlines", "join", "replace", "startswith", "endswith",
        "find", "rfind", "rindex", "isdigit", "isalpha", "isalnum", "isnumeric",
        "isdecimal", "isspace", "islower", "isupper", "partition", "rpartition",
        "removeprefix", "removesuffix",
        # list, dict, set
        "append", "extend", "insert", "pop", "remove", "clear", "copy", "sort", "reverse",
        "count", "index", "get", "items", "keys", "values", "popitem", "update",
        "setdefault", "add", "discard", "union", "intersection", "difference",
        "symmetric_difference", "issubset", "issuperset", "isdisjoint",
        # date, datetime, timedelta
        "isoformat", "weekday", "isoweekday", "date", "time", "timestamp",
        "total_seconds", "astimezone", "now", "today", "fromisoformat", "strftime",
    }
)  # fmt: skip
"""Attribute names that may be called as methods (and only called)."""

DATA_ATTRIBUTES = frozenset(
    {
        "year", "month", "day", "hour", "minute", "second", "microsecond",
        "days", "seconds", "microseconds", "utc",
    }
)  # fmt: skip
"""Attribute names that may be read as values."""

GUARDED_METHODS = frozenset({"join", "replace", "extend", "strftime"})
"""Methods whose results can outgrow their inputs; called through ``call_method``."""

_FILENAMES: dict[str, str] = {"exec": "<script>", "eval": "<expression>"}

_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Module, ast.Expression, ast.Expr,
    ast.Assign, ast.AugAssign, ast.Delete, ast.If, ast.For, ast.While,
    ast.Break, ast.Continue, ast.Pass, ast.Assert,
    ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.IfExp, ast.Compare, ast.Call, ast.keyword,
    ast.Dict, ast.Set, ast.List, ast.Tuple, ast.Starred,
    ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.comprehension,
    ast.JoinedStr, ast.FormattedValue, ast.Constant, ast.Name, ast.Attribute,
    ast.Subscript, ast.Slice,
    ast.Load, ast.Store, ast.Del,
    ast.And, ast.Or, ast.Not, ast.USub, ast.UAdd, ast.Invert,
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow,
    ast.LShift, ast.RShift, ast.BitAnd, ast.BitOr, ast.BitXor,
    ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In, ast.NotIn,
)  # fmt: skip

_REFUSED_NODES: dict[type[ast.AST], str] = {
    ast.Import: "import",
    ast.ImportFrom: "import",
    ast.FunctionDef: "def",
    ast.AsyncFunctionDef: "async def",
    ast.ClassDef: "class",
    ast.Lambda: "lambda",
    ast.Global: "global",
    ast.Nonlocal: "nonlocal",
    ast.With: "with",
    ast.AsyncWith: "async with",
    ast.AsyncFor: "async for",
    ast.Try: "try",
    ast.TryStar: "try",
    ast.Raise: "raise",
    ast.Return: "return",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Await: "await",
    ast.NamedExpr: "assignment expression (:=)",
    ast.Match: "match",
    ast.AnnAssign: "annotated assignment",
    ast.MatMult: "matrix multiplication (@)",
}


class LimitExceeded(Exception):
    """A size, time or iteration limit was hit at run time (reported with its line)."""


# --------------------------------------------------------------------------- checking


class _Checker(ast.NodeVisitor):
    def __init__(self) -> None:
        self.problems: list[str] = []

    def refuse(self, node: ast.AST, message: str) -> None:
        self.problems.append(f"line {getattr(node, 'lineno', 1)}: {message}")

    def generic_visit(self, node: ast.AST) -> None:
        refused = _REFUSED_NODES.get(type(node))
        if refused is not None:
            self.refuse(node, f"{refused} is not allowed")
            return
        if not isinstance(node, _ALLOWED_NODES):
            self.refuse(node, f"{type(node).__name__} is not allowed")
            return
        super().generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id.startswith("_"):
            self.refuse(node, f"name '{node.id}' is not allowed (names cannot start with '_')")
        elif node.id in DENIED_NAMES:
            self.refuse(node, f"'{node.id}' is not allowed")
        elif node.id in CALLABLE_NAMES and not isinstance(node.ctx, ast.Load):
            self.refuse(node, f"'{node.id}' is a built-in name and cannot be assigned or deleted")

    def visit_Attribute(self, node: ast.Attribute, called: bool = False) -> None:
        name = node.attr
        if name.startswith("_"):
            self.refuse(node, f"access to '{name}' is not allowed")
        elif not isinstance(node.ctx, ast.Load):
            self.refuse(node, f"assigning or deleting attribute '.{name}' is not allowed")
        elif name in ("format", "format_map"):
            self.refuse(node, f"'.{name}' is not allowed (use an f-string)")
        elif name in METHODS:
            if not called and name not in DATA_ATTRIBUTES:
                self.refuse(node, f"method '.{name}' can only be called")
        elif name not in DATA_ATTRIBUTES:
            self.refuse(node, f"attribute '.{name}' is not allowed")
        self.visit(node.value)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            self.visit_Attribute(func, called=True)
        elif isinstance(func, ast.Name):
            if func.id.startswith("_") or func.id in DENIED_NAMES:
                self.visit_Name(func)
            elif func.id not in CALLABLE_NAMES:
                self.refuse(node, f"calling '{func.id}' is not allowed")
        else:
            self.refuse(node, "only built-in helpers and allowed methods can be called")
            self.visit(func)
        for arg in node.args:
            self.visit(arg)
        for kw in node.keywords:
            self.visit(kw.value)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        if node.is_async:
            self.refuse(node.target, "async comprehensions are not allowed")
            return
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, bytes):
            self.refuse(node, "bytes literals are not allowed")

    def visit_FormattedValue(self, node: ast.FormattedValue) -> None:
        self.visit(node.value)
        spec = node.format_spec
        if spec is None:
            return
        if not isinstance(spec, ast.JoinedStr) or not all(
            isinstance(v, ast.Constant) and isinstance(v.value, str) for v in spec.values
        ):
            self.refuse(node, "format specifications must be constant")
            return
        text = "".join(str(v.value) for v in spec.values if isinstance(v, ast.Constant))
        if len(text) > _MAX_SPEC_LENGTH:
            self.refuse(node, f"format specification longer than {_MAX_SPEC_LENGTH} characters")
        if re.search(rf"\d{{{_MAX_SPEC_DIGITS + 1},}}", text):
            self.refuse(node, f"format width or precision above {10**_MAX_SPEC_DIGITS - 1}")


# --------------------------------------------------------------------------- rewriting

_BINOP_HELPERS: dict[type[ast.operator], tuple[str, str]] = {
    ast.Add: ("__cb_add", "__cb_iadd"),
    ast.Mult: ("__cb_mul", "__cb_imul"),
    ast.Pow: ("__cb_pow", "__cb_pow"),
    ast.LShift: ("__cb_lshift", "__cb_lshift"),
    ast.Mod: ("__cb_mod", "__cb_mod"),
}


class _Rewriter(ast.NodeTransformer):
    """Route size-amplifying operations through helpers and tick every loop."""

    def __init__(self) -> None:
        self.helpers: set[str] = set()
        self.loops = False
        self.temps = 0

    def helper(self, name: str, node: ast.AST, args: list[ast.expr]) -> ast.Call:
        self.helpers.add(name)
        call = ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=args, keywords=[])
        return ast.copy_location(call, node)

    def tick(self, node: ast.AST) -> ast.Call:
        self.loops = True
        return self.helper("__cb_tick", node, [])

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        self.generic_visit(node)
        names = _BINOP_HELPERS.get(type(node.op))
        if names is None:
            return node
        return self.helper(names[0], node, [node.left, node.right])

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.stmt | list[ast.stmt]:
        self.generic_visit(node)
        names = _BINOP_HELPERS.get(type(node.op))
        if names is None:
            return node
        target = node.target
        if isinstance(target, ast.Name):
            load = ast.copy_location(ast.Name(id=target.id, ctx=ast.Load()), target)
            call = self.helper(names[1], node, [load, node.value])
            return ast.copy_location(ast.Assign(targets=[target], value=call), node)
        assert isinstance(target, ast.Subscript)
        self.temps += 1
        obj, key = f"__cb_t{self.temps}o", f"__cb_t{self.temps}k"
        statements: list[ast.stmt] = [
            ast.Assign(targets=[ast.Name(id=obj, ctx=ast.Store())], value=target.value),
            ast.Assign(targets=[ast.Name(id=key, ctx=ast.Store())], value=target.slice),
        ]

        def item(ctx: ast.expr_context) -> ast.Subscript:
            return ast.Subscript(
                value=ast.Name(id=obj, ctx=ast.Load()),
                slice=ast.Name(id=key, ctx=ast.Load()),
                ctx=ctx,
            )

        call = self.helper(names[1], node, [item(ast.Load()), node.value])
        statements.append(ast.Assign(targets=[item(ast.Store())], value=call))
        statements.append(
            ast.Delete(targets=[ast.Name(id=obj, ctx=ast.Del()), ast.Name(id=key, ctx=ast.Del())])
        )
        return [ast.copy_location(s, node) for s in statements]

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in GUARDED_METHODS:
            method = ast.copy_location(ast.Constant(value=func.attr), func)
            call = self.helper("__cb_call", node, [func.value, method, *node.args])
            call.keywords = node.keywords
            return call
        return node

    def visit_List(self, node: ast.List) -> ast.expr:
        return self._unpacking(node)

    def visit_Tuple(self, node: ast.Tuple) -> ast.expr:
        return self._unpacking(node)

    def _unpacking(self, node: ast.List | ast.Tuple) -> ast.expr:
        self.generic_visit(node)
        if isinstance(node.ctx, ast.Load) and any(isinstance(e, ast.Starred) for e in node.elts):
            return self.helper("__cb_sized", node, [node])
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.expr:
        self.generic_visit(node)
        return self.helper("__cb_text", node, [node])

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.FormattedValue:
        node.value = self.visit(node.value)
        return node

    def visit_For(self, node: ast.For) -> ast.For:
        self.generic_visit(node)
        node.body.insert(0, ast.copy_location(ast.Expr(value=self.tick(node)), node))
        return node

    def visit_While(self, node: ast.While) -> ast.While:
        self.generic_visit(node)
        node.body.insert(0, ast.copy_location(ast.Expr(value=self.tick(node)), node))
        return node

    def visit_comprehension(self, node: ast.comprehension) -> ast.comprehension:
        self.generic_visit(node)
        node.ifs.insert(0, self.tick(node.iter))
        return node


@dataclass(frozen=True, slots=True)
class _Compiled:
    code: CodeType | None
    problems: tuple[str, ...]
    filename: str
    helpers: tuple[str, ...] = ()
    loops: bool = False
    refused: bool = True

    def checked(self) -> CodeType:
        """The code, or the error saying why it cannot run."""
        if self.code is None:
            more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
            error = SandboxViolation if self.refused else ScriptFailed
            raise error(self.problems[0] + more, extra={"problems": list(self.problems)})
        return self.code


@functools.lru_cache(maxsize=4096)
def _compile(source: str, mode: Mode) -> _Compiled:
    filename = _FILENAMES[mode]
    try:
        tree = ast.parse(source, filename, mode)
    except SyntaxError as err:
        problem = f"line {err.lineno or 1}: syntax error: {err.msg}"
        return _Compiled(None, (problem,), filename, refused=False)
    except (RecursionError, MemoryError, ValueError) as err:
        return _Compiled(None, (f"line 1: code cannot be parsed: {err}",), filename, refused=False)
    checker = _Checker()
    try:
        checker.visit(tree)
    except RecursionError:
        return _Compiled(None, ("line 1: code is nested too deeply",), filename)
    if checker.problems:
        return _Compiled(None, tuple(checker.problems), filename)
    rewriter = _Rewriter()
    try:
        tree = ast.fix_missing_locations(rewriter.visit(tree))
        code = compile(tree, filename, mode, dont_inherit=True)
    except (RecursionError, MemoryError, SyntaxError, ValueError) as err:
        return _Compiled(None, (f"line 1: code cannot be compiled: {err}",), filename)
    helpers = tuple(sorted(rewriter.helpers))
    return _Compiled(code, (), filename, helpers, rewriter.loops)


def check_code(source: str, mode: Mode) -> list[str]:
    """Problems that stop ``source`` from running in the sandbox, each naming its line."""
    return list(_compile(source, mode).problems)


# --------------------------------------------------------------------------- run-time helpers

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


_MAX_DATE_FORMAT = 200
_DATE_FORMAT_WIDTH = re.compile(r"%[-_0^#]*[1-9]")


def _check_date_format(pattern: str) -> None:
    if len(pattern) > _MAX_DATE_FORMAT:
        raise LimitExceeded(f"date format longer than {_MAX_DATE_FORMAT} characters")
    if _DATE_FORMAT_WIDTH.search(pattern.replace("%%", "")):
        raise LimitExceeded("date formats cannot set a field width")


def call_method(obj: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    """``obj.name(*args, **kwargs)``; oversized ``join``/``replace``/``extend`` results refused."""
    if isinstance(obj, type):
        raise LimitExceeded(f"'.{name}' must be called on a value, not on a type")
    if isinstance(obj, str):
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
        _check_date_format(args[0])
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
    return round(number, ndigits)


_IMPORTABLE = frozenset({"time"})


def _import(name: str, *args: Any, **kwargs: Any) -> Any:
    """Lets C code (``datetime.__format__`` imports ``time``) import what it needs."""
    if name not in _IMPORTABLE:
        raise LimitExceeded(f"import of {name!r} is not allowed")
    return __import__(name, *args, **kwargs)


OPERATORS: dict[str, Any] = {"+": _add, "*": _mul, "**": _pow, "<<": _lshift, "%": _mod}
"""Binary operators that can build oversized values, as limit-checking functions."""

_BUILTINS: dict[str, Any] = {
    "len": len, "str": str, "int": int, "float": float, "bool": bool, "list": list,
    "dict": dict, "set": set, "tuple": tuple, "min": min, "max": max, "sum": _sum,
    "sorted": sorted, "reversed": reversed, "round": _round, "abs": abs, "any": any,
    "all": all, "enumerate": enumerate, "zip": zip, "range": _range, "chr": chr, "ord": ord,
    "datetime": datetime, "date": date, "timedelta": timedelta, "timezone": timezone,
    "__cb_add": _add, "__cb_iadd": _iadd, "__cb_mul": _mul, "__cb_imul": _imul,
    "__cb_pow": _pow, "__cb_lshift": _lshift, "__cb_mod": _mod, "__cb_text": _text,
    "__cb_sized": _sized, "__cb_call": call_method, "__import__": _import,
}  # fmt: skip
assert set(_BUILTINS) >= CALLABLE_NAMES


class LoopBudget:
    """Deadline and iteration cap of one run, checked by the tick in every loop."""

    __slots__ = ("count", "deadline", "deadline_s", "max_iterations")

    def __init__(self, deadline_s: float, max_iterations: int) -> None:
        self.count = 0
        self.deadline_s = deadline_s
        self.max_iterations = max_iterations
        self.deadline = time.monotonic() + deadline_s

    def tick(self) -> bool:
        self.count += 1
        if self.count & 63 == 0:
            if self.count > self.max_iterations:
                raise LimitExceeded(f"more than {self.max_iterations} loop iterations")
            if time.monotonic() > self.deadline:
                raise LimitExceeded(f"ran longer than {self.deadline_s:g} s")
        return True


# --------------------------------------------------------------------------- task data

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


def _check_task_data(context: dict[str, Any]) -> None:
    memo: dict[int, int] = {}
    total = 0
    for name, value in context.items():
        if type(value) in _SCALARS:
            total += 1
            continue
        total += _measure(value, name, 0, memo, set())
        if total > MAX_DATA_VALUES:
            raise SandboxViolation(f"task data would hold more than {MAX_DATA_VALUES} values")


# --------------------------------------------------------------------------- environment


def _error_line(err: BaseException, filename: str) -> int:
    line = 0
    for frame, lineno in traceback.walk_tb(err.__traceback__):
        if frame.f_code.co_filename == filename:
            line = lineno
    return line


def _failure(err: Exception, compiled: _Compiled) -> ScriptFailed:
    line = _error_line(err, compiled.filename)
    where = f"line {line}: " if line else ""
    if isinstance(err, LimitExceeded):
        return SandboxViolation(f"{where}{err}", extra={"line": line})
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

    def _builtins(self, compiled: _Compiled) -> dict[str, Any]:
        if not compiled.loops:
            return _BUILTINS
        scope = dict(_BUILTINS)
        scope["__cb_tick"] = LoopBudget(self.deadline_s, self.max_iterations).tick
        return scope

    @staticmethod
    def _refuse_reserved(compiled: _Compiled, data: dict[str, Any]) -> None:
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
        compiled = _compile(expression, "eval")
        code = compiled.checked()
        scope = dict(external_context) if external_context else {}
        scope.update(context)
        self._refuse_reserved(compiled, scope)
        scope["__builtins__"] = self._builtins(compiled)
        try:
            return eval(code, scope)
        except Exception as err:
            raise _failure(err, compiled) from err

    def execute(
        self,
        script: str,
        context: dict[str, Any],
        external_context: dict[str, Any] | None = None,
    ) -> bool:
        """Run ``script`` with ``context`` (the task data) as its variables, in place."""
        compiled = _compile(script, "exec")
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
        try:
            exec(code, context)
        except Exception as err:
            raise _failure(err, compiled) from err
        finally:
            for key in list(context):
                if (
                    key == "__builtins__"
                    or key in external
                    or key.startswith("__cb_")
                    or callable(context[key])
                ):
                    del context[key]
        _check_task_data(context)
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        if self.service_caller is None:
            raise NotImplementedError("no service caller is configured for service tasks")
        return self.service_caller(context, **kwargs)


def _source_line(source: str, line: int | None) -> str:
    lines = source.splitlines()
    return lines[line - 1] if line and 0 < line <= len(lines) else ""


class SandboxedScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    """PythonScriptEngine whose task exceptions keep the original error as ``__cause__``."""

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except SpiffWorkflowException as err:
            err.add_note(f"Error evaluating expression '{expression}'")
            raise
        except Exception as err:
            raise WorkflowTaskException(
                f"Error evaluating expression '{expression}': {err}", task=task, exception=err
            ) from err

    def execute(self, task: Any, script: str, external_context: Any = None) -> Any:
        try:
            return self.environment.execute(script, task.data, external_context or {})
        except SpiffWorkflowException:
            raise
        except Exception as err:
            line = err.extra.get("line") if isinstance(err, CuebookError) else None
            raise WorkflowTaskException(
                str(err),
                task=task,
                exception=err,
                line_number=line or None,
                error_line=_source_line(script, line),
            ) from err

    def call_service(self, task: Any, **kwargs: Any) -> Any:
        try:
            return self.environment.call_service(task.data, task=task, **kwargs)
        except SpiffWorkflowException:
            raise
        except Exception as err:
            raise WorkflowTaskException(str(err), task=task, exception=err) from err


def make_script_engine(
    service_caller: ServiceCaller | None = None, *, deadline_s: float = 1.0
) -> PythonScriptEngine:
    """A SpiffWorkflow script engine that runs every script and expression sandboxed."""
    return SandboxedScriptEngine(
        environment=SandboxedEnvironment(service_caller=service_caller, deadline_s=deadline_s)
    )


def script_error(exc: BaseException) -> ScriptFailed | None:
    """The sandbox error behind a SpiffWorkflow exception, if there is one."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ScriptFailed):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


__all__ = [
    "CALLABLE_NAMES",
    "DATA_ATTRIBUTES",
    "GUARDED_METHODS",
    "MAX_LENGTH",
    "MAX_ROUND_DIGITS",
    "METHODS",
    "OPERATORS",
    "LimitExceeded",
    "LoopBudget",
    "SandboxedEnvironment",
    "SandboxedScriptEngine",
    "ServiceCaller",
    "call_method",
    "check_code",
    "make_script_engine",
    "script_error",
]
