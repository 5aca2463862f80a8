"""Path expressions that pick values out of a JSON response.

``$`` is the whole body; ``data.items[0].status``, ``$.data.items[-1]`` and
``data["key.with.dots"]`` walk objects by key and arrays by index.
"""

from __future__ import annotations

import re
from typing import Any

Step = str | int

MISSING: Any = object()
_TOKEN = re.compile(
    r"""
      \.?(?P<name>[^.\[\]"']+)
    | \[(?P<index>-?\d+)\]
    | \[(?P<quote>["'])(?P<key>.*?)(?P=quote)\]
    """,
    re.VERBOSE,
)


class PathInvalid(ValueError):
    """A path expression cannot be parsed."""


def compile_path(expression: str) -> tuple[Step, ...]:
    """Parse ``expression`` into steps; raises ``PathInvalid`` naming the bad position."""
    text = expression.strip()
    if text == "$":
        return ()
    if text.startswith("$"):
        text = text[1:]
        if not text.startswith((".", "[")):
            raise PathInvalid("'$' must be followed by '.' or '['")
    elif text.startswith("."):
        raise PathInvalid("a path cannot start with '.'")
    if not text:
        raise PathInvalid("empty path")
    steps: list[Step] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise PathInvalid(f"unexpected {text[pos:]!r} at position {pos}")
        if match.group("name") is not None:
            if pos > 0 and not text.startswith(".", pos):
                raise PathInvalid(f"expected '.' or '[' at position {pos}")
            steps.append(match.group("name"))
        elif match.group("index") is not None:
            steps.append(int(match.group("index")))
        else:
            steps.append(match.group("key"))
        pos = match.end()
    return tuple(steps)


def extract(document: Any, steps: tuple[Step, ...]) -> Any:
    """The value at ``steps`` in ``document``, or ``MISSING`` when any step does not exist."""
    current = document
    for step in steps:
        if isinstance(step, int):
            if not isinstance(current, list) or not -len(current) <= step < len(current):
                return MISSING
            current = current[step]
        else:
            if not isinstance(current, dict) or step not in current:
                return MISSING
            current = current[step]
    return current
