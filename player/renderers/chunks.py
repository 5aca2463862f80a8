"""Splitting long chat text into messages: at paragraphs, then lines, sentences, words."""

from __future__ import annotations

import re

_PARAGRAPHS = re.compile(r"\n[ \t]*\n\s*")
_LINES = re.compile(r"\n")
_SENTENCES = re.compile(r"(?<=[.!?…])\s+")
_WORDS = re.compile(r"\s+")
# Each level: how to split, and what joins the pieces back inside one message.
_LEVELS: tuple[tuple[re.Pattern[str], str], ...] = (
    (_PARAGRAPHS, "\n\n"),
    (_LINES, "\n"),
    (_SENTENCES, " "),
    (_WORDS, " "),
)


def _units(text: str, limit: int, level: int) -> list[tuple[str, str]]:
    """Pieces no longer than ``limit``, each with the joiner that precedes it."""
    if len(text) <= limit:
        return [(text, "")]
    if level == len(_LEVELS):
        return [(text[i : i + limit], "") for i in range(0, len(text), limit)]
    pattern, joiner = _LEVELS[level]
    parts = pattern.split(text)
    parts = [part.strip() for part in parts if part.strip()]
    if len(parts) <= 1:
        return _units(text, limit, level + 1)
    units: list[tuple[str, str]] = []
    for index, part in enumerate(parts):
        pieces = _units(part, limit, level + 1)
        units.append((pieces[0][0], joiner if index else ""))
        units.extend(pieces[1:])
    return units


def split_message(text: str, limit: int = 1000) -> list[str]:
    """Plain ``text`` as messages of at most ``limit`` characters."""
    if limit < 1:
        raise ValueError(f"a message limit must be positive, got {limit}")
    text = text.strip()
    if not text:
        return []
    messages: list[str] = []
    current = ""
    for unit, joiner in _units(text, limit, 0):
        if current and len(current) + len(joiner) + len(unit) <= limit:
            current += joiner + unit
        else:
            if current:
                messages.append(current)
            current = unit
    messages.append(current)
    return messages
