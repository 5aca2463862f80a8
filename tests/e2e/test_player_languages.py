"""The player's own screens follow the browser's language; the script's text keeps its own."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import SAMPLES
from tests.e2e.harness import Live, drive

pytestmark = pytest.mark.browser


def test_the_player_speaks_the_browsers_language(
    live: Live, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(SAMPLES / "internet_outage", key)
    result = drive(
        "language_walk.js",
        CUEBOOK_URL=live.url,
        CUEBOOK_TOKEN=tokens["operator"],
        CUEBOOK_SCRIPT=key,
        CUEBOOK_LOCALES=json.dumps(["ru-RU", "en-US"]),
    )
    ru, en = result["screens"]["ru-RU"], result["screens"]["en-US"]

    assert ru["signin"]["lang"] == "ru"
    assert (ru["signin"]["heading"], ru["signin"]["label"]) == ("Вход", "Токен оператора")
    assert ru["signin"]["submit"] == "Войти"
    assert ru["scripts"]["heading"] == "Скрипты" and ru["scripts"]["signOut"] == "Выйти"
    assert ru["step"]["where"] == "Нет интернета: техподдержка | версия 1 | шаг 1"
    assert ru["step"]["sayLabel"] == "Скажите" and ru["step"]["submit"] == "Продолжить"

    assert en["signin"]["lang"] == "en"
    assert (en["signin"]["heading"], en["signin"]["label"]) == ("Sign in", "Operator token")
    assert en["scripts"]["heading"] == "Scripts" and en["scripts"]["signOut"] == "Sign out"
    assert en["step"]["where"] == "Нет интернета: техподдержка | version 1 | step 1"
    assert en["step"]["sayLabel"] == "Say" and en["step"]["submit"] == "Continue"

    for screens in (ru, en):
        assert screens["step"]["sayLang"] == "ru"  # the script's language, whoever reads it
        assert screens["step"]["heading"] == "Приветствие и идентификация"
        assert not any(s["overflowing"] for s in screens.values())
    assert result["pageErrors"] == []
