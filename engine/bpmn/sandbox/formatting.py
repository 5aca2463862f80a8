"""Text formatting for scripts within the limits: ``str.format``, ``format_map``, ``format()``,
date formats, and the size of a value's text before it is built.

``str.format`` is Python's mini-language minus traversal: a field names an argument by
position or keyword and nothing more, so ``"{0.__class__}"`` or ``"{0[key]}"`` are refused
(read the value into a variable first). Widths and precisions are bounded as in f-strings,
and every field is measured before it is formatted.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from typing import Any

from engine.bpmn.sandbox.limits import (
    MAX_DATA_DEPTH,
    MAX_LENGTH,
    MAX_SPEC_DIGITS,
    MAX_SPEC_LENGTH,
    LimitExceeded,
)

_MAX_DATE_FORMAT = 200
_DATE_FORMAT_WIDTH = re.compile(r"%[-_0^#]*[1-9]")
_WIDE = re.compile(rf"\d{{{MAX_SPEC_DIGITS + 1},}}")
FIELD = re.compile(r"\d+|[^\W\d]\w*|")
"""A format field that names an argument and reads nothing from it."""


def check_date_format(pattern: str) -> None:
    if len(pattern) > _MAX_DATE_FORMAT:
        raise LimitExceeded(f"date format longer than {_MAX_DATE_FORMAT} characters")
    if _DATE_FORMAT_WIDTH.search(pattern.replace("%%", "")):
        raise LimitExceeded("date formats cannot set a field width")


def check_spec(spec: str) -> None:
    """The rule f-strings follow at check time, for specifications known only at run time."""
    if len(spec) > MAX_SPEC_LENGTH:
        raise LimitExceeded(f"format specification longer than {MAX_SPEC_LENGTH} characters")
    if _WIDE.search(spec):
        raise LimitExceeded(f"format width or precision above {10**MAX_SPEC_DIGITS - 1}")


def text_size(value: Any, indent: int, depth: int, budget: list[int]) -> None:
    """Take from ``budget`` what ``value`` needs as text; raise when it runs out."""
    if depth > MAX_DATA_DEPTH:
        raise LimitExceeded(f"value nested deeper than {MAX_DATA_DEPTH} levels")
    if isinstance(value, str):
        size = len(value) + 2
    elif isinstance(value, int):
        size = value.bit_length() // 3 + 2
    elif isinstance(value, dict | list | tuple | set | frozenset):
        size = 2 + indent * depth
        items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
        for key, item in items:
            budget[0] -= 2 + indent * (depth + 1)
            if key is not None:
                text_size(key, indent, depth + 1, budget)
            text_size(item, indent, depth + 1, budget)
    else:
        size = 32
    budget[0] -= size
    if budget[0] < 0:
        raise LimitExceeded(f"text of the value would exceed {MAX_LENGTH} characters")


def check_text_size(value: Any, indent: int = 0) -> None:
    """Refuse, before it is built, a value's text longer than ``MAX_LENGTH`` (shared parts
    count once per reference, so ``[s] * 1000`` counts ``s`` a thousand times)."""
    if isinstance(value, dict | list | tuple | set | frozenset):
        text_size(value, indent, 0, [MAX_LENGTH])


class _SafeFormatter(string.Formatter):
    """``string.Formatter`` without attribute or item traversal, counting what it writes."""

    def __init__(self, template: str) -> None:
        self.written = len(template)

    def get_field(self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        if not FIELD.fullmatch(field_name):
            raise LimitExceeded(
                f"format field '{{{field_name}}}' reads an attribute or item: only "
                "'{0}' or '{name}' are allowed (put the value in a variable first)"
            )
        key: int | str = int(field_name) if field_name.isdigit() else field_name
        return self.get_value(key, args, kwargs), field_name

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        check_text_size(value)
        return super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> Any:
        check_spec(format_spec)
        check_text_size(value)
        text = format(value, format_spec)
        self.written += len(text)
        if self.written > MAX_LENGTH:
            raise LimitExceeded(f"formatted text would exceed {MAX_LENGTH} characters")
        return text


def format_text(template: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> str:
    """``template.format(*args, **kwargs)`` or, with a mapping as ``kwargs``, ``format_map``."""
    return _SafeFormatter(template).vformat(template, args, kwargs)


def format_value(value: Any, spec: str = "") -> str:
    """The ``format()`` built-in within the limits."""
    if not isinstance(spec, str):
        raise TypeError("format() specification must be text")
    return _SafeFormatter("").format_field(value, spec)  # type: ignore[no-any-return]


class Text:
    """The ``str`` scripts call: ``str(value)`` measures a list or dict before it writes
    its text (``str([s] * 10**6)`` would not fit in memory); ``str.upper(x)`` and the other
    allowed methods read through to ``str``; ``isinstance(x, str)`` reads it as ``str``."""

    __slots__ = ()

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        if args:
            check_text_size(args[0])
        return str(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(str, name)

    def __repr__(self) -> str:
        return "<class 'str'>"


TEXT = Text()


def formatted(value: Any) -> Any:
    """An f-string field's value, measured before the f-string writes its text."""
    check_text_size(value)
    return value
