"""A dialogue that loops 1,000 times keeps working; its task tree stays small."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine.bpmn.bundle import bundle_from_path
from engine.sessions import Actor, Reply, start_session_in, submit_step_in
from engine.versions import deploy
from tests.conftest import BUNDLES

pytestmark = pytest.mark.smoke


def test_thousand_turns(services: Any, key: str) -> None:
    engine, db = services.engine, services.database
    who = Actor("loop-test", "bot")
    with db.unit_of_work() as uow:
        deploy(
            uow,
            engine.specs,
            key,
            bundle_from_path(BUNDLES / "menu_loop"),
            publish=True,
            actor="t",
            now=engine.clock(),
        )
    with db.unit_of_work() as uow:
        view, _ = start_session_in(
            uow, engine, script=key, channel="chat", variables={}, session_key=None, actor=who
        )
    with db.unit_of_work() as uow:
        view = submit_step_in(
            uow, engine, view.session_id, Reply(view.step_token or "", {"name": "Loop"}), who
        )
    sizes = []
    for turn in range(1000):
        with db.unit_of_work() as uow:
            view = submit_step_in(
                uow, engine, view.session_id, Reply(view.step_token or "", {"choice": "again"}), who
            )
            assert view.status == "waiting", f"stalled at turn {turn}"
            assert (
                view.step is not None and view.step.text == f"Loop, turn {turn + 1}: again or stop?"
            )
            if turn % 100 == 99:
                state = uow.instances.get(view.session_id)["state"]
                sizes.append(len(json.loads(state)["tasks"]))
    with db.unit_of_work() as uow:
        view = submit_step_in(
            uow, engine, view.session_id, Reply(view.step_token or "", {"choice": "stop"}), who
        )
    assert view.status == "completed"
    assert view.step is not None and view.step.text == "Bye, Loop: 1001 turns."
    assert max(sizes) < 80, sizes
