"""A step never changes more than it should: rolled-back steps leave no trace in any worker's
memory, answers set only their form's fields, bad input is refused before anything changes."""

from __future__ import annotations

from typing import Any

import pytest

from engine.bpmn.live import LiveWorkflows
from engine.sessions import Actor, Engine, Reply, get_session_in, start_session_in, submit_step_in
from tests.conftest import BUNDLES, auth

MENU = BUNDLES / "menu_loop"
pytestmark = pytest.mark.smoke


class _Abort(Exception):
    pass


def test_a_rolled_back_step_is_not_remembered(services: Any, deploy: Any, key: str) -> None:
    deploy(MENU, key)
    worker_a = services.engine
    worker_b = Engine(
        runner=worker_a.runner, specs=worker_a.specs, clock=worker_a.clock, live=LiveWorkflows()
    )
    who = Actor("t", "bot")
    db = services.database
    with db.unit_of_work() as uow:
        view, _ = start_session_in(
            uow, worker_a, script=key, channel="web", variables={}, session_key=None, actor=who
        )
    with pytest.raises(_Abort), db.unit_of_work() as uow:
        submit_step_in(
            uow, worker_a, view.session_id, Reply(view.step_token or "", {"name": "Lost"}), who
        )
        raise _Abort  # the transaction rolls back after the engine ran
    with db.unit_of_work() as uow:
        submit_step_in(
            uow, worker_b, view.session_id, Reply(view.step_token or "", {"name": "Kept"}), who
        )
    with db.unit_of_work() as uow:
        current = get_session_in(uow, worker_a, view.session_id)
        after = submit_step_in(
            uow,
            worker_a,
            view.session_id,
            Reply(current.step_token or "", {"choice": "again"}),
            who,
        )
    assert after.step is not None and after.step.text == "Kept, turn 1: again or stop?"


def test_an_answer_sets_only_its_form_fields(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(MENU, key)
    bot = auth(tokens["bot"])
    view = client.post("/api/v1/sessions", json={"script": key}, headers=bot).get_json()
    view = client.post(
        f"/api/v1/sessions/{view['session_id']}/steps",
        json={"step_token": view["step_token"], "answer": {"name": "Ann", "turns": 999}},
        headers=bot,
    ).get_json()
    assert view["step"]["text"] == "Ann, turn 0: again or stop?"


def test_bad_input_is_refused_before_anything_changes(
    client: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(MENU, key)
    bot = auth(tokens["bot"])
    long_key = client.post(
        "/api/v1/sessions", json={"script": key, "session_key": "k" * 201}, headers=bot
    )
    assert long_key.status_code == 422
    assert long_key.get_json()["error"]["details"][0]["path"] == "session_key"
    view = client.post(
        "/api/v1/sessions", json={"script": key, "channel": "chat"}, headers=bot
    ).get_json()
    sid = view["session_id"]
    nul = client.post(
        f"/api/v1/sessions/{sid}/steps",
        json={"step_token": view["step_token"], "text": "a\x00b"},
        headers=bot,
    )
    assert nul.status_code == 422 and nul.get_json()["error"]["details"][0]["path"] == "text"
    bogus = client.post(
        f"/api/v1/sessions/{sid}/steps?render=fax",
        json={"step_token": view["step_token"], "answer": {"name": "Ann"}},
        headers=bot,
    )
    assert bogus.status_code == 400
    same = client.get(f"/api/v1/sessions/{sid}", headers=bot).get_json()
    assert same["step_token"] == view["step_token"] and same["step_id"] == "name"
    assert client.get("/api/v1/sessions/abc%00def", headers=bot).status_code in (400, 404)
