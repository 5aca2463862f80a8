"""The AST allow-list check: every refusal, each naming its line and what to use instead,
before anything runs."""

from __future__ import annotations

import ast
import re
import string

from engine.bpmn.sandbox.allowlist import (
    ALLOWED_NODES,
    CALLABLE_NAMES,
    DENIED_CALLS,
    DENIED_NAMES,
    EXCEPTION_NAMES,
    METHODS,
    MODULE_METHODS,
    MODULE_NAMES,
    REFLECTIVE_ATTRIBUTES,
    REFUSED_NODES,
)
from engine.bpmn.sandbox.formatting import FIELD
from engine.bpmn.sandbox.limits import MAX_SPEC_DIGITS, MAX_SPEC_LENGTH
from engine.bpmn.sandbox.modules import MODULES, members

CALLABLE_METHODS = (
    METHODS
    | MODULE_METHODS
    | {name for module in MODULES.values() for name, v in members(module).items() if callable(v)}
)
"""Attribute names that may be called: methods of values, and the modules' functions and
classes (``datetime.timedelta(days=1)``, ``decimal.Decimal('1.5')``)."""

HINTS: dict[str, str] = {
    "class": "use a dict",
    "global": "return the value from the function",
    "nonlocal": "return the value from the function",
    "with": "call the function directly",
    "yield": "build and return a list",
    "assignment expression (:=)": "assign on a line of its own",
    "match": "use if/elif",
    "annotated assignment": "drop the annotation",
    "try/except*": "use try/except",
    "async def": "use def",
}
"""What to write instead of a refused construct."""

_NAME_HINTS: dict[str, str] = {
    "getattr": "read d.get('key') or d['key']",
    "setattr": "write d['key'] = value",
    "delattr": "write del d['key']",
    "hasattr": "test 'key' in d",
    "print": "assign the value to a variable",
    "iter": "loop with for",
    "next": "loop with for",
    "pow": "use **",
    "type": "use isinstance(x, str)",
    "issubclass": "use isinstance(x, str)",
    "callable": "test the value itself",
    "eval": "write the code itself",
    "exec": "write the code itself",
    "compile": "write the code itself, or re.compile(...) for a pattern",
    "open": "scripts have no files: call an integration function from a service task",
    "globals": "name the variable",
    "locals": "name the variable",
    "vars": "name the variable",
    "dir": "list a dict's keys with list(d)",
    "bytes": "use text",
    "bytearray": "use text",
    "exit": "raise ValueError('...') to stop with an error",
    "quit": "raise ValueError('...') to stop with an error",
    "BaseException": "catch Exception",
}


def _hint(name: str) -> str:
    hint = _NAME_HINTS.get(name)
    return f" ({hint})" if hint else ""


def _escapes_finally(body: list[ast.stmt]) -> ast.stmt | None:
    """A ``return``, ``break`` or ``continue`` that would leave a ``finally`` block (and so
    swallow the exception in flight), if any."""
    found = [child for node in body for child in _walk_statement(node, in_loop=False)]
    return found[0] if found else None


def _traversing_field(template: str) -> str | None:
    """The first field of a format template that reads an attribute or item, if any."""
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(template)]
    except ValueError:
        return None  # the call raises the same error at run time
    return next((f for f in fields if f is not None and not FIELD.fullmatch(f)), None)


def _walk_statement(node: ast.AST, in_loop: bool) -> list[ast.stmt]:
    if isinstance(node, ast.Return) or (isinstance(node, ast.Break | ast.Continue) and not in_loop):
        return [node]
    if isinstance(node, ast.FunctionDef | ast.Lambda):
        return []
    loop = in_loop or isinstance(node, ast.For | ast.While)
    found: list[ast.stmt] = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.stmt | ast.excepthandler):
            found.extend(_walk_statement(child, loop))
    return found


