"""A script speaks its manifest's language: the did-not-understand notice and the chat and
IVR wording around the script's own text follow it, whatever letters that text uses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import BUNDLES, auth

MENU = BUNDLES / "menu_loop"

pytestmark = pytest.mark.smoke


def manifest(**extra: str) -> dict[str, bytes]:
    data = {"primary_process_id": "menu_loop", "title": "Menu loop", **extra}
    return {"cuebook.json": json.dumps(data).encode()}


def at_the_menu(client: Any, bot: dict[str, str], key: str, channel: str = "chat") -> Any:
    """A session of ``key`` past its name form, waiting at the choice step."""
    started = client.post(
        "/api/v1/sessions", json={"script": key, "channel": channel}, headers=bot
    ).get_json()
    sid = started["session_id"]
    named = client.post(
        f"/api/v1/sessions/{sid}/steps",
        json={"step_token": started["step_token"], "answer": {"name": "Ann"}},
        headers=bot,
    ).get_json()
    assert named["step_id"] == "menu", named
    return sid, named["step_token"]


def miss(client: Any, bot: dict[str, str], sid: str, token: str, text: str) -> Any:
    resp = client.post(
        f"/api/v1/sessions/{sid}/steps", json={"step_token": token, "text": text}, headers=bot
    )
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_a_russian_script_says_it_did_not_understand_in_russian_with_the_reason(
    client: Any, deploy: Any, tokens: dict[str, str], key: str
) -> None:
    deploy(MENU, key, manifest(language="ru"))
    bot = auth(tokens["bot"])
    sid, token = at_the_menu(client, bot, key)
    missed = miss(client, bot, sid, token, "xyzzy")
    assert missed["status"] == "waiting"
    assert missed["notice"] == (
        "Извините, не удалось понять ответ (1 из 3): "
        "'xyzzy' не подходит ни к одному варианту. Пожалуйста, выберите один из вариантов."
    )
    assert missed["messages"][0]["text"] == missed["notice"]


def test_an_english_script_says_it_in_english_with_the_reason(
    client: Any, deploy: Any, tokens: dict[str, str], key: str
) -> None:
    deploy(MENU, key, manifest(language="en"))
    bot = auth(tokens["bot"])
    sid, token = at_the_menu(client, bot, key)
    missed = miss(client, bot, sid, token, "option 7")
    assert missed["notice"] == (
        "Sorry, I did not understand (1 of 3): there is no option 7; choose 1 to 2. "
        "Please pick one of the options."
    )


def test_the_ivr_wording_follows_the_manifest_not_the_letters(
    client: Any, deploy: Any, tokens: dict[str, str], key: str
) -> None:
    """The menu's text is English; a Russian manifest still gets Russian key prompts."""
    deploy(MENU, key, manifest(language="ru"))
    bot = auth(tokens["bot"])
    sid, _token = at_the_menu(client, bot, key, channel="ivr")
    out = client.get(f"/api/v1/sessions/{sid}", headers=bot).get_json()
    assert out["language"] == "ru"
    assert "Нажмите 1, чтобы выбрать: Again." in out["ssml"]


def test_a_script_naming_no_language_speaks_the_default(
    client: Any, deploy: Any, tokens: dict[str, str], key: str
) -> None:
    deploy(MENU, key, manifest())
    bot = auth(tokens["bot"])
    sid, _token = at_the_menu(client, bot, key, channel="ivr")
    out = client.get(f"/api/v1/sessions/{sid}", headers=bot).get_json()
    assert out["language"] == "en"
    assert "Press 1 for Again." in out["ssml"]
