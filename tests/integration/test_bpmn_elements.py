"""Every BPMN element SpiffWorkflow runs, start to end through the API: plain tasks, link
events, standard loops, data objects and process I/O, multi-instance activities, signals,
escalations, compensation, conditional events, send and receive tasks. Each test also
resumes a session from its saved state between steps (the live workflow is dropped)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import BUNDLES, auth

pytestmark = pytest.mark.smoke


def start(client: Any, token: str, key: str, **body: Any) -> dict[str, Any]:
    resp = client.post(
        "/api/v1/sessions?render=web", json={"script": key, **body}, headers=auth(token)
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()  # type: ignore[no-any-return]


def step(client: Any, token: str, view: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    resp = client.post(
        f"/api/v1/sessions/{view['session_id']}/steps?render=web",
        json={"step_token": view["step_token"], "answer": answer},
        headers=auth(token),
    )
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()  # type: ignore[no-any-return]


def reload(client: Any, services: Any, token: str, view: dict[str, Any]) -> dict[str, Any]:
    """The session as read back from its saved state alone."""
    services.engine.live.clear()
    resp = client.get(f"/api/v1/sessions/{view['session_id']}?render=web", headers=auth(token))
    assert resp.status_code == 200
    return resp.get_json()  # type: ignore[no-any-return]


def left(client: Any, token: str, sid: str) -> list[str]:
    rows = client.get(f"/api/v1/sessions/{sid}/history", headers=auth(token)).get_json()
    return [h["element"] for h in rows["history"] if h["event"] == "left"]


def test_plain_task_links_loop_and_data_objects(
    client: Any, services: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(BUNDLES / "elements_flow", key)
    op = tokens["operator"]
    view = start(client, op, key, variables={"customer": {"name": "Ivanova"}})
    assert view["status"] == "waiting"
    assert view["step"]["id"] == "look" and view["step"]["kind"] == "message"
    assert view["step"]["text"] == "Account of Ivanova"
    view = reload(client, services, op, view)
    view = step(client, op, view, {})
    assert view["step"]["id"] == "confirm"
    assert view["step"]["text"] == "counted 3 after 3 tries"
    assert "jump" in left(client, op, view["session_id"])
    view = reload(client, services, op, view)
    view = step(client, op, view, {"ok": True})
    assert view["status"] == "completed"


def test_signals_escalation_conditions_send_and_receive(
    client: Any, services: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(BUNDLES / "elements_events", key)
    op, bot, admin = tokens["operator"], tokens["bot"], tokens["admin"]
    vip = start(client, op, key, session_key=f"{key}-vip", variables={"vip": True})
    plain = start(client, op, key, session_key=f"{key}-plain", variables={"vip": False})
    for view in (vip, plain):
        assert view["status"] == "waiting" and view["step"]["id"] == "wait_fix"
    services.engine.live.clear()

    nobody = client.post("/api/v1/signals/no_such_signal", json={}, headers=auth(bot))
    assert nobody.status_code == 200 and nobody.get_json()["delivered_to"] == []
    refused = client.post("/api/v1/signals/outage_fixed", json={}, headers=auth(op))
    assert refused.status_code == 403
    sent = client.post("/api/v1/signals/outage_fixed", json={"script": key}, headers=auth(admin))
    assert sent.status_code == 200, sent.get_json()
    assert sorted(sent.get_json()["delivered_to"]) == sorted(
        [vip["session_id"], plain["session_id"]]
    )

    vip = reload(client, services, op, vip)
    assert vip["step"]["id"] == "await_reply"  # the receive task waits for the customer
    ran = left(client, op, vip["session_id"])
    assert {"wait_fix", "book", "raise_vip", "mark_vip", "sub", "notify"} <= set(ran)
    history = client.get(f"/api/v1/sessions/{vip['session_id']}/history", headers=auth(op))
    caught = [h for h in history.get_json()["history"] if h["element"] == "wait_fix"]
    assert caught[-1]["event"] == "left" and caught[-1]["actor"] == "test-admin"

    reply = client.post(
        "/api/v1/messages",
        json={"name": "callback_reply", "correlation_key": f"{key}-vip", "payload": {}},
        headers=auth(bot),
    )
    assert reply.status_code == 200 and reply.get_json()["delivered_to"] == [vip["session_id"]]
    for view in (vip, plain):
        if view is plain:
            client.post(
                "/api/v1/messages",
                json={"name": "callback_reply", "correlation_key": f"{key}-plain"},
                headers=auth(bot),
            )
    plain = reload(client, services, op, plain)
    vip = reload(client, services, op, vip)
    assert vip["step"]["id"] == plain["step"]["id"] == "survey"

    # The VIP session answers; the escalation set level > 0, so the conditional event lets it
    # through, and its signal end event ends the other session's survey by its boundary event.
    vip = step(client, op, vip, {})
    assert vip["status"] == "completed"
    plain = reload(client, services, op, plain)
    assert plain["status"] == "completed"
    assert "survey_skipped" in left(client, op, plain["session_id"])


def test_a_conditional_event_waits_until_its_data_holds(
    client: Any, services: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(BUNDLES / "elements_condition", key)
    op = tokens["operator"]
    view = start(client, op, key)
    assert view["step"]["id"] == "ask"
    assert "ship" not in left(client, op, view["session_id"])  # waits for the payment
    view = reload(client, services, op, view)
    view = step(client, op, view, {"paid": True})
    assert view["status"] == "completed"
    assert {"record", "until_paid", "ship", "join"} <= set(left(client, op, view["session_id"]))


def test_multi_instance_steps_say_which_item_in_every_channel(
    client: Any, services: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(BUNDLES / "elements_multi", key)
    op = tokens["operator"]
    variables = {"products": ["tea", "milk"], "approvers": ["ann", "bob"]}
    view = start(client, op, key, variables=variables)
    assert view["step"]["id"] == "rate" and view["step"]["text"] == "How good is tea?"
    assert view["step"]["item"] == {"index": 1, "count": 2}
    sid = view["session_id"]
    chat = client.get(f"/api/v1/sessions/{sid}?render=chat", headers=auth(op)).get_json()
    assert chat["messages"][0]["text"].startswith("Item 1 of 2.")
    ivr = client.get(f"/api/v1/sessions/{sid}?render=ivr", headers=auth(op)).get_json()
    assert "Item 1 of 2." in str(ivr)

    view = step(client, op, reload(client, services, op, view), {"score": 4})
    assert view["step"]["item"] == {"index": 2, "count": 2}
    assert view["step"]["text"] == "How good is milk?"
    view = step(client, op, reload(client, services, op, view), {"score": 2})
    # The sequential script task doubled each score; the cardinality loop stopped early by
    # its completion condition; the parallel manual task waits once per approver.
    assert view["step"]["id"] == "approve" and view["step"]["item"]["count"] == 2
    ran = left(client, op, sid)
    assert ran.count("tick") < 6 and {"check", "rate"} <= set(ran)
    texts = set()
    for _ in range(2):
        texts.add(view["step"]["text"])
        view = step(client, op, reload(client, services, op, view), {})
    assert texts == {"Approver ann", "Approver bob"}
    assert view["status"] == "completed"


@pytest.mark.parametrize(
    ("in_stock", "end_text"), [(True, "The order is placed."), (False, "The order was cancelled.")]
)
def test_a_transaction_is_cancelled_through_its_cancel_boundary(
    client: Any,
    services: Any,
    tokens: dict[str, str],
    deploy: Any,
    key: str,
    in_stock: bool,
    end_text: str,
) -> None:
    deploy(BUNDLES / "elements_transaction", key)
    op = tokens["operator"]
    view = start(client, op, key)
    assert view["step"]["id"] == "stock"
    view = step(client, op, reload(client, services, op, view), {"in_stock": in_stock})
    assert view["status"] == "completed" and view["step"]["text"] == end_text
    assert ("oncancel" in left(client, op, view["session_id"])) is not in_stock


def test_the_mass_outage_sample_waits_for_its_district_and_checks_each_device(
    client: Any, services: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    from tests.conftest import SAMPLES

    deploy(SAMPLES / "mass_outage", key)
    bot, admin = tokens["bot"], tokens["admin"]
    ours = start(client, bot, key, channel="chat", variables={"district": "Северный"})
    other = start(client, bot, key, channel="chat", variables={"district": "Заречный"})
    calm = start(client, bot, key, channel="chat", variables={"district": "Центральный"})
    assert calm["step"]["id"] == "no_outage"  # no outage there: told so, then the check
    assert step(client, bot, calm, {})["step"]["id"] == "check_devices"
    for view in (ours, other):
        assert view["step"]["id"] == "tell_outage"
        view = step(client, bot, view, {})
        assert view["step"]["id"] == "wait_fix" and view["step"]["kind"] == "wait"
        assert view["step"]["title"] == "Авария устранена"
        assert "Ждём восстановления" in view["step"]["text"]
    sid = ours["session_id"]
    chat = client.get(f"/api/v1/sessions/{sid}?render=chat", headers=auth(bot)).get_json()
    assert chat["buttons"] == [] and chat["input"]["type"] == "none"  # nothing to press
    ivr = client.get(f"/api/v1/sessions/{sid}?render=ivr", headers=auth(bot)).get_json()
    assert ivr["expects"] == "none"

    sent = client.post(
        "/api/v1/signals/outage_fixed",
        json={"script": key, "payload": {"district": "Северный"}},
        headers=auth(admin),
    )
    assert sorted(sent.get_json()["delivered_to"]) == sorted(
        [ours["session_id"], other["session_id"]]
    )
    other = reload(client, services, bot, other)
    assert other["step"]["id"] == "wait_fix"  # another district's repair: waits on
    ours = reload(client, services, bot, ours)
    assert ours["step"]["id"] == "fixed_notice"
    assert ours["step"]["can_go_back"] is False  # never back past the signal it waited for
    unknown = client.post(
        "/api/v1/signals/outage_fixed", json={"script": "no-such-script"}, headers=auth(admin)
    )
    assert unknown.status_code == 404
    ours = step(client, bot, ours, {})
    chat = client.get(
        f"/api/v1/sessions/{ours['session_id']}?render=chat", headers=auth(bot)
    ).get_json()
    assert chat["messages"][0]["text"].startswith("Пункт 1 из 2.")
    assert "роутер работает?" in chat["messages"][0]["text"]
    ours = step(client, bot, ours, {"device_ok": "yes"})
    assert ours["step"]["item"] == {"index": 2, "count": 2}
    ours = step(client, bot, ours, {"device_ok": "no"})
    assert ours["status"] == "handed_off"
    assert ours["handoff"]["queue"] == "line_support"


def test_a_data_store_is_a_table_the_bundle_ships(
    client: Any, services: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(BUNDLES / "elements_store", key)
    op = tokens["operator"]
    view = start(client, op, key, variables={"tariff_code": "home500"})
    assert view["step"]["id"] == "tell" and view["step"]["text"] == "Домашний 500: 890 ₽"
    state = services.database.unit_of_work
    with state() as uow:
        saved = uow.instances.state_of(view["session_id"]) or ""
    assert "home100" not in saved  # the table is read while the task runs, never saved
    view = step(client, op, reload(client, services, op, view), {})
    assert view["status"] == "completed"


def test_a_message_step_takes_the_continue_buttons_own_value(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(BUNDLES / "elements_flow", key)
    bot = tokens["bot"]
    view = start(client, bot, key, channel="chat", variables={"customer": {"name": "Ivanova"}})
    chat = client.get(f"/api/v1/sessions/{view['session_id']}?render=chat", headers=auth(bot))
    (button,) = chat.get_json()["buttons"]
    assert button["value"] is None  # what a bot platform sends back as the answer
    sent = client.post(
        f"/api/v1/sessions/{view['session_id']}/steps?render=web",
        json={"step_token": view["step_token"], "answer": button["value"]},
        headers=auth(bot),
    )
    assert sent.status_code == 200, sent.get_json()
    assert sent.get_json()["step"]["id"] == "confirm"
    again = client.post(
        f"/api/v1/sessions/{view['session_id']}/steps",
        json={"step_token": sent.get_json()["step_token"]},
        headers=auth(bot),
    )
    assert again.status_code == 400  # a form step still needs an answer
    assert "answer, text, digits, speech" in again.get_json()["error"]["message"]
