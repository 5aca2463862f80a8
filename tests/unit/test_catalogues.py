"""The committed message catalogues are whole and compiled.

Both the ``.po`` sources and the compiled ``.mo`` files are committed, so Cuebook needs no
tool at run time. These checks fail when a ``.mo`` no longer matches its ``.po``, when a
marked message is missing from a catalogue (run ``make messages``), or when a Russian
translation is missing, fuzzy, or uses a ``{field}`` / ``%(field)s`` its message lacks.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from engine.language import LOCALE_DIR
from tests.conftest import ROOT

PLAYER_LOCALE = ROOT / "player" / "locale"
EDITOR_LOCALE = ROOT / "editor_api" / "locale"
LANGUAGES = ("en", "ru")


def po_path(locale_dir: Path, domain: str, language: str) -> Path:
    return locale_dir / language / "LC_MESSAGES" / f"{domain}.po"


def read(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f)


def key(message: Any, context: str | None) -> str:
    """A message's key as gettext stores it: ``context\x04id`` when it has a context."""
    text = message if isinstance(message, str) else str(message[0])
    return f"{context}\x04{text}" if context else text


def engine_messages() -> set[str]:
    found: set[str] = set()
    for folder in (ROOT / "engine", ROOT / "player" / "renderers"):
        for _file, _line, message, _comments, context in extract_from_dir(
            folder, [("**.py", "python")], keywords={"N_": None}
        ):
            found.add(key(message, context))
    return found


def player_messages() -> set[str]:
    with (PLAYER_LOCALE / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: set[str] = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        ROOT / "player", method_map, options_map
    ):
        found.add(key(message, context))
    return found


def editor_messages() -> set[str]:
    with (EDITOR_LOCALE / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: set[str] = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        ROOT / "editor_api", method_map, options_map
    ):
        found.add(key(message, context))
    return found


CATALOGUES = {
    "cuebook": (LOCALE_DIR, engine_messages),
    "player": (PLAYER_LOCALE, player_messages),
    "editor": (EDITOR_LOCALE, editor_messages),
}


def every_po() -> Iterator[tuple[str, str]]:
    for domain in CATALOGUES:
        for language in LANGUAGES:
            yield domain, language


@pytest.mark.parametrize(("domain", "language"), list(every_po()))
def test_the_mo_is_the_compiled_po(domain: str, language: str) -> None:
    locale_dir = CATALOGUES[domain][0]
    po = read(po_path(locale_dir, domain, language))
    mo_path = po_path(locale_dir, domain, language).with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is missing: run make messages"
    with mo_path.open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    expected = {key(m.id, m.context): m.string for m in po if m.id and m.string and not m.fuzzy}
    stored = {k: v for k, v in compiled._catalog.items() if k}  # type: ignore[attr-defined]
    assert stored == expected, f"{mo_path} is stale: run make messages"


@pytest.mark.parametrize("domain", list(CATALOGUES))
def test_every_marked_message_is_in_the_catalogues(domain: str) -> None:
    locale_dir, extract = CATALOGUES[domain]
    marked = extract()
    assert marked
    for language in LANGUAGES:
        listed = {key(m.id, m.context) for m in read(po_path(locale_dir, domain, language)) if m.id}
        assert marked - listed == set(), f"{domain}/{language} lacks these: run make messages"
        assert listed - marked == set(), f"{domain}/{language} has stale entries: make messages"


_FIELDS = re.compile(r"\{\w+\}|%\(\w+\)s")


@pytest.mark.parametrize("domain", list(CATALOGUES))
def test_russian_translates_every_message_with_its_own_fields(domain: str) -> None:
    locale_dir = CATALOGUES[domain][0]
    for message in read(po_path(locale_dir, domain, "ru")):
        if not message.id:
            continue
        assert message.string and not message.fuzzy, f"no Russian for {message.id!r}"
        # A translation may leave a field out, never bring in one its message lacks.
        fields = set(_FIELDS.findall(str(message.string)))
        assert fields <= set(_FIELDS.findall(str(message.id))), message.id
