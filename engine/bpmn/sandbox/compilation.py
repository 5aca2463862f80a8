"""Parse, check, rewrite and compile methodologists' code, cached by ``(source, mode)``."""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from types import CodeType
from typing import Literal

from engine.bpmn.sandbox.checker import AllowListChecker
from engine.bpmn.sandbox.instrumentation import Instrumenter
from engine.errors import SandboxViolation, ScriptFailed

Mode = Literal["exec", "eval"]

_FILENAMES: dict[str, str] = {"exec": "<script>", "eval": "<expression>"}


@dataclass(frozen=True, slots=True)
class CompiledCode:
    code: CodeType | None
    problems: tuple[str, ...]
    filename: str
    helpers: tuple[str, ...] = ()
    loops: bool = False
    refused: bool = True
    regex: bool = False

    def checked(self) -> CodeType:
        """The code, or the error saying why it cannot run."""
        if self.code is None:
            more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
            error = SandboxViolation if self.refused else ScriptFailed
            raise error(self.problems[0] + more, extra={"problems": list(self.problems)})
        return self.code


@functools.lru_cache(maxsize=4096)
def compile_checked(source: str, mode: Mode) -> CompiledCode:
    filename = _FILENAMES[mode]
    try:
        tree = ast.parse(source, filename, mode)
    except SyntaxError as err:
        problem = f"line {err.lineno or 1}: syntax error: {err.msg}"
        return CompiledCode(None, (problem,), filename, refused=False)
    except (RecursionError, MemoryError, ValueError) as err:
        return CompiledCode(
            None, (f"line 1: code cannot be parsed: {err}",), filename, refused=False
        )
    checker = AllowListChecker()
    try:
        checker.visit(tree)
    except RecursionError:
        return CompiledCode(None, ("line 1: code is nested too deeply",), filename)
    if checker.problems:
        return CompiledCode(None, tuple(checker.problems), filename)
    rewriter = Instrumenter()
    try:
        tree = ast.fix_missing_locations(rewriter.visit(tree))
        code = compile(tree, filename, mode, dont_inherit=True)
    except (RecursionError, MemoryError, SyntaxError, ValueError) as err:
        return CompiledCode(None, (f"line 1: code cannot be compiled: {err}",), filename)
    helpers = tuple(sorted(rewriter.helpers))
    return CompiledCode(code, (), filename, helpers, rewriter.loops, regex=rewriter.regex)


def check_code(source: str, mode: Mode) -> list[str]:
    """Problems that stop ``source`` from running in the sandbox, each naming its line."""
    return list(compile_checked(source, mode).problems)
