"""The operator player's pages through Flask: sign-in, CSRF, walking a script, headers, CORS."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest

from cuebook.app import create_app
from player.web import bp as player_bp
from player.web import frame_ancestors, text_html
from tests.conftest import BUNDLES, SAMPLES, auth
from web.cors import install_cors

MENU = BUNDLES / "menu_loop"
OUTAGE = SAMPLES / "internet_outage"
CRM = "https://crm.example.com"

pytestmark = pytest.mark.smoke


class Tags(HTMLParser):
    """Every start tag of a page, with its attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def tags(html: str, tag: str, **attrs: str) -> list[dict[str, str]]:
    """Tags named ``tag`` whose attributes include ``attrs`` (``class_`` for class)."""
    want = {k.rstrip("_"): v for k, v in attrs.items()}
    return [
        a for t, a in Tags(html).tags if t == tag and all(a.get(k) == v for k, v in want.items())
    ]


def the(html: str, tag: str, **attrs: str) -> dict[str, str]:
    found = tags(html, tag, **attrs)
    assert len(found) == 1, f"expected one <{tag} {attrs}>, found {len(found)}"
    return found[0]


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def step_token(html: str) -> str:
    """The step token of the page's forms (the answer form and the Back form share it)."""
    found = {t["value"] for t in tags(html, "input", name="step_token")}
    assert len(found) == 1, f"step tokens on the page: {found}"
    return found.pop()


@pytest.fixture(scope="module")
def web(settings: Any, services: Any) -> Any:
    """An app with the player and CORS for a CRM origin (and the test settings' origins)."""
    page_settings = dataclasses.replace(settings, cors_origins=(*settings.cors_origins, CRM))
    app = create_app(page_settings, dataclasses.replace(services, settings=page_settings))
    if "player" not in app.blueprints:
        app.register_blueprint(player_bp)
    install_cors(app)
    app.config["TESTING"] = True
    return app


@pytest.fixture()
def browser(web: Any) -> Iterator[Any]:
    """A client with cookies, as a browser is."""
    with web.test_client() as client:
        yield client


def sign_in(client: Any, token: str, next_url: str = "") -> Any:
    page = client.get("/player/signin")
    return client.post(
        "/player/signin",
        data={"csrf_token": csrf(page.text), "token": token, "next": next_url},
    )


def start(client: Any, key: str) -> str:
    page = client.get("/player/")
    resp = client.post("/player/start", data={"csrf_token": csrf(page.text), "script": key})
    assert resp.status_code == 303, resp.text
    location = resp.headers["Location"]
    assert re.fullmatch(r"/player/sessions/[0-9a-f-]{36}", location)
    return str(location)


def post_step(client: Any, url: str, page: str, **answer: str | list[str]) -> Any:
    data: dict[str, Any] = {"csrf_token": csrf(page), "step_token": step_token(page), **answer}
    return client.post(url + "/steps", data=data)


# -- sign-in -----------------------------------------------------------------------------


def test_pages_send_strangers_to_sign_in(browser: Any) -> None:
    resp = browser.get("/player/")
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/player/signin?next=/player/"
    deep = browser.get("/player/sessions/abc")
    assert deep.headers["Location"] == "/player/signin?next=/player/sessions/abc"
    posted = browser.post("/player/start", data={"script": "x"})
    assert posted.headers["Location"] == "/player/signin"
    form = browser.get("/player/signin")
    assert form.status_code == 200
    assert the(form.text, "input", id="f-token")["type"] == "password"
    assert the(form.text, "label", for_="f-token")


def test_sign_in_checks_the_form_the_token_and_the_role(
    browser: Any, tokens: dict[str, str]
) -> None:
    no_csrf = browser.post("/player/signin", data={"token": tokens["operator"]})
    assert no_csrf.status_code == 400
    bad = sign_in(browser, "cb_nope")
    assert bad.status_code == 401
    assert "This token is not valid." in bad.text
    field = the(bad.text, "input", id="f-token")
    assert field["aria-invalid"] == "true"
    assert field["aria-describedby"] == "f-token-help f-token-error"
    bot = sign_in(browser, tokens["bot"])
    assert bot.status_code == 403
    assert "cannot use the player" in bot.text
    assert browser.get("/player/").status_code == 303
    ok = sign_in(browser, tokens["operator"], "/player/sessions/abc")
    assert ok.status_code == 303
    assert ok.headers["Location"] == "/player/sessions/abc"
    assert browser.get("/player/").status_code == 200


