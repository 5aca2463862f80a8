"""Script text is Markdown (CommonMark, with tables and ~~strike~~): this module is the one
place that reads it, with ``markdown-it-py``.

* :func:`markdown_html` - HTML for the player page and ``<cuebook-player>``: raw HTML in the
  text is shown as text, never as markup; links to ``javascript:`` and the like are not
  links; a single line break is kept as ``<br>``.
* :func:`chat_text` - plain text for a chat: paragraphs, list items on their own lines,
  links as "text (address)".
* :func:`speakable_paragraphs` - plain paragraphs to speak: no marks, no addresses, no tags;
  headings and list items end as sentences.

Each is read once per distinct text: a step's text repeats (the same element for every
session, or the same template rendered with the same values), so results of texts up to
``CACHED_TEXT_CHARS`` long are kept in bounded LRU caches (``CACHE_SIZE`` texts each).
Reading Markdown costs about half a millisecond a text; a cache hit a microsecond.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from typing import Any, TypeVar

from markdown_it import MarkdownIt
from markdown_it.token import Token

_EXTENSIONS = ["table", "strikethrough"]
T = TypeVar("T")
CACHE_SIZE = 4096
"""Distinct texts remembered per reading (HTML, chat, voice)."""
CACHED_TEXT_CHARS = 4000
"""Longer texts are read each time (they are rare, and would crowd the cache)."""
_ENDS_SENTENCE = re.compile(r"[.!?…:;,]$")
_BETWEEN_TAGS = re.compile(r">\n+(?=<|$)")


def _line_break(*_: Any) -> str:
    return "<br>"


def _link_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    tokens[idx].attrSet("target", "_blank")
    tokens[idx].attrSet("rel", "noopener noreferrer")
    return str(self.renderToken(tokens, idx, options, env))


def _html_renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "breaks": True, "xhtmlOut": False})
    md.enable(_EXTENSIONS)
    md.add_render_rule("softbreak", _line_break)
    md.add_render_rule("hardbreak", _line_break)
    md.add_render_rule("link_open", _link_open)
    return md


_HTML = _html_renderer()
# Read for plain text only (never rendered): raw HTML is parsed so its tags can be dropped.
_TEXT = MarkdownIt("commonmark", {"html": True}).enable(_EXTENSIONS)


def _remembered(read: Callable[[str], T]) -> Callable[[str], T]:
    """``read`` with its results for short texts kept in an LRU cache (thread-safe)."""
    cached = lru_cache(maxsize=CACHE_SIZE)(read)

    def remembered(text: str) -> T:
        return cached(text) if len(text) <= CACHED_TEXT_CHARS else read(text)

    remembered.__doc__ = read.__doc__
    remembered.cache_info = cached.cache_info  # type: ignore[attr-defined]
    return remembered


@_remembered
def markdown_html(text: str) -> str:
    """``text`` as HTML, safe to put in a page as it is (compact: no newlines between tags)."""
    if not text.strip():
        return ""
    return _BETWEEN_TAGS.sub(">", _HTML.render(text))


@dataclass(frozen=True)
class _Style:
    """How plain text is laid out for one kind of reader."""

    link_targets: bool  # "text (address)"
    line_break: str  # what a line break inside a paragraph becomes
    item_sentences: bool  # headings and list items end with a full stop
    bullet: str  # what starts a bullet item
    indent: str  # per level of a nested list
    cell_separator: str
    line_separator: str  # between the lines of one paragraph (list items, table rows)


_CHAT = _Style(True, "\n", False, "• ", "  ", " | ", "\n")
_VOICE = _Style(False, " ", True, "", "", ", ", " ")


class _TagText(HTMLParser):
    """The text of an HTML fragment, tags dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _html_text(html: str) -> str:
    parser = _TagText()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())


def _inline(children: Sequence[Token], style: _Style) -> str:
    parts: list[str] = []
    href: list[str] = []
    for child in children:
        kind = child.type
        if kind in ("text", "code_inline"):
            parts.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append(style.line_break)
        elif kind == "image":
            parts.append(_inline(child.children or [], style))
        elif kind == "link_open":
            href.append(str(child.attrGet("href") or ""))
            parts.append("\0")  # where the link's text starts
        elif kind == "link_close" and href:
            target = href.pop()
            start = len(parts) - 1 - parts[::-1].index("\0")
            label = "".join(parts[start + 1 :])
            del parts[start:]
            shown = label.strip() or target
            if style.link_targets and target and target not in (label, f"mailto:{label}"):
                shown = f"{shown} ({target})"
            parts.append(shown)
    lines = "".join(parts).split("\n")
    return "\n".join(" ".join(line.split()) for line in lines).strip()


class _Walk:
    """Block tokens to paragraphs: each a list of lines, joined by the style at the end."""

    def __init__(self, style: _Style) -> None:
        self.style = style
        self.paragraphs: list[list[str]] = []
        self.lists: list[list[Any]] = []  # [ordered, level] per open list
        self.prefix: str | None = None
        self.heading = False
        self.row: list[str] | None = None

    def add(self, line: str, *, sentence: bool = False) -> None:
        if not line:
            return
        if sentence and self.style.item_sentences and not _ENDS_SENTENCE.search(line):
            line += "."
        if self.prefix is not None:
            line, self.prefix = self.prefix + line, None
        if self.lists or self.row is not None:
            if not self.paragraphs:
                self.paragraphs.append([])
            self.paragraphs[-1].append(line)
        else:
            self.paragraphs.append([line])

    def token(self, token: Token) -> None:
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            if not self.lists:
                self.paragraphs.append([])
            self.lists.append([kind == "ordered_list_open", len(self.lists)])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            self.lists.pop()
        elif kind == "list_item_open":
            ordered, level = self.lists[-1]
            mark = f"{token.info}. " if ordered else self.style.bullet
            self.prefix = self.style.indent * level + mark
        elif kind == "heading_open":
            self.heading = True
        elif kind == "inline":
            text = _inline(token.children or [], self.style)
            if self.row is not None:
                self.row.append(text)
            else:
                self.add(text, sentence=self.heading or bool(self.lists))
            self.heading = False
        elif kind in ("fence", "code_block"):
            self.add(token.content.rstrip("\n"))
        elif kind == "html_block":
            self.add(_html_text(token.content))
        elif kind == "table_open":
            self.paragraphs.append([])
        elif kind == "tr_open":
            self.row = []
        elif kind == "tr_close" and self.row is not None:
            cells, self.row = self.row, None
            self.paragraphs[-1].append(self.style.cell_separator.join(c for c in cells if c))


def _plain(markdown: str, style: _Style) -> list[str]:
    walk = _Walk(style)
    for token in _TEXT.parse(markdown):
        walk.token(token)
    joined = (style.line_separator.join(p) for p in walk.paragraphs)
    return [p for p in joined if p.strip()]


@_remembered
def chat_text(markdown: str) -> str:
    """``markdown`` as plain text for a chat message (paragraphs apart by a blank line)."""
    return "\n\n".join(_plain(markdown, _CHAT))


def speakable_paragraphs(markdown: str) -> list[str]:
    """Paragraphs of plain text: Markdown marks, links' targets and HTML tags removed."""
    return list(_speakable(markdown))


@_remembered
def _speakable(markdown: str) -> tuple[str, ...]:
    # A tuple, so the cache hands out nothing a caller could change.
    return tuple(" ".join(p.split()) for p in _plain(markdown, _VOICE))
