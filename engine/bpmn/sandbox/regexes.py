"""The ``re`` scripts see: the ``regex`` module (re's syntax) with every search bounded in
time.

Python's ``re`` cannot be interrupted: one search with a pattern that backtracks badly
(``\\s+$`` on a long run of spaces, ``(a|a)*b``) holds the thread for minutes, past any
deadline the loop ticks enforce. ``regex`` takes a ``timeout``; each search here gets the
time left of the run (``RUN_DEADLINE``, set by the environment for code that names ``re``),
so a slow pattern ends the run like any other limit. Patterns are bounded in length, only
the usual flags are accepted, and ``sub`` results are bounded in size.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import regex as _regex

from engine.bpmn.sandbox.limits import (
    MAX_LENGTH,
    MAX_REGEX_PATTERN,
    MAX_REGEX_TEXT,
    LimitExceeded,
)

RUN_DEADLINE: ContextVar[float | None] = ContextVar("cuebook_run_deadline", default=None)
"""``time.monotonic()`` by which the current run must end; ``None`` outside a run."""

DEFAULT_TIMEOUT_S = 1.0
"""Time one search may take when no run deadline is set."""

_FLAGS = int(_regex.I | _regex.M | _regex.S | _regex.X | _regex.A | _regex.U)


def _timeout() -> float:
    deadline = RUN_DEADLINE.get()
    if deadline is None:
        return DEFAULT_TIMEOUT_S
    return max(deadline - time.monotonic(), 0.001)


def _bounded(run: Callable[[float], Any]) -> Any:
    try:
        return run(_timeout())
    except TimeoutError:
        raise LimitExceeded("a regular expression ran past the deadline") from None


class Pattern:
    """A compiled regular expression; its searches are bounded like the module's."""

    __slots__ = ("_compiled",)

    def __init__(self, compiled: Any) -> None:
        self._compiled = compiled

    @property
    def pattern(self) -> str:
        return str(self._compiled.pattern)

    def match(self, text: str, pos: int = 0) -> Any:
        return _bounded(lambda t: self._compiled.match(_searched(text), pos, timeout=t))

    def search(self, text: str, pos: int = 0) -> Any:
        return _bounded(lambda t: self._compiled.search(_searched(text), pos, timeout=t))

    def fullmatch(self, text: str, pos: int = 0) -> Any:
        return _bounded(lambda t: self._compiled.fullmatch(_searched(text), pos, timeout=t))

    def findall(self, text: str) -> Any:
        return _bounded(lambda t: self._compiled.findall(_searched(text), timeout=t))

    def split(self, text: str, maxsplit: int = 0) -> Any:
        return _bounded(lambda t: self._compiled.split(_searched(text), maxsplit, timeout=t))

    def sub(self, repl: Any, text: str, count: int = 0) -> str:
        _searched(text)
        repl = _bounded_repl(repl, text, count)
        return str(_bounded(lambda t: self._compiled.sub(repl, text, count, timeout=t)))

    def __repr__(self) -> str:
        return f"re.compile({self.pattern!r})"


def compile_pattern(pattern: Any, flags: int = 0) -> Pattern:
    """``pattern`` compiled, once it is known to be short and its flags the usual ones."""
    if isinstance(pattern, Pattern):
        return pattern
    if not isinstance(flags, int) or flags & ~_FLAGS:
        raise LimitExceeded("regular expression flags can only be I, M, S, X, A and U")
    if not isinstance(pattern, str):
        raise TypeError("a regular expression must be text")
    if len(pattern) > MAX_REGEX_PATTERN:
        raise LimitExceeded(f"regular expression longer than {MAX_REGEX_PATTERN} characters")
    return Pattern(_regex.compile(pattern, flags))


def _searched(text: Any) -> str:
    if not isinstance(text, str):
        raise TypeError("regular expressions search text")
    if len(text) > MAX_REGEX_TEXT:
        raise LimitExceeded(f"regular expressions search at most {MAX_REGEX_TEXT} characters")
    return text


def _bounded_repl(repl: Any, text: str, count: int) -> Any:
    """``repl`` for ``sub``, refused when the result could exceed ``MAX_LENGTH``.

    Matches do not overlap, so a group reference in ``repl`` adds at most ``len(text)`` in
    all; a function as ``repl`` is counted as it returns."""
    hits = len(text) + 1 if count <= 0 else min(count, len(text) + 1)
    if isinstance(repl, str):
        size = len(text) + hits * len(repl) + repl.count("\\") * len(text)
        if size > MAX_LENGTH:
            raise LimitExceeded(f"result of re.sub() could hold {size} characters")
        return repl
    written = [len(text)]

    def counted(match: Any) -> Any:
        piece = repl(match)
        written[0] += len(piece) if isinstance(piece, str) else 0
        if written[0] > MAX_LENGTH:
            raise LimitExceeded(f"result of re.sub() would exceed {MAX_LENGTH} characters")
        return piece

    return counted


def _match(pattern: Any, text: str, flags: int = 0) -> Any:
    return compile_pattern(pattern, flags).match(text)


def _search(pattern: Any, text: str, flags: int = 0) -> Any:
    return compile_pattern(pattern, flags).search(text)


def _fullmatch(pattern: Any, text: str, flags: int = 0) -> Any:
    return compile_pattern(pattern, flags).fullmatch(text)


def _findall(pattern: Any, text: str, flags: int = 0) -> Any:
    return compile_pattern(pattern, flags).findall(text)


def _split(pattern: Any, text: str, maxsplit: int = 0, flags: int = 0) -> Any:
    return compile_pattern(pattern, flags).split(text, maxsplit)


def _sub(pattern: Any, repl: Any, text: str, count: int = 0, flags: int = 0) -> str:
    return compile_pattern(pattern, flags).sub(repl, text, count)


RE_MEMBERS: dict[str, Any] = {
    "match": _match,
    "search": _search,
    "fullmatch": _fullmatch,
    "findall": _findall,
    "split": _split,
    "sub": _sub,
    "compile": compile_pattern,
    "escape": _regex.escape,
    "error": _regex.error,
    **{flag: getattr(_regex, flag) for flag in ("I", "IGNORECASE", "M", "MULTILINE", "S")},
    **{flag: getattr(_regex, flag) for flag in ("DOTALL", "X", "VERBOSE", "A", "ASCII")},
}
"""The members of the ``re`` stand-in."""
