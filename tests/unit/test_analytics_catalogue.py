"""The analytics page's catalogue (editor_api/locale, domain "analytics") is whole and
compiled: every message of the page's module and templates is in it, translated into
Russian, and each .mo says what its .po says."""

from __future__ import annotations

import gettext

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from tests.conftest import ROOT

LOCALE = ROOT / "editor_api" / "locale"


def page_messages() -> set[str]:
    with (LOCALE / "analytics.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    return {
        message if isinstance(message, str) else str(message[0])
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / "editor_api", method_map, options_map
        )
    }


@pytest.mark.parametrize("language", ["en", "ru"])
def test_whole_and_compiled(language: str) -> None:
    folder = LOCALE / language / "LC_MESSAGES"
    with (folder / "analytics.po").open("rb") as f:
        catalogue = read_po(f)
    ids = {str(m.id) for m in catalogue if m.id}
    wanted = page_messages()
    assert len(wanted) > 40
    assert wanted <= ids, sorted(wanted - ids)
    with (folder / "analytics.mo").open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    for message in catalogue:
        if not message.id:
            continue
        if language == "ru":
            assert message.string and not message.fuzzy, message.id
        assert compiled.gettext(str(message.id)) == (message.string or message.id)
