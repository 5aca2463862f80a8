"""Markdown turned into plain paragraphs that can be spoken."""

from __future__ import annotations

import re

_BLANK_LINE = re.compile(r"\n\s*\n")
_FENCE = re.compile(r"^\s*(```|~~~)")
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?[\s:|-]+\|[\s:|-]*$")
_HEADING = re.compile(r"^\s*#{1,6}\s+")
_QUOTE = re.compile(r"^\s*(>\s?)+")
_BULLET = re.compile(r"^\s*[-*+]\s+")
_NUMBERED = re.compile(r"^\s*(\d+)[.)]\s+")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_CODE = re.compile(r"`+([^`]*)`+")
_STRONG = re.compile(r"(\*\*|__|~~)(.+?)\1")
_EMPHASIS = re.compile(r"(?<![\w*])([*_])(?!\s)(.+?)(?<!\s)\1(?![\w*])")
_ENDS_SENTENCE = re.compile(r"[.!?…:;,]$")


def _inline(line: str) -> str:
    line = _IMAGE.sub(r"\1", line)
    line = _LINK.sub(r"\1", line)
    line = _AUTOLINK.sub(r"\1", line)
    line = _TAG.sub("", line)
    line = _CODE.sub(r"\1", line)
    line = _STRONG.sub(r"\2", line)
    line = _EMPHASIS.sub(r"\2", line)
    line = line.replace("|", ", ").strip(" ,")
    return " ".join(line.split())


def _line(line: str) -> str:
    """One line without block markup; headings and list items end as sentences."""
    item = bool(_HEADING.match(line) or _BULLET.match(line) or _NUMBERED.match(line))
    line = _QUOTE.sub("", _HEADING.sub("", line))
    line = _NUMBERED.sub(r"\1. ", _BULLET.sub("", line))
    text = _inline(line)
    if item and text and not _ENDS_SENTENCE.search(text):
        text += "."
    return text


def speakable_paragraphs(markdown: str) -> list[str]:
    """Paragraphs of plain text: Markdown marks, links' targets and HTML tags removed."""
    paragraphs: list[str] = []
    for block in _BLANK_LINE.split(markdown.replace("\r\n", "\n")):
        lines = [
            _line(line)
            for line in block.split("\n")
            if not (_FENCE.match(line) or _RULE.match(line) or _TABLE_RULE.match(line))
        ]
        text = " ".join(line for line in lines if line)
        if text:
            paragraphs.append(text)
    return paragraphs
