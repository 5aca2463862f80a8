"""The AST allow-list check: every refusal, each naming its line, before anything runs."""

from __future__ import annotations

import ast
import re

from engine.bpmn.sandbox.allowlist import (
    ALLOWED_NODES,
    CALLABLE_NAMES,
    DATA_ATTRIBUTES,
    DENIED_NAMES,
    METHODS,
    REFUSED_NODES,
)
from engine.bpmn.sandbox.limits import MAX_SPEC_DIGITS, MAX_SPEC_LENGTH


class AllowListChecker(ast.NodeVisitor):
    def __init__(self) -> None:
        self.problems: list[str] = []

    def refuse(self, node: ast.AST, message: str) -> None:
        self.problems.append(f"line {getattr(node, 'lineno', 1)}: {message}")

    def generic_visit(self, node: ast.AST) -> None:
        refused = REFUSED_NODES.get(type(node))
        if refused is not None:
            self.refuse(node, f"{refused} is not allowed")
            return
        if not isinstance(node, ALLOWED_NODES):
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
        if len(text) > MAX_SPEC_LENGTH:
            self.refuse(node, f"format specification longer than {MAX_SPEC_LENGTH} characters")
        if re.search(rf"\d{{{MAX_SPEC_DIGITS + 1},}}", text):
            self.refuse(node, f"format width or precision above {10**MAX_SPEC_DIGITS - 1}")