@pytest.mark.parametrize("next_url", ["//evil.example/x", "https://evil.example/", "/api/v1/x"])
def test_sign_in_only_returns_to_player_pages(
    browser: Any, tokens: dict[str, str], next_url: str
) -> None:
    assert sign_in(browser, tokens["operator"], next_url).headers["Location"] == "/player/"


def test_sign_out_forgets_the_operator(browser: Any, tokens: dict[str, str]) -> None:
    sign_in(browser, tokens["admin"])
    page = browser.get("/player/")
    assert page.status_code == 200
    assert "test-admin" in page.text
    out = browser.post("/player/signout", data={"csrf_token": csrf(page.text)})
    assert out.status_code == 303 and out.headers["Location"] == "/player/signin"
    assert browser.get("/player/").status_code == 303


def test_a_bearer_token_opens_pages_without_a_cookie(
    web: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(MENU, key)
    client = web.test_client(use_cookies=False)
    assert client.get("/player/", headers=auth(tokens["operator"])).status_code == 200
    started = client.post("/player/start", data={"script": key}, headers=auth(tokens["operator"]))
    assert started.status_code == 303
    assert client.get("/player/", headers=auth(tokens["bot"])).status_code == 403
    bad = client.get("/player/", headers=auth("cb_nope"))
    assert bad.status_code == 401 and "The token is not valid." in bad.text


# -- walking a script --------------------------------------------------------------------


def test_the_list_shows_published_scripts_to_start(
    browser: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(MENU, key)
    sign_in(browser, tokens["operator"])
    page = browser.get("/player/").text
    button = the(page, "button", **{"data-script": key})
    assert button["aria-label"] == "Start Menu loop"


def test_walk_with_a_bad_answer_a_step_back_and_the_end(
    browser: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(MENU, key)
    sign_in(browser, tokens["operator"])
    url = start(browser, key)
    page = browser.get(url).text
    assert the(page, "article", **{"data-step-id": "name", "data-step-kind": "form"})
    assert the(page, "h1", id="step-heading")["autofocus"] == ""
    assert '<section class="say" aria-labelledby="say-label">' in page
    assert "<p>Hello! What is your name?</p>" in page
    assert "<p>Ask politely.</p>" in page
    assert re.search(
        r'<span class="version">version 1</span><span class="count">step 1</span>', page
    )
    name = the(page, "input", id="f-name")
    assert name["name"] == "name" and name["type"] == "text"
    assert (name["minlength"], name["maxlength"], name["required"]) == ("2", "50", "")
    assert name["aria-describedby"] == "f-name-help"
    assert the(page, "label", for_="f-name")
    age = the(page, "input", id="f-age")
    assert (age["type"], age["min"], age["max"], age["step"]) == ("number", "0", "150", "1")
    assert not tags(page, "form", class_="back")

    bad = post_step(browser, url, page, name="A", age="200")
    assert bad.status_code == 422
    assert the(bad.text, "input", id="f-name")["value"] == "A"
    assert the(bad.text, "input", id="f-age")["value"] == "200"
    assert the(bad.text, "input", id="f-age")["aria-describedby"] == "f-age-error"
    assert the(bad.text, "input", id="f-age")["aria-invalid"] == "true"
    assert re.search(r'<p class="error" id="f-age-error">200 is greater than the maximum', bad.text)
    assert re.search(r'<p class="error" id="f-name-error">.*too short', bad.text)
    assert the(bad.text, "div", id="error-summary")["autofocus"] == ""
    assert "autofocus" not in the(bad.text, "h1", id="step-heading")
    assert the(bad.text, "a", href="#f-age")

    moved = post_step(browser, url, bad.text, name="Anna", age="30")
    assert moved.status_code == 303 and moved.headers["Location"] == url
    menu = browser.get(url).text
    assert the(menu, "article", **{"data-step-kind": "choice"})
    assert "<p>Anna, turn 0: again or stop?</p>" in menu
    assert [b["value"] for b in tags(menu, "button", class_="option")] == ["again", "stop"]
    assert the(menu, "button", class_="option", value="again")["name"] == "choice"

    back = browser.post(
        url + "/back", data={"csrf_token": csrf(menu), "step_token": step_token(menu)}
    )
    assert back.status_code == 303
    again = browser.get(url).text
    assert the(again, "article", **{"data-step-id": "name"})

    post_step(browser, url, again, name="Bob")
    menu = browser.get(url).text
    assert "<p>Bob, turn 0: again or stop?</p>" in menu
    post_step(browser, url, menu, choice="again")
    menu = browser.get(url).text
    assert "<p>Bob, turn 1: again or stop?</p>" in menu
    post_step(browser, url, menu, choice="stop")
    end = browser.get(url).text
    assert the(end, "article", **{"data-status": "completed"})
    assert "Conversation finished" in end
    assert "<p>Bye, Bob: 2 turns.</p>" in end
    assert '<a href="/player/">Back to the scripts</a>' in end
    assert not tags(end, "form", class_="answer")


def test_a_post_without_the_form_token_changes_nothing(
    browser: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(MENU, key)
    sign_in(browser, tokens["operator"])
    url = start(browser, key)
    page = browser.get(url).text
    forged = browser.post(url + "/steps", data={"step_token": step_token(page), "name": "Eve"})
    assert forged.status_code == 400
    wrong = browser.post(
        url + "/steps",
        data={"csrf_token": "x" * 43, "step_token": step_token(page), "name": "Eve"},
    )
    assert wrong.status_code == 400
    assert the(browser.get(url).text, "article", **{"data-step-id": "name"})


def test_a_stale_step_shows_the_current_one_and_unknown_sessions_are_404(
    browser: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(MENU, key)
    sign_in(browser, tokens["operator"])
    url = start(browser, key)
    page = browser.get(url).text
    post_step(browser, url, page, name="Ann")
    twice = post_step(browser, url, page, name="Ann")
    assert twice.status_code == 303
    assert the(browser.get(url).text, "article", **{"data-step-kind": "choice"})
    unknown = browser.post(
        url + "/steps", data={"csrf_token": csrf(page), "step_token": "99.x", "choice": "stop"}
    )
    assert unknown.status_code == 409
    assert "step_token does not match" in unknown.text
    assert the(unknown.text, "a", href=url)
    missing = browser.get("/player/sessions/no-such-session")
    assert missing.status_code == 404
    assert missing.mimetype == "text/html"
    assert "session no-such-session not found" in missing.text


def test_the_sample_form_uses_every_widget(
    browser: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(OUTAGE, key)
    sign_in(browser, tokens["operator"])
    url = start(browser, key)
    page = browser.get(url).text
    pattern = the(page, "input", id="f-customer_ref")["pattern"]
    assert pattern == "([0-9]{9}|\\+7[0-9]{10})"
    post_step(browser, url, page, customer_ref="100234567")
    page = browser.get(url).text
    post_step(browser, url, page, identity_confirmed="yes")
    page = browser.get(url).text
    post_step(browser, url, page, symptom="no_connection")
    page = browser.get(url).text
    assert the(page, "article", **{"data-step-id": "symptom_details"})
    radios = tags(page, "input", type="radio", name="problem_since")
    assert [(r["value"], "checked" in r) for r in radios] == [
        ("today", True),
        ("days", False),
        ("week", False),
    ]
    assert all(r["required"] == "" for r in radios)
    assert the(page, "fieldset", **{"data-field": "problem_since"})
    devices = the(page, "input", id="f-devices_affected")
    assert (devices["value"], devices["min"], devices["max"]) == ("1", "1", "20")
    assert the(page, "input", type="hidden", name="cable_checked")["value"] == "false"
    box = the(page, "input", id="f-cable_checked")
    assert (box["type"], box["value"], "checked" in box) == ("checkbox", "true", False)
    note = the(page, "textarea", id="f-symptom_note")
    assert (note["rows"], note["maxlength"]) == ("3", "500")
    assert note["aria-describedby"] == "f-symptom_note-help"
    moved = post_step(
        browser,
        url,
        page,
        problem_since="week",
        devices_affected="2",
        cable_checked=["false", "true"],
    )
    assert moved.status_code == 303
    hist = browser.get(
        f"/api/v1/sessions/{url.rsplit('/', 1)[1]}/history", headers=auth(tokens["operator"])
    ).get_json()["history"]
    left = [h for h in hist if h["event"] == "left" and h["element"] == "symptom_details"]
    assert left[-1]["answer"] == {
        "problem_since": "week",
        "devices_affected": 2,
        "cable_checked": True,
    }


def test_a_handed_off_chat_is_taken_over_then_continued(
    browser: Any, web: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(MENU, key)
    api = web.test_client(use_cookies=False)
    bot = auth(tokens["bot"])
    view = api.post("/api/v1/sessions", json={"script": key, "channel": "chat"}, headers=bot)
    sid = view.get_json()["session_id"]
    token = view.get_json()["step_token"]
    asked = api.post(
        f"/api/v1/sessions/{sid}/steps", json={"step_token": token, "text": "operator"}, headers=bot
    )
    assert asked.get_json()["status"] == "handed_off"
    sign_in(browser, tokens["operator"])
    url = f"/player/sessions/{sid}"
    page = browser.get(url).text
    assert the(page, "article", **{"data-status": "handed_off", "data-step-id": "name"})
    assert "This conversation was handed to a person" in page
    early = post_step(browser, url, page, name="Ann")
    assert early.status_code == 409
    assert "claim it first" in early.text
    assert "Take this conversation" in page
    claimed = browser.post(url + "/claim", data={"csrf_token": csrf(page)})
    assert claimed.status_code == 303
    page = browser.get(url).text
    assert "You are taking this conversation." in page  # and nothing left to take
    assert "Take this conversation" not in page
    assert post_step(browser, url, page, name="Ann").status_code == 303
    menu = browser.get(url).text
    assert "<p>Ann, turn 0: again or stop?</p>" in menu
    handed = browser.post(url + "/handback", data={"csrf_token": csrf(menu)})
    assert handed.status_code == 303
    back_to_bot = api.get(f"/api/v1/sessions/{sid}", headers=bot).get_json()
    assert back_to_bot["status"] == "waiting" and back_to_bot["step_id"] == "menu"


# -- headers, assets, CORS ---------------------------------------------------------------


def test_pages_may_be_framed_by_the_cors_origins_only(browser: Any, web: Any) -> None:
    resp = browser.get("/player/signin")
    assert "X-Frame-Options" not in resp.headers
    policy = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' http://127.0.0.1 https://crm.example.com" in policy
    assert "default-src 'self'" in policy
    assert resp.headers["Cache-Control"] == "no-store"
    assert frame_ancestors(["https://a.example/", "bad origin; script-src *", "*"]) == (
        "frame-ancestors 'self' https://a.example *"
    )


def test_the_component_script_is_public_and_cacheable(web: Any) -> None:
    client = web.test_client(use_cookies=False)
    with client.get("/player/cuebook-player.js") as js:
        assert js.status_code == 200
        assert js.mimetype == "text/javascript"
        assert js.headers["Cache-Control"] == "public, max-age=3600"
        assert js.headers["Access-Control-Allow-Origin"] == "*"
        assert 'customElements.define("cuebook-player"' in js.text
        assert "Content-Security-Policy" not in js.headers
        etag = js.headers["ETag"]
    with client.get("/player/cuebook-player.js", headers={"If-None-Match": etag}) as same:
        assert same.status_code == 304
    with client.get("/player/player.css") as css:
        assert css.mimetype == "text/css" and b"--accent" in css.data
    assert client.get("/player/other.js").status_code == 404


def test_cors_lets_allowed_origins_call_the_api(web: Any, tokens: dict[str, str]) -> None:
    client = web.test_client(use_cookies=False)
    ask = {
        "Origin": CRM,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Authorization, Content-Type",
    }
    pre = client.options("/api/v1/sessions", headers=ask)
    assert pre.status_code == 200
    assert pre.headers["Access-Control-Allow-Origin"] == CRM
    allowed = {h.strip() for h in pre.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"Authorization", "Content-Type"} <= allowed
    assert "POST" in pre.headers["Access-Control-Allow-Methods"]
    assert "Origin" in pre.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in pre.headers
    foreign = client.options("/api/v1/sessions", headers={**ask, "Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in foreign.headers
    got = client.get("/api/v1/sessions/none", headers={**auth(tokens["operator"]), "Origin": CRM})
    assert got.status_code == 404
    assert got.headers["Access-Control-Allow-Origin"] == CRM
    assert "Origin" in got.headers["Vary"]
    refused = client.get("/api/v1/sessions/none", headers={"Origin": CRM})
    assert refused.status_code == 401
    assert refused.headers["Access-Control-Allow-Origin"] == CRM
    page = client.get("/player/signin", headers={"Origin": CRM})
    assert "Access-Control-Allow-Origin" not in page.headers
    install_cors(web)
    again = client.options("/api/v1/sessions", headers=ask)
    assert again.headers.getlist("Access-Control-Allow-Origin") == [CRM]


# -- text --------------------------------------------------------------------------------


def test_text_is_escaped_with_paragraphs_breaks_bold_and_lists() -> None:
    assert text_html("<b>Hi</b> & bye") == "<p>&lt;b&gt;Hi&lt;/b&gt; &amp; bye</p>"
    assert text_html("one\ntwo\n\nthree") == "<p>one<br>two</p><p>three</p>"
    assert text_html("Say **this** now") == "<p>Say <strong>this</strong> now</p>"
    assert text_html("- a\n- **b**") == "<ul><li>a</li><li><strong>b</strong></li></ul>"
    assert text_html("1. a\n2. b") == "<ol><li>a</li><li>b</li></ol>"
    assert text_html("- a\nplain") == "<ul><li>a<br>plain</li></ul>"  # CommonMark: one item
    assert text_html("  \n\n ") == ""


# -- the reader's language ---------------------------------------------------------------

RUSSIAN = "ru-RU,ru;q=0.9,en;q=0.5"


def html_lang(page: str) -> str:
    return the(page, "html")["lang"]


def test_the_sign_in_page_speaks_the_browsers_language(browser: Any) -> None:
    ru = browser.get("/player/signin", headers={"Accept-Language": RUSSIAN}).text
    assert html_lang(ru) == "ru"
    assert "<title>Вход · Cuebook</title>" in ru
    assert '<label for="f-token">Токен оператора</label>' in ru
    assert "(он начинается с <code>cb_</code>)" in ru
    assert '<h1 id="step-heading" tabindex="-1" autofocus>Вход</h1>' in ru
    assert '<button type="submit" class="primary">Войти</button>' in ru
    en = browser.get("/player/signin", headers={"Accept-Language": "en-GB,en;q=0.8"}).text
    assert html_lang(en) == "en"
    assert '<label for="f-token">Operator token</label>' in en
    assert "(it starts with <code>cb_</code>)" in en
    second = browser.get("/player/signin", headers={"Accept-Language": "de-DE, ru;q=0.3"}).text
    assert html_lang(second) == "ru"
    for header in ("de", "*"):
        other = browser.get("/player/signin", headers={"Accept-Language": header}).text
        assert html_lang(other) == "en" and "Operator token" in other


def test_without_a_language_header_the_default_setting_applies(
    settings: Any, services: Any
) -> None:
    assert html_lang(create_app(settings, services).test_client().get("/player/signin").text) == (
        "en"
    )
    russian = dataclasses.replace(settings, default_language="ru")
    app = create_app(russian, dataclasses.replace(services, settings=russian))
    client = app.test_client()
    page = client.get("/player/signin").text
    assert html_lang(page) == "ru" and "Токен оператора" in page
    asked = client.get("/player/signin", headers={"Accept-Language": "en"}).text
    assert html_lang(asked) == "en" and "Operator token" in asked
    unknown = client.get("/player/signin", headers={"Accept-Language": "fr, *;q=0.1"}).text
    assert html_lang(unknown) == "ru"


def test_errors_lists_and_steps_in_russian_keep_the_scripts_language(
    browser: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(MENU, key)
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = RUSSIAN
    bad = sign_in(browser, "cb_nope")
    assert bad.status_code == 401 and "Этот токен недействителен." in bad.text
    bot = sign_in(browser, tokens["bot"])
    assert "С токеном роли bot плеер недоступен" in bot.text
    sign_in(browser, tokens["operator"])
    scripts = browser.get("/player/").text
    assert '<h1 id="step-heading" tabindex="-1" autofocus>Скрипты</h1>' in scripts
    assert the(scripts, "button", **{"data-script": key})["aria-label"] == "Начать: Menu loop"
    assert f"{key} · версия 1" in scripts
    url = start(browser, key)
    page = browser.get(url).text
    assert html_lang(page) == "ru"
    assert '<span class="version">версия 1</span><span class="count">шаг 1</span>' in page
    assert '<h2 id="say-label" class="label">Скажите</h2>' in page
    assert '<div lang="en"><p>Hello! What is your name?</p></div>' in page
    assert '<button type="submit" class="primary">Продолжить</button>' in page
    wrong = post_step(browser, url, page, name="A", age="200")
    assert '<h2 id="error-summary-title">Проверьте ответ</h2>' in wrong.text
    missing = browser.get("/player/sessions/no-such-session")
    assert missing.status_code == 404 and "<h1" in missing.text
    assert "Не получилось" in missing.text and ">Скрипты</a>" in missing.text
    assert the(missing.text, "div", class_="error-summary")["lang"] == "en"


def test_a_handoff_reason_is_in_the_readers_language(
    browser: Any, web: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(MENU, key)
    api = web.test_client(use_cookies=False)
    bot = auth(tokens["bot"])
    view = api.post("/api/v1/sessions", json={"script": key, "channel": "chat"}, headers=bot)
    sid, token = view.get_json()["session_id"], view.get_json()["step_token"]
    api.post(
        f"/api/v1/sessions/{sid}/steps", json={"step_token": token, "text": "operator"}, headers=bot
    )
    sign_in(browser, tokens["operator"])
    url = f"/player/sessions/{sid}"
    en = browser.get(url).text
    assert re.search(
        r"This conversation was handed to a person \(queue <strong>[\w.-]+</strong>: "
        r"the customer asked for a person\)\.",
        en,
    )
    ru = browser.get(url, headers={"Accept-Language": "ru"}).text
    assert re.search(
        r"Разговор передан человеку \(очередь <strong>[\w.-]+</strong>: "
        r"клиент попросил соединить его с оператором\)\.",
        ru,
    )
    assert '<button type="submit" class="secondary">Взять разговор</button>' in ru


def test_a_multi_instance_step_says_which_item_on_the_page(
    browser: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(SAMPLES / "mass_outage", key)
    sign_in(browser, tokens["operator"])
    started = browser.post(
        "/api/v1/sessions",
        json={"script": key, "variables": {"district": "Центральный"}},
        headers={"Authorization": f"Bearer {tokens['operator']}"},
    )
    view = started.get_json()
    told = browser.post(
        f"/api/v1/sessions/{view['session_id']}/steps",
        json={"step_token": view["step_token"], "answer": {}},
        headers={"Authorization": f"Bearer {tokens['operator']}"},
    )
    assert told.status_code == 200
    url = f"/player/sessions/{view['session_id']}"
    page = browser.get(url, headers={"Accept-Language": "ru"})
    assert page.status_code == 200
    assert the(page.text, "p", id="step-item")
    assert "Пункт 1 из 2" in page.text and "роутер работает?" in page.text


def test_a_session_waiting_for_an_event_offers_nothing_to_press(
    browser: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(SAMPLES / "mass_outage", key)
    sign_in(browser, tokens["operator"])
    op = {"Authorization": f"Bearer {tokens['operator']}"}
    view = browser.post("/api/v1/sessions", json={"script": key}, headers=op).get_json()
    browser.post(
        f"/api/v1/sessions/{view['session_id']}/steps",
        json={"step_token": view["step_token"], "answer": {}},
        headers=op,
    )
    page = browser.get(f"/player/sessions/{view['session_id']}", headers={"Accept-Language": "ru"})
    assert the(page.text, "article")["data-step-kind"] == "wait"
    assert "Сценарий ждёт события" in page.text and 'http-equiv="refresh"' in page.text
    assert not tags(page.text, "input", name="step_token")  # no answer form on the page


def test_the_scripts_page_lists_only_scripts_a_session_can_start(
    browser: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(SAMPLES / "mass_outage", f"{key}-talk")
    deploy(SAMPLES / "ticket_routing", f"{key}-route")
    sign_in(browser, tokens["operator"])
    page = browser.get("/player/").text
    assert f"{key}-talk" in page
    assert f"{key}-route" not in page  # routing scripts open tickets, not sessions
