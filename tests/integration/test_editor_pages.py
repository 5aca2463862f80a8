"""The editor's pages without a browser: sign-in (methodologists and admins only, CSRF),
the scripts and drafts list (test scripts hidden), a new script from the form, the draft
page, a script's history with what changed, publishing an older version and rolling back."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import FIXTURES, SAMPLES, auth

pytestmark = pytest.mark.smoke

MENU_LOOP = FIXTURES / "bundles" / "menu_loop"


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


@pytest.fixture()
def browser(app: Any) -> Iterator[Any]:
    """A client with cookies, as a browser is."""
    with app.test_client() as client:
        yield client


def sign_in(client: Any, token: str, next_url: str = "") -> Any:
    form = client.get("/editor/signin")
    return client.post(
        "/editor/signin", data={"csrf_token": csrf(form.text), "token": token, "next": next_url}
    )


def test_only_methodologists_and_admins_sign_in(browser: Any, tokens: dict[str, str]) -> None:
    away = browser.get("/editor/drafts/1")
    assert away.status_code == 303
    assert away.headers["Location"] == "/editor/signin?next=/editor/drafts/1"
    assert (
        browser.post("/editor/signin", data={"token": tokens["methodologist"]}).status_code == 400
    )
    for role in ("operator", "bot"):
        refused = sign_in(browser, tokens[role])
        assert refused.status_code == 403 and "methodologist token" in refused.text
    assert sign_in(browser, "cb_not-a-token").status_code == 401
    signed = sign_in(browser, tokens["methodologist"], "/editor/drafts/1")
    assert signed.status_code == 303 and signed.headers["Location"] == "/editor/drafts/1"
    offsite = sign_in(browser, tokens["admin"], "//evil.example/")
    assert offsite.headers["Location"] == "/editor/"
    page = browser.get("/editor/")
    assert page.status_code == 200 and "test-admin" in page.text
    assert "frame-ancestors 'self'" in page.headers["Content-Security-Policy"]
    out = browser.post("/editor/signout", data={"csrf_token": csrf(page.text)})
    assert out.status_code == 303 and browser.get("/editor/").status_code == 303


def test_the_pages_speak_russian(client: Any, tokens: dict[str, str]) -> None:
    ru = client.get(
        "/editor/", headers={**auth(tokens["methodologist"]), "Accept-Language": "ru"}
    ).text
    assert '<html lang="ru">' in ru and "Сценарии и черновики" in ru
    assert "Создать с пустой диаграммы" in ru


def test_a_new_script_from_the_form_opens_its_draft(
    browser: Any, client: Any, tokens: dict[str, str], key: str
) -> None:
    sign_in(browser, tokens["methodologist"])
    index = browser.get("/editor/")
    made = browser.post(
        "/editor/drafts", data={"csrf_token": csrf(index.text), "script": key, "title": "Hi"}
    )
    assert made.status_code == 303
    path = made.headers["Location"]
    assert re.fullmatch(r"/editor/drafts/\d+", path)
    page = browser.get(path)
    assert page.status_code == 200
    data = re.search(r'<script type="application/json" id="draft-data">(.*?)</script>', page.text)
    assert data
    draft = json.loads(data.group(1))
    assert draft["script"] == key and draft["revision"] == 1
    assert f"{key}.bpmn" in draft["files"]
    assert 'id="properties"' in page.text and "bpmn-modeler.production.min.js" in page.text
    listed = browser.get("/editor/").text
    assert f'href="{path}"' in listed  # among the drafts of new scripts
    ru = browser.get(path, headers={"Accept-Language": "ru"}).text
    assert "Проверить в чате" in ru and "Сохранено, ревизия %(revision)s" in ru
    dropped = browser.post(f"{path}/delete", data={"csrf_token": csrf(listed)})
    assert dropped.status_code == 303 and dropped.headers["Location"] == "/editor/"
    assert browser.get(path).status_code == 404
    assert f'href="{path}"' not in browser.get("/editor/").text
    bad = browser.post("/editor/drafts", data={"csrf_token": csrf(index.text), "script": "Bad Key"})
    assert bad.status_code == 422 and "bad script key" in bad.text
    gone = browser.get("/editor/drafts/99999999")
    assert gone.status_code == 404 and "draft 99999999 not found" in gone.text


def test_the_list_leaves_out_test_scripts(
    browser: Any, client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(MENU_LOOP, key)
    author = auth(tokens["methodologist"])
    draft = client.post("/api/v1/drafts", json={"script": key}, headers=author).get_json()
    tried = client.post(f"/api/v1/drafts/{draft['id']}/test", json={}, headers=author)
    assert tried.status_code == 200 and tried.get_json()["script"] == f"{key}~draft"
    sign_in(browser, tokens["methodologist"])
    page = browser.get("/editor/").text
    assert f'data-script="{key}"' in page and f"{key}~draft" not in page
    player = client.get("/player/", headers=auth(tokens["operator"])).text
    assert f'value="{key}"' in player and f"{key}~draft" not in player


def test_history_shows_versions_releases_and_changes(
    browser: Any, client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(SAMPLES / "chat_bot", key)
    author = auth(tokens["methodologist"])
    draft = client.post("/api/v1/drafts", json={"script": key}, headers=author).get_json()
    files = dict(draft["files"])
    files["chat_bot.bpmn"] = files["chat_bot.bpmn"].replace('name="Главное меню"', 'name="Меню"', 1)
    saved = client.put(
        f"/api/v1/drafts/{draft['id']}", json={"revision": 1, "files": files}, headers=author
    )
    assert saved.status_code == 200
    published = client.post(
        f"/api/v1/drafts/{draft['id']}/publish", json={"revision": 2}, headers=author
    )
    assert published.get_json()["number"] == 2

    sign_in(browser, tokens["methodologist"])
    page = browser.get(f"/editor/scripts/{key}")
    assert page.status_code == 200
    html = page.text
    assert "What changed from version 1 to version 2" in html
    assert 'data-section="elements" data-kind="changed" data-id="main_menu"' in html
    assert re.search(r'<tr data-version="2" class="published">', html)
    assert html.count("test-methodologist") >= 3  # versions and releases say who
    assert f'data-diagram-url="/editor/scripts/{key}/versions/2/diagram"' in html
    diagram = browser.get(f"/editor/scripts/{key}/versions/2/diagram")
    assert diagram.status_code == 200 and 'name="Меню"'.encode() in diagram.data

    # Publish version 1 again from the page, then roll back to version 2.
    again = browser.post(
        f"/editor/scripts/{key}/versions/1/publish", data={"csrf_token": csrf(html)}
    )
    assert again.status_code == 303
    shown = client.get(f"/api/v1/scripts/{key}/versions", headers=author).get_json()
    assert [v["number"] for v in shown["versions"] if v["published"]] == [1]
    back = browser.post(f"/editor/scripts/{key}/rollback", data={"csrf_token": csrf(html)})
    assert back.status_code == 303
    shown = client.get(f"/api/v1/scripts/{key}/versions", headers=author).get_json()
    assert [v["number"] for v in shown["versions"] if v["published"]] == [2]
    history = client.get(f"/api/v1/scripts/{key}/releases", headers=author).get_json()
    assert [r["action"] for r in history["releases"]][:2] == ["rollback", "publish"]
    dropped = browser.post(f"/editor/drafts/{draft['id']}/delete", data={"csrf_token": csrf(html)})
    assert dropped.headers["Location"] == f"/editor/scripts/{key}"
    assert f"/editor/drafts/{draft['id']}" not in browser.get(f"/editor/scripts/{key}").text
    unknown = browser.get("/editor/scripts/no-such-script")
    assert unknown.status_code == 404
