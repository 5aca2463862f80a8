"""A step reads the saved state only when it needs it: a workflow kept live at the row's
lock_version is used without its state leaving the database, and a live workflow that is
gone by the time the step wants it has its state read then."""

from __future__ import annotations

from typing import Any

import pytest

from engine.bpmn.live import LiveWorkflows
from engine.sessions import Actor, Engine, Reply, start_session_in, submit_step_in
from engine.sessions.loading import load_session
from tests.conftest import BUNDLES

MENU = BUNDLES / "menu_loop"
pytestmark = pytest.mark.smoke
WHO = Actor("t", "bot")


class _GoneBeforeTaken(LiveWorkflows):
    """Says it holds the workflow when the session is read, has lost it when asked for it."""

    def take(self, instance_id: str, lock_version: int) -> Any | None:
        super().take(instance_id, lock_version)
        return None


def _engine(services: Any, live: LiveWorkflows) -> Engine:
    base = services.engine
    return Engine(runner=base.runner, specs=base.specs, clock=base.clock, live=live)


def _start(services: Any, engine: Engine, key: str) -> Any:
    with services.database.unit_of_work() as uow:
        view, _ = start_session_in(
            uow, engine, script=key, channel="web", variables={}, session_key=None, actor=WHO
        )
    return view


def test_a_live_workflow_spares_reading_the_state(services: Any, deploy: Any, key: str) -> None:
    deploy(MENU, key)
    engine = _engine(services, LiveWorkflows())
    view = _start(services, engine, key)
    db = services.database
    with db.unit_of_work() as uow:
        session = load_session(uow, view.session_id, for_update=True, live=engine.live)
        assert session.state is None  # kept live at this lock_version: not sent
        plain = load_session(uow, view.session_id, for_update=False)
        assert plain.state
    with db.unit_of_work() as uow:
        view = submit_step_in(
            uow, engine, view.session_id, Reply(view.step_token, {"name": "Al"}), WHO
        )
    with db.unit_of_work() as uow:
        view = submit_step_in(
            uow, engine, view.session_id, Reply(view.step_token, {"choice": "again"}), WHO
        )
    assert view.step is not None and view.step.text == "Al, turn 1: again or stop?"
    assert engine.live.hits == 2


def test_a_live_workflow_gone_meanwhile_is_restored_from_state(
    services: Any, deploy: Any, key: str
) -> None:
    deploy(MENU, key)
    engine = _engine(services, _GoneBeforeTaken())
    view = _start(services, engine, key)
    db = services.database
    with db.unit_of_work() as uow:
        view = submit_step_in(
            uow, engine, view.session_id, Reply(view.step_token, {"name": "Bo"}), WHO
        )
    with db.unit_of_work() as uow:
        view = submit_step_in(
            uow, engine, view.session_id, Reply(view.step_token, {"choice": "again"}), WHO
        )
    assert view.step is not None and view.step.text == "Bo, turn 1: again or stop?"
