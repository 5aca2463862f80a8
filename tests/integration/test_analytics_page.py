"""/editor/scripts/{key}/analytics without a browser: who may see it, the figures it
renders (English and Russian), the range and version chosen in its form, bad input."""

from __future__ import annotations

from typing import Any

from tests.conftest import auth
from tests.integration.test_script_analytics import CHAT_BOT, run_sessions


def page(client: Any, token: str | None, key: str, lang: str = "en", **query: Any) -> Any:
    headers = {"Accept-Language": lang, **(auth(token) if token else {})}
    return client.get(f"/editor/scripts/{key}/analytics", query_string=query, headers=headers)


def test_the_page_shows_the_figures(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(CHAT_BOT, key)
    run_sessions(client, tokens["bot"], key)
    resp = page(client, tokens["methodologist"], key)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert '<a href="/editor/">Back to the editor</a>' in html
    assert '<dd data-figure="started">5</dd>' in html
    assert '<dd data-figure="handed_off">1</dd>' in html
    assert '<dd data-figure="automation_rate">75%</dd>' in html
    assert 'data-stage="step" data-element="operator_takeover"' in html
    assert '<tr data-channel="ivr">' in html
    assert "Главное меню" in html  # element names from the diagram
    assert (
        'id="analytics-data"' in html
        and "default-src 'self'" in resp.headers["Content-Security-Policy"]
    )
    ru = page(client, tokens["methodologist"], key, "ru").get_data(as_text=True)
    assert '<html lang="ru">' in ru and "Назад в редактор" in ru and "Воронка" in ru
    diagram = client.get(
        f"/editor/scripts/{key}/analytics/diagram?version=1", headers=auth(tokens["admin"])
    )
    assert diagram.status_code == 200 and b"main_menu" in diagram.data


def test_the_form_chooses_range_and_version(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(CHAT_BOT, key)
    run_sessions(client, tokens["bot"], key)
    m = tokens["methodologist"]
    empty = page(client, m, key, **{"from": "2020-01-01", "to": "2020-01-02", "version": "1"})
    assert empty.status_code == 200
    text = empty.get_data(as_text=True)
    assert '<dd data-figure="started">0</dd>' in text
    assert "No sessions started in this range." in text
    assert 'value="2020-01-01"' in text and 'value="2020-01-02"' in text
    bad = page(client, m, key, **{"from": "someday"})
    assert bad.status_code == 422 and "from: not a date" in bad.get_data(as_text=True)
    assert page(client, m, key, version="x").status_code == 422
    assert page(client, m, key, version="7").status_code == 404
    assert page(client, m, "no-such-script").status_code == 404
    assert page(client, m, f"{key}~draft").status_code == 404


def test_who_may_see_it(client: Any, tokens: dict[str, str], deploy: Any, key: str) -> None:
    deploy(CHAT_BOT, key)
    nobody = page(client, None, key)
    assert nobody.status_code == 303
    assert nobody.headers["Location"].startswith("/editor/signin?next=/editor/scripts/")
    assert page(client, tokens["operator"], key).status_code == 403
    assert page(client, tokens["bot"], key).status_code == 403
    assert page(client, "not-a-token", key).status_code == 401
    assert page(client, tokens["admin"], key).status_code == 200
    with client.get("/editor/scripts/analytics-assets/analytics.js") as asset:
        assert asset.status_code == 200 and b"BpmnJS" in asset.data


def test_the_editors_sign_in_leads_to_the_page(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    """No token: the editor's sign-in, then back to the page with the editor's cookie."""
    deploy(CHAT_BOT, key)
    target = page(client, None, key).headers["Location"]
    form = client.get(target)
    assert form.status_code == 200
    with client.session_transaction() as kept:
        csrf = kept["csrf"]
    signed = client.post(
        "/editor/signin",
        data={
            "token": tokens["methodologist"],
            "csrf_token": csrf,
            "next": f"/editor/scripts/{key}/analytics",
        },
    )
    assert signed.status_code == 303
    assert signed.headers["Location"].endswith(f"/editor/scripts/{key}/analytics")
    shown = page(client, None, key)
    assert shown.status_code == 200 and "test-methodologist" in shown.get_data(as_text=True)
