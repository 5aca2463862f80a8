"""What methodologists' code may use: names, methods, attributes and syntax nodes."""

from __future__ import annotations

import ast

CALLABLE_NAMES = frozenset(
    {
        "len", "str", "int", "float", "bool", "list", "dict", "set", "tuple",
        "min", "max", "sum", "sorted", "reversed", "round", "abs", "any", "all",
        "enumerate", "zip", "range", "chr", "ord", "map", "filter", "isinstance", "format",
        "datetime", "date", "timedelta", "timezone",
    }
)  # fmt: skip
"""Built-in functions and classes; they cannot be assigned (functions a script defines and
the modules below may be called too)."""

MODULE_NAMES = frozenset(
    {"datetime", "time", "calendar", "decimal", "json", "re", "random", "uuid"}
)
"""Names of the safe module stand-ins (``modules.py``); ``import`` binds them, nothing else."""

EXCEPTION_NAMES = frozenset(
    {
        "Exception", "ValueError", "TypeError", "KeyError", "IndexError", "LookupError",
        "ZeroDivisionError", "ArithmeticError", "AttributeError", "NameError",
        "OverflowError", "RuntimeError", "AssertionError", "UnicodeError",
    }
)  # fmt: skip
"""Exception classes a script may raise and catch (never the sandbox's own limits)."""

DENIED_NAMES = frozenset(
    {
        "exec", "eval", "open", "compile", "getattr", "setattr", "delattr", "hasattr",
        "globals", "locals", "vars", "dir", "breakpoint", "input", "help",
        "print", "object", "super", "memoryview", "bytearray", "bytes",
        "classmethod", "staticmethod", "property", "iter", "next", "pow", "id", "hash",
        "exit", "quit", "callable", "issubclass", "BaseException", "SystemExit",
        "KeyboardInterrupt", "GeneratorExit", "RecursionError", "MemoryError",
    }
)  # fmt: skip
"""Names refused everywhere. ``type`` is not among them: it may name a variable, but it is
no built-in, so calling it is refused (``isinstance`` instead)."""

DENIED_CALLS = frozenset({"type"})
"""Names that may be read and assigned as data but never called."""

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
"""Attribute names that may be called as methods of values (and only called)."""

MODULE_METHODS = frozenset(
    {
        # str
        "format", "format_map",
        # datetime, date
        "strptime", "fromtimestamp", "combine", "utcnow", "toordinal", "isocalendar",
        # time, calendar
        "time", "monotonic", "gmtime", "localtime", "mktime", "monthrange", "isleap",
        "leapdays", "timegm",
        # decimal
        "Decimal", "quantize", "normalize",
        # json
        "loads", "dumps",
        # re
        "compile", "match", "search", "fullmatch", "findall", "sub", "escape", "group",
        "groups", "groupdict", "start", "end", "span",
        # random
        "random", "randint", "randrange", "uniform", "choice", "choices", "sample", "shuffle",
        # uuid
        "uuid4", "uuid5", "UUID",
    }
)  # fmt: skip
"""Methods of scripts' modules and of what they return; scripts only (templates do not see
these modules)."""

DATA_ATTRIBUTES = frozenset(
    {
        "year", "month", "day", "hour", "minute", "second", "microsecond",
        "days", "seconds", "microseconds", "utc",
    }
)  # fmt: skip
"""Attribute names that may be read as values."""

SCRIPT_DATA_ATTRIBUTES = DATA_ATTRIBUTES | frozenset({"tzinfo", "hex", "args", "pattern"})
"""Attribute names scripts may read from values that are not dicts (reading ``d.key`` from
a dict reads its item, whatever the name, as SpiffWorkflow's task data boxes do)."""

REFLECTIVE_ATTRIBUTES = frozenset(
    {
        "gi_frame", "gi_code", "gi_yieldfrom", "gi_running", "gi_suspended",
        "cr_frame", "cr_code", "cr_await", "ag_frame", "ag_code", "ag_await",
        "f_globals", "f_locals", "f_builtins", "f_back", "f_code", "f_trace",
        "tb_frame", "tb_next", "co_code", "co_consts", "co_names", "mro", "with_traceback",
    }
)  # fmt: skip
"""Attributes of interpreter objects, refused by name even where a dict key could have it."""

GUARDED_METHODS = frozenset({"join", "replace", "extend", "strftime"})
"""Methods whose results can outgrow their inputs; called through ``call_method``."""

SCRIPT_GUARDED_METHODS = GUARDED_METHODS | frozenset({"format", "format_map", "sub"})
"""The same for scripts, which also format text and substitute with regular expressions."""

ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Module, ast.Expression, ast.Expr,
    ast.Assign, ast.AugAssign, ast.Delete, ast.If, ast.For, ast.While,
    ast.Break, ast.Continue, ast.Pass, ast.Assert,
    ast.Try, ast.ExceptHandler, ast.Raise, ast.FunctionDef, ast.Lambda, ast.Return,
    ast.arguments, ast.arg, ast.Import, ast.ImportFrom, ast.alias,
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

REFUSED_NODES: dict[type[ast.AST], str] = {
    ast.AsyncFunctionDef: "async def",
    ast.ClassDef: "class",
    ast.Global: "global",
    ast.Nonlocal: "nonlocal",
    ast.With: "with",
    ast.AsyncWith: "async with",
    ast.AsyncFor: "async for",
    ast.TryStar: "try/except*",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Await: "await",
    ast.NamedExpr: "assignment expression (:=)",
    ast.Match: "match",
    ast.AnnAssign: "annotated assignment",
    ast.MatMult: "matrix multiplication (@)",
}
