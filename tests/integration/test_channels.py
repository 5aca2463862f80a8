"""One script, three channels: chat text, IVR digits, handoff to a person and back."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.conftest import SAMPLES, auth
from tests.support.waiting import join_all, tries


def start(client: Any, token: str, key: str, channel: str) -> dict[str, Any]:
    resp = client.post(
        "/api/v1/sessions", json={"script": key, "channel": channel}, headers=auth(token)
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()  # type: ignore[no-any-return]


def say(client: Any, token: str, view: dict[str, Any], **reply: Any) -> Any:
    return client.post(
        f"/api/v1/sessions/{view['session_id']}/steps",
        json={"step_token": view["step_token"], **reply},
        headers=auth(token),
    )


def said(client: Any, token: str, view: dict[str, Any], **reply: Any) -> dict[str, Any]:
    resp = say(client, token, view, **reply)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()  # type: ignore[no-any-return]


@pytest.fixture()
def chat_key(deploy: Any, key: str) -> str:
    deploy(SAMPLES / "chat_bot", key)
    return key


@pytest.mark.smoke
def test_chat_menu_loop_in_free_text(client: Any, tokens: dict[str, str], chat_key: str) -> None:
    bot = tokens["bot"]
    view = start(client, bot, chat_key, "chat")
    assert view["messages"] and view["messages"][0]["type"] == "text"
    assert view["step_id"] == "main_menu"
    assert [b["value"] for b in view["buttons"]] == ["tariff", "balance", "problem", "finish"]
    assert view["input"]["type"] == "choice"
    view = said(client, bot, view, text="Баланс, пожалуйста!")
    assert view["step_id"] == "anything_else"
    assert "350" in " ".join(m["text"] for m in view["messages"])
    view = said(client, bot, view, text="ещё")
    assert view["step_id"] == "main_menu"
    view = said(client, bot, view, text="my plan")
    assert view["step_id"] == "anything_else"
    view = said(client, bot, view, text="Нет, спасибо")
    for _ in tries(10, "the chat to end"):
        if view["status"] != "waiting":
            break
        view = said(client, bot, view, text="ok")
    assert view["status"] == "completed"
    hist = client.get(
        f"/api/v1/sessions/{view['session_id']}/history", headers=auth(bot)
    ).get_json()["history"]
    replies = [h["text"] for h in hist if h["event"] == "left" and h["actor"] == "test-bot"]
    assert replies[:2] == ["Баланс, пожалуйста!", "ещё"]


@pytest.mark.smoke
def test_misses_then_handoff_and_bot_is_paused(
    client: Any, tokens: dict[str, str], chat_key: str
) -> None:
    bot, op = tokens["bot"], tokens["operator"]
    view = start(client, bot, chat_key, "chat")
    assert view["step_id"] == "main_menu"
    first = said(client, bot, view, text="абракадабра")
    assert first["status"] == "waiting" and first["misses"] == 1
    assert first["messages"][0]["text"] == (
        "Извините, не удалось понять ответ (1 из 3): 'абракадабра' не подходит ни к одному"
        " варианту. Пожалуйста, выберите один из вариантов."
    )
    assert first["step_token"] == view["step_token"]
    view = first
    for _ in tries(10, "the misses to hand the chat off"):
        if view["status"] != "waiting":
            break
        view = said(client, bot, view, text="абракадабра")
    assert view["status"] == "handed_off"
    assert view["handoff"]["reason"].startswith("not understood")
    paused = say(client, bot, view, text="баланс")
    assert paused.status_code == 409
    assert "paused" in paused.get_json()["error"]["message"]
    queue = client.get(f"/api/v1/queues/{view['handoff']['queue']}", headers=auth(op)).get_json()[
        "items"
    ]
    item = next(i for i in queue if i["session_id"] == view["session_id"])
    assert item["current_step"] == "main_menu"
    assert item["channel"] == "chat"
    assert any(line["text"] == "абракадабра" for line in item["transcript"])
    assert item["variables"]["balance"] == 350.0


def test_customer_asks_for_a_person_operator_claims_and_hands_back(
    app: Any, client: Any, tokens: dict[str, str], chat_key: str
) -> None:
    bot, op = tokens["bot"], tokens["operator"]
    view = start(client, bot, chat_key, "chat")
    view = said(client, bot, view, text="позовите, пожалуйста, оператора")
    assert view["status"] == "handed_off"
    assert view["handoff"] == {"queue": "operators", "reason": "the customer asked for a person"}
    sid = view["session_id"]

    results: list[int] = []
    barrier = threading.Barrier(2, timeout=10)

    def claim() -> None:
        c = app.test_client()
        barrier.wait()
        results.append(c.post(f"/api/v1/sessions/{sid}/claim", headers=auth(op)).status_code)

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for t in threads:
        t.start()
    join_all(threads, "two operators claiming one session")
    assert sorted(results) == [200, 409]

    current = client.get(f"/api/v1/sessions/{sid}?render=web", headers=auth(op)).get_json()
    assert current["status"] == "handed_off"
    assert current["step"]["id"] == "main_menu"
    resp = client.post(
        f"/api/v1/sessions/{sid}/steps?render=web",
        json={"step_token": current["step_token"], "answer": {"menu_choice": "balance"}},
        headers=auth(op),
    )
    after = resp.get_json()
    assert after["status"] == "handed_off" and after["step"]["id"] == "anything_else"
    back = client.post(f"/api/v1/sessions/{sid}/handback", headers=auth(op))
    assert back.status_code == 200
    resumed = client.get(f"/api/v1/sessions/{sid}?render=chat", headers=auth(bot)).get_json()
    assert resumed["status"] == "waiting"
    done = said(client, bot, resumed, text="нет")
    assert done["status"] == "completed"
    hist = client.get(f"/api/v1/sessions/{sid}/history", headers=auth(op)).get_json()["history"]
    assert [h["event"] for h in hist if h["event"] in ("handoff", "claimed", "handed_back")] == [
        "handoff",
        "claimed",
        "handed_back",
    ]


def test_problem_report_step_needs_a_person(
    client: Any, tokens: dict[str, str], chat_key: str
) -> None:
    bot = tokens["bot"]
    view = start(client, bot, chat_key, "chat")
    view = said(client, bot, view, text="не работает интернет")
    assert view["step_id"] == "problem_description"
    view = said(client, bot, view, text="Пропал интернет после грозы")
    assert view["status"] == "handed_off"
    assert view["handoff"]["queue"] == "support_l1"


@pytest.mark.smoke
def test_ivr_three_levels_by_digits(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(SAMPLES / "ivr_balance", key)
    bot = tokens["bot"]
    view = start(client, bot, key, "ivr")
    assert view["ssml"].startswith("<speak>") and view["ssml"].endswith("</speak>")
    for _ in tries(10, "the IVR to ask for the account number"):
        if view["step_id"] == "account_number":
            break
        view = said(client, bot, view, digits="1")
    view = said(client, bot, view, digits="12345678#")
    assert view["step_id"] == "main_menu"
    assert view["dtmf"]["1"] == "balance" and view["max_digits"] == 1
    view = said(client, bot, view, digits="1")
    assert view["step_id"] == "balance_menu"
    view = said(client, bot, view, digits="3")
    assert view["step_id"] == "pay_methods_menu"
    view = said(client, bot, view, speech="два")
    assert view["step_id"] == "say_pay_method"
    operator = said(client, bot, view, digits="0")
    assert operator["status"] == "handed_off"
    assert operator["handoff"]["reason"] == "the customer asked for a person"


def test_unknown_render_is_400(client: Any, tokens: dict[str, str], chat_key: str) -> None:
    view = start(client, tokens["bot"], chat_key, "chat")
    resp = client.get(
        f"/api/v1/sessions/{view['session_id']}?render=fax", headers=auth(tokens["bot"])
    )
    assert resp.status_code == 400
    assert "fax" in resp.get_json()["error"]["message"]
    ivr = client.get(
        f"/api/v1/sessions/{view['session_id']}?render=ivr", headers=auth(tokens["bot"])
    ).get_json()
    assert ivr["ssml"].startswith("<speak>")


def test_operator_goes_back(client: Any, tokens: dict[str, str], deploy: Any, key: str) -> None:
    deploy(SAMPLES / "internet_outage", key)
    op = tokens["operator"]
    view = start(client, op, key, "web")
    sid = view["session_id"]
    assert view["step"]["id"] == "identify"
    assert view["step"]["can_go_back"] is False
    refused = client.post(
        f"/api/v1/sessions/{sid}/back", json={"step_token": view["step_token"]}, headers=auth(op)
    )
    assert refused.status_code == 409
    view = said(client, op, view, answer={"customer_ref": "123456789"})
    assert view["step"]["id"] != "identify"
    assert view["step"]["can_go_back"] is True
    resp = client.post(
        f"/api/v1/sessions/{sid}/back", json={"step_token": view["step_token"]}, headers=auth(op)
    )
    assert resp.status_code == 200
    back = resp.get_json()
    assert back["step"]["id"] == "identify"
    assert back["step_token"] != view["step_token"]
    again = said(client, op, back, answer={"customer_ref": "+79001234567"})
    assert again["step"]["id"] == view["step"]["id"]
    hist = client.get(f"/api/v1/sessions/{sid}/history", headers=auth(op)).get_json()["history"]
    went_back = [h for h in hist if h["event"] == "back"]
    assert len(went_back) == 1 and "discarded" in went_back[0]["text"]
    answers = [h["answer"] for h in hist if h["event"] == "left" and h["element"] == "identify"]
    assert answers == [{"customer_ref": "123456789"}, {"customer_ref": "+79001234567"}]


def test_automation_rate(client: Any, tokens: dict[str, str], chat_key: str) -> None:
    bot = tokens["bot"]
    for _ in range(3):
        view = start(client, bot, chat_key, "chat")
        view = said(client, bot, view, text="завершить")
        for _ in tries(10, "the chat to end"):
            if view["status"] != "waiting":
                break
            view = said(client, bot, view, text="ok")
        assert view["status"] == "completed"
    view = start(client, bot, chat_key, "chat")
    assert said(client, bot, view, text="оператор")["status"] == "handed_off"
    start(client, bot, chat_key, "chat")  # still waiting
    figures = client.get(
        f"/api/v1/analytics/scripts/{chat_key}", headers=auth(tokens["methodologist"])
    ).get_json()
    assert figures["sessions"] == 5
    assert figures["automated"] == 3 and figures["handed_off"] == 1
    assert figures["automation_rate"] == 0.75
    assert figures["handoff_reasons"] == [{"reason": "the customer asked for a person", "count": 1}]
    assert figures["handoffs_by_code"] == {"customer_asked": 1}
    assert figures["waiting_at_step"] == [{"step": "main_menu", "count": 1}]
    assert client.get(f"/api/v1/analytics/scripts/{chat_key}", headers=auth(bot)).status_code == 403
    metrics = client.get("/metrics").data.decode()
    assert f'cuebook_sessions_ended_total{{outcome="automated",script="{chat_key}"}} 3.0' in metrics
    assert (
        f'cuebook_handoffs_total{{queue="operators",script="{chat_key}",why="customer_asked"}} 1.0'
        in metrics
    )


def test_operator_lane_hands_a_bot_session_to_a_person(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    from tests.conftest import BUNDLES

    features = BUNDLES / "features"
    text = (features / "features.bpmn").read_bytes().replace(b'name="Bot"', b'name="Operator"')
    deploy(features, key, {"features.bpmn": text})
    bot = start(client, tokens["bot"], key, "chat")
    assert bot["status"] == "handed_off"
    assert bot["handoff"] == {"queue": "operators", "reason": "step ask needs a person"}
    web = start(client, tokens["operator"], key, "web")
    assert web["status"] == "waiting" and web["step"]["id"] == "ask"