class AllowListChecker(ast.NodeVisitor):
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.functions = 0

    def refuse(self, node: ast.AST, message: str) -> None:
        self.problems.append(f"line {getattr(node, 'lineno', 1)}: {message}")

    def generic_visit(self, node: ast.AST) -> None:
        refused = REFUSED_NODES.get(type(node))
        if refused is not None:
            hint = HINTS.get(refused)
            self.refuse(node, f"{refused} is not allowed" + (f" ({hint})" if hint else ""))
            return
        if not isinstance(node, ALLOWED_NODES):
            self.refuse(node, f"{type(node).__name__} is not allowed")
            return
        super().generic_visit(node)

    def check_binding(self, node: ast.AST, name: str, what: str) -> None:
        if name.startswith("_"):
            self.refuse(node, f"{what} '{name}' is not allowed (names cannot start with '_')")
        elif name in DENIED_NAMES:
            self.refuse(node, f"'{name}' is not allowed{_hint(name)}")
        elif name in CALLABLE_NAMES or name in EXCEPTION_NAMES:
            self.refuse(node, f"'{name}' is a built-in name and cannot be assigned or deleted")

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load) or node.id in MODULE_NAMES - CALLABLE_NAMES:
            if node.id.startswith("_"):
                self.refuse(node, f"name '{node.id}' is not allowed (names cannot start with '_')")
            elif node.id in DENIED_NAMES:
                self.refuse(node, f"'{node.id}' is not allowed{_hint(node.id)}")
        else:
            self.check_binding(node, node.id, "name")

    def visit_Attribute(self, node: ast.Attribute, called: bool = False) -> None:
        name = node.attr
        if name.startswith("_") or name in REFLECTIVE_ATTRIBUTES:
            self.refuse(node, f"access to '{name}' is not allowed")
        elif not isinstance(node.ctx, ast.Load):
            self.refuse(
                node,
                f"assigning or deleting attribute '.{name}' is not allowed "
                f"(for a dict write d['{name}'] = value)",
            )
        elif called and name not in CALLABLE_METHODS:
            module = node.value.id if isinstance(node.value, ast.Name) else ""
            if module in MODULES:
                offered = ", ".join(k for k, v in members(MODULES[module]).items() if callable(v))
                hint = f"{module} offers {offered}"
            else:
                hint = "docs/bundles.md, 'Scripts and conditions', lists what can be called"
            self.refuse(node, f"method '.{name}' is not allowed ({hint})")
        self.visit(node.value)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            self.visit_Attribute(func, called=True)
            template = func.value
            if func.attr in ("format", "format_map") and isinstance(template, ast.Constant):
                field = _traversing_field(str(template.value))
                if field is not None:
                    self.refuse(
                        node,
                        f"format field '{{{field}}}' reads an attribute or item: only "
                        "'{0}' or '{name}' are allowed (put the value in a variable first)",
                    )
        elif isinstance(func, ast.Name):
            if func.id in DENIED_CALLS:
                self.refuse(node, f"calling '{func.id}' is not allowed{_hint(func.id)}")
            else:
                self.visit_Name(func)
            spec = node.args[1] if func.id == "format" and len(node.args) == 2 else None
            if isinstance(spec, ast.Constant) and isinstance(spec.value, str):
                self.check_spec(node, spec.value)
        else:
            self.refuse(node, "only functions and methods can be called by name")
            self.visit(func)
        for arg in node.args:
            self.visit(arg)
        for kw in node.keywords:
            self.visit(kw.value)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.check_binding(node, node.name, "function name")
        if node.decorator_list:
            self.refuse(node, "decorators are not allowed")
        self.functions += 1
        self.generic_visit(node)
        self.functions -= 1

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.functions += 1
        self.generic_visit(node)
        self.functions -= 1

    def visit_arg(self, node: ast.arg) -> None:
        self.check_binding(node, node.arg, "parameter")
        self.generic_visit(node)

    def visit_Return(self, node: ast.Return) -> None:
        if not self.functions:
            self.refuse(node, "return is only allowed inside def")
        self.generic_visit(node)

    def visit_Try(self, node: ast.Try) -> None:
        escape = _escapes_finally(node.finalbody)
        if escape is not None:
            word = type(escape).__name__.lower()
            self.refuse(escape, f"{word} inside finally is not allowed (move it after the try)")
        self.generic_visit(node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name is not None:
            self.check_binding(node, node.name, "name")
        kinds = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
        for kind in kinds:
            if kind is None or (isinstance(kind, ast.Name) and kind.id in EXCEPTION_NAMES):
                continue
            module = kind.value if isinstance(kind, ast.Attribute) else None
            if isinstance(module, ast.Name) and module.id in MODULE_NAMES:
                continue
            allowed = ", ".join(sorted(EXCEPTION_NAMES))
            self.refuse(node, f"except can only name these exceptions: {allowed}")
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.check_module(node, alias.name)
            self.check_import_name(node, alias.asname or alias.name, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = "." * node.level + (node.module or "")
        if not self.check_module(node, module):
            return
        for alias in node.names:
            if alias.name not in members(MODULES[module]):
                self.refuse(node, f"'{module}' has no '{alias.name}' in the sandbox")
            self.check_import_name(node, alias.asname or alias.name, alias.name)

    def check_module(self, node: ast.AST, module: str) -> bool:
        if module in MODULE_NAMES:
            return True
        known = ", ".join(sorted(MODULE_NAMES))
        self.refuse(node, f"import of '{module}' is not allowed (available: {known})")
        return False

    def check_import_name(self, node: ast.AST, name: str, original: str) -> None:
        if name.startswith("_") or name == "*":
            self.refuse(node, f"import as '{name}' is not allowed")
        elif (
            name in DENIED_NAMES
            or name in EXCEPTION_NAMES
            or (name in CALLABLE_NAMES and name != original)
        ):
            self.refuse(node, f"'{name}' is a built-in name and cannot be assigned or deleted")

    def visit_comprehension(self, node: ast.comprehension) -> None:
        if node.is_async:
            self.refuse(node.target, "async comprehensions are not allowed")
            return
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, bytes):
            self.refuse(node, "bytes literals are not allowed (use text)")

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
        self.check_spec(node, text)

    def check_spec(self, node: ast.AST, text: str) -> None:
        if len(text) > MAX_SPEC_LENGTH:
            self.refuse(node, f"format specification longer than {MAX_SPEC_LENGTH} characters")
        if re.search(rf"\d{{{MAX_SPEC_DIGITS + 1},}}", text):
            self.refuse(node, f"format width or precision above {10**MAX_SPEC_DIGITS - 1}")
