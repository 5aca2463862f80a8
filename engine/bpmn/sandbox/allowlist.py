"""What methodologists' code may use: names, methods, attributes and syntax nodes."""

from __future__ import annotations

import ast

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

ALLOWED_NODES: tuple[type[ast.AST], ...] = (
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

REFUSED_NODES: dict[type[ast.AST], str] = {
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
