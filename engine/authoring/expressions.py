"""A condition or script checked as the sandbox will check it, before it is saved.

The sandbox (``engine/bpmn/sandbox``) refuses code naming the line; the editor also wants
the column (to put the caret there) and the variables the code reads, so that the panel
can say which of them nothing upstream sets. The refusals are the sandbox's own: this
module runs the same allow-list checker and compiler, it does not keep a second list.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Literal

from engine.bpmn.sandbox.allowlist import CALLABLE_NAMES, EXCEPTION_NAMES, MODULE_NAMES
from engine.bpmn.sandbox.checker import AllowListChecker
from engine.bpmn.sandbox.compilation import Mode as SandboxMode
from engine.bpmn.sandbox.compilation import check_code

Mode = Literal["expression", "script"]
MAX_SOURCE = 20_000
_BUILTIN = CALLABLE_NAMES | MODULE_NAMES | EXCEPTION_NAMES
_LINE = re.compile(r"^line (\d+): (.*)$", re.DOTALL)


@dataclass(frozen=True)
class CodeProblem:
    line: int
    column: int | None  # 1-based; None when the sandbox names only the line
    message: str


@dataclass(frozen=True)
class CodeCheck:
    problems: tuple[CodeProblem, ...]
    reads: tuple[str, ...]  # session variables the code reads, in order of first use
    writes: tuple[str, ...]  # variables a script leaves in the session

    @property
    def ok(self) -> bool:
        return not self.problems


class _Locating(AllowListChecker):
    """The sandbox's checker, keeping the column of each refusal as well."""

    def __init__(self) -> None:
        super().__init__()
        self.located: list[CodeProblem] = []

    def refuse(self, node: ast.AST, message: str) -> None:
        super().refuse(node, message)
        column = getattr(node, "col_offset", None)
        line = getattr(node, "lineno", 1)
        self.located.append(CodeProblem(line, None if column is None else column + 1, message))


def check_source(source: str, mode: Mode) -> CodeCheck:
    """Problems that stop ``source`` from running in the sandbox, and what it reads/writes."""
    parse_mode: SandboxMode = "eval" if mode == "expression" else "exec"
    if mode == "expression" and not source.strip():
        return CodeCheck((CodeProblem(1, 1, "the condition is empty"),), (), ())
    try:
        tree = ast.parse(source, "<expression>" if mode == "expression" else "<script>", parse_mode)
    except SyntaxError as err:
        column = max(1, err.offset) if err.offset is not None else None
        problem = CodeProblem(err.lineno or 1, column, f"syntax error: {err.msg}")
        return CodeCheck((problem,), (), ())
    except (RecursionError, MemoryError, ValueError) as err:
        return CodeCheck((CodeProblem(1, None, f"code cannot be parsed: {err}"),), (), ())
    checker = _Locating()
    try:
        checker.visit(tree)
        problems = list(checker.located)
    except RecursionError:
        problems = [CodeProblem(1, None, "code is nested too deeply")]
    if not problems:  # the compile step (instrumentation) may refuse too
        problems = [_from_text(text) for text in check_code(source, parse_mode)]
    names = _Names()
    try:
        names.visit(tree)
    except RecursionError:
        pass
    return CodeCheck(tuple(problems), tuple(names.reads), tuple(names.writes))


def _from_text(text: str) -> CodeProblem:
    found = _LINE.match(text)
    if found is None:
        return CodeProblem(1, None, text)
    return CodeProblem(int(found.group(1)), None, found.group(2))


class _Names(ast.NodeVisitor):
    """Session variables read before the code sets them, and those it sets at its top
    level (a function's or comprehension's own names are neither)."""

    def __init__(self) -> None:
        self.reads: list[str] = []
        self.writes: list[str] = []
        self.scopes: list[set[str]] = []
        self.functions: set[str] = set()  # dropped when the script ends: not left behind

    def _read(self, name: str) -> None:
        if name in _BUILTIN or name in self.functions or any(name in s for s in self.scopes):
            return
        if name not in self.writes and name not in self.reads:
            self.reads.append(name)

    def _write(self, name: str) -> None:
        if self.scopes:
            self.scopes[-1].add(name)
        elif name not in self.writes:
            self.writes.append(name)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self._read(node.id)
        else:
            self._write(node.id)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)  # the right side is read before the targets are bound
        for target in node.targets:
            self.visit(target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            self._read(node.target.id)
            self._write(node.target.id)
        else:
            self.visit(node.target)

    def visit_For(self, node: ast.For) -> None:
        self.visit(node.iter)
        self.visit(node.target)
        for child in [*node.body, *node.orelse]:
            self.visit(child)

    def visit_Import(self, node: ast.Import) -> None:
        return  # modules are the sandbox's stand-ins, not session variables

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        return

    def _scoped(self, bound: set[str], children: list[ast.AST]) -> None:
        self.scopes.append(set(bound))
        for child in children:
            self.visit(child)
        self.scopes.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None:
                self.visit(default)
        if self.scopes:
            self.scopes[-1].add(node.name)
        else:
            self.functions.add(node.name)
        self._scoped(_arguments(node.args) | {node.name}, list(node.body))

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._scoped(_arguments(node.args), [node.body])

    def _comprehension(self, generators: list[ast.comprehension], *elts: ast.AST) -> None:
        self.visit(generators[0].iter)  # the first iterable is evaluated outside
        self.scopes.append(set())
        for index, gen in enumerate(generators):
            if index:
                self.visit(gen.iter)
            self.visit(gen.target)
            for condition in gen.ifs:
                self.visit(condition)
        for elt in elts:
            self.visit(elt)
        self.scopes.pop()

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self._comprehension(node.generators, node.elt)

    def visit_SetComp(self, node: ast.SetComp) -> None:
        self._comprehension(node.generators, node.elt)

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> None:
        self._comprehension(node.generators, node.elt)

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node.generators, node.key, node.value)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        self.scopes.append({node.name} if node.name else set())
        for child in node.body:
            self.visit(child)
        self.scopes.pop()


def _arguments(args: ast.arguments) -> set[str]:
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    every += [a for a in (args.vararg, args.kwarg) if a is not None]
    return {a.arg for a in every}
