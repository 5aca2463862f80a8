"""GET /api/v1/scripts/{key}/analytics: real sessions through the API (several paths, a
handoff, one left waiting), then exact counts per element, drop-off, paths, automation per
channel, the version and range filters; the worker's rollup gives the live read's answer,
and passes (also two at once) never count a row twice."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from engine.analytics import AnalyticsRange, roll_up_history, script_analytics
from engine.analytics.rollup import cursor_position
from engine.persistence.tables import history, instances
from tests.conftest import SAMPLES, auth
from tests.support.waiting import wait_until
from tests.support.worker_env import worker_env

CHAT_BOT = SAMPLES / "chat_bot"
CUEBOOK = Path(sys.executable).parent / "cuebook"


def start(client: Any, token: str, key: str, channel: str) -> dict[str, Any]:
    resp = client.post(
        "/api/v1/sessions", json={"script": key, "channel": channel}, headers=auth(token)
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()  # type: ignore[no-any-return]


def answer(client: Any, token: str, view: dict[str, Any], **fields: Any) -> dict[str, Any]:
    resp = client.post(
        f"/api/v1/sessions/{view['session_id']}/steps",
        json={"step_token": view["step_token"], "answer": fields},
        headers=auth(token),
    )
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()  # type: ignore[no-any-return]


def walk(client: Any, bot: str, key: str, channel: str, *choices: dict[str, Any]) -> dict[str, Any]:
    view = start(client, bot, key, channel)
    for fields in choices:
        view = answer(client, bot, view, **fields)
    return view


def run_sessions(client: Any, bot: str, key: str) -> None:
    """Five sessions of the chat bot: finish at once (chat); balance then no (chat and
    ivr); a problem, handed to a person (chat); one left at the menu (chat)."""
    finish, balance, no = {"menu_choice": "finish"}, {"menu_choice": "balance"}, {"more": "no"}
    assert walk(client, bot, key, "chat", finish)["status"] == "completed"
    assert walk(client, bot, key, "chat", balance, no)["status"] == "completed"
    assert walk(client, bot, key, "ivr", balance, no)["status"] == "completed"
    problem = walk(
        client, bot, key, "chat", {"menu_choice": "problem"}, {"problem_text": "no internet"}
    )
    assert problem["status"] == "handed_off"
    assert walk(client, bot, key, "chat")["status"] == "waiting"


@pytest.fixture()
def chat_key(deploy: Any, key: str, client: Any, tokens: dict[str, str]) -> str:
    deploy(CHAT_BOT, key)
    run_sessions(client, tokens["bot"], key)
    return key


def get(client: Any, token: str, key: str, **query: Any) -> Any:
    return client.get(f"/api/v1/scripts/{key}/analytics", query_string=query, headers=auth(token))


LATER = timedelta(hours=2)  # past CUEBOOK_ABANDONED_AFTER (30 min): the waiting one is abandoned


@pytest.fixture()
def later(services: Any, monkeypatch: pytest.MonkeyPatch) -> datetime:
    """The app's clock two hours on (sessions are not touched; only 'now' moves)."""
    moment = datetime.now(UTC) + LATER
    monkeypatch.setattr(services.engine, "clock", lambda: moment)
    return moment


COUNTS = ("sessions", "entered", "left", "ended", "handed_off", "failed", "abandoned", "dropped")


def by_element(figures: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    return {e["element"]: tuple(e[c] for c in COUNTS) for e in figures["elements"]}


@pytest.mark.smoke
def test_counts_drop_off_paths_and_channels(
    client: Any, tokens: dict[str, str], chat_key: str, later: datetime
) -> None:
    resp = get(client, tokens["methodologist"], chat_key)
    assert resp.status_code == 200, resp.get_json()
    figures = resp.get_json()
    assert (figures["script"], figures["version"], figures["bucket"]) == (chat_key, 1, "hour")
    s = figures["sessions"]
    assert (s["started"], s["completed"], s["failed"], s["handed_off"], s["abandoned"]) == (
        5, 3, 0, 1, 1,
    )  # fmt: skip
    assert (s["automated"], s["automation_rate"]) == (3, 0.75)
    # sessions, entered, left, ended, handed off, failed, abandoned, dropped
    assert by_element(figures) == {
        "start": (5, 0, 5, 0, 0, 0, 0, 0),
        "gw_menu": (5, 0, 5, 0, 0, 0, 0, 0),
        "main_menu": (5, 5, 4, 0, 0, 0, 1, 1),
        "gw_choice": (4, 0, 4, 0, 0, 0, 0, 0),
        "gw_bye": (3, 0, 3, 0, 0, 0, 0, 0),
        "end": (3, 0, 3, 3, 0, 0, 0, 0),
        "balance_info": (2, 0, 2, 0, 0, 0, 0, 0),
        "gw_answered": (2, 0, 2, 0, 0, 0, 0, 0),
        "anything_else": (2, 2, 2, 0, 0, 0, 0, 0),
        "gw_more": (2, 0, 2, 0, 0, 0, 0, 0),
        "problem_description": (1, 1, 1, 0, 0, 0, 0, 0),
        "register_problem": (1, 0, 1, 0, 0, 0, 0, 0),
        "operator_takeover": (1, 1, 0, 0, 1, 0, 0, 1),
    }
    rates = {e["element"]: e["drop_rate"] for e in figures["elements"]}
    assert (rates["main_menu"], rates["operator_takeover"], rates["anything_else"]) == (
        0.2, 1.0, 0.0,
    )  # fmt: skip
    names = {e["element"]: e["name"] for e in figures["elements"]}
    assert names["main_menu"] == "Главное меню"
    timed = {e["element"]: e["timed"] for e in figures["elements"] if e["timed"]}
    # main_menu: left for the next step or the end by 4 of 5 (one still waits)
    assert timed == {"main_menu": 4, "anything_else": 2, "problem_description": 1}
    menu = next(e for e in figures["elements"] if e["element"] == "main_menu")
    assert 0 <= menu["p50_seconds"] <= menu["p90_seconds"] < 60
    assert [(p["steps"], p["sessions"]) for p in figures["paths"]] == [
        (["main_menu", "anything_else", "end"], 2),
        (["main_menu", "end"], 1),
    ]
    channels = {c["channel"]: c for c in figures["channels"]}
    assert set(channels) == {"chat", "ivr"}
    assert (channels["chat"]["started"], channels["chat"]["automated"]) == (4, 2)
    assert (channels["chat"]["handed_off"], channels["chat"]["automation_rate"]) == (1, 0.6667)
    assert (channels["ivr"]["started"], channels["ivr"]["automation_rate"]) == (1, 1.0)
    funnel = [(f["stage"], f["element"], f["sessions"]) for f in figures["funnel"]]
    assert funnel == [
        ("started", None, 5),
        ("step", "main_menu", 5),
        ("step", "anything_else", 2),
        ("step", "operator_takeover", 1),
        ("step", "problem_description", 1),
        ("completed", None, 3),
    ]


def test_not_abandoned_before_the_threshold(
    client: Any, tokens: dict[str, str], chat_key: str
) -> None:
    figures = get(client, tokens["methodologist"], chat_key).get_json()
    assert figures["sessions"]["abandoned"] == 0
    menu = next(e for e in figures["elements"] if e["element"] == "main_menu")
    assert (menu["abandoned"], menu["dropped"]) == (0, 0)


def test_version_and_range_filters(
    client: Any, tokens: dict[str, str], chat_key: str, deploy: Any
) -> None:
    m = tokens["methodologist"]
    manifest = (CHAT_BOT / "cuebook.json").read_text(encoding="utf-8")
    deploy(CHAT_BOT, chat_key, {"cuebook.json": manifest.replace("Чат-бот", "Бот").encode()})
    walk(client, tokens["bot"], chat_key, "chat", {"menu_choice": "finish"})
    v2 = get(client, m, chat_key).get_json()  # the published version: 2
    assert v2["version"] == 2 and v2["sessions"]["started"] == 1
    assert [p["steps"] for p in v2["paths"]] == [["main_menu", "end"]]
    v1 = get(client, m, chat_key, version=1).get_json()
    assert v1["version"] == 1 and v1["sessions"]["started"] == 5
    now = datetime.now(UTC)
    past = get(client, m, chat_key, version=1, **{"from": "2020-01-01", "to": "2020-01-31"})
    assert past.status_code == 200
    gone = past.get_json()
    assert gone["sessions"]["started"] == 0 and gone["elements"] == [] and gone["paths"] == []
    assert (gone["from"], gone["to"]) == ("2020-01-01T00:00:00+00:00", "2020-02-01T00:00:00+00:00")
    hour = now.replace(minute=0, second=0, microsecond=0)
    this_hour = get(
        client, m, chat_key, version=1, **{"from": hour.isoformat(), "to": hour.isoformat()}
    )
    got = this_hour.get_json()
    assert got["from"] == hour.isoformat() and got["to"] == (hour + timedelta(hours=1)).isoformat()
    assert got["sessions"]["started"] == 5  # the sessions ran this hour (range cut at hours)
    ahead = {"from": (hour + timedelta(hours=1)).isoformat(), "to": "2100-01-01"}
    assert get(client, m, chat_key, version=1, **ahead).get_json()["sessions"]["started"] == 0


def test_unknown_and_bad_input(client: Any, tokens: dict[str, str], chat_key: str) -> None:
    m = tokens["methodologist"]
    missing = get(client, m, "no-such-script")
    assert missing.status_code == 404
    assert "no-such-script" in missing.get_json()["error"]["message"]
    draft = get(client, m, f"{chat_key}~draft")
    assert draft.status_code == 404
    version = get(client, m, chat_key, version=9)
    assert version.status_code == 404
    assert version.get_json()["error"]["details"][0]["path"] == "version"
    reversed_ = get(client, m, chat_key, **{"from": "2026-02-01", "to": "2026-01-01"})
    assert reversed_.status_code == 422
    assert reversed_.get_json()["error"]["details"][0]["path"] == "from"
    wrong = (("from", "yesterday"), ("to", "2026-13-01"), ("to", "0001-01-01"), ("version", "two"))
    for field, value in wrong:
        bad = get(client, m, chat_key, **{field: value})
        assert bad.status_code == 422, (field, bad.get_json())
        assert bad.get_json()["error"]["details"][0]["path"] == field
    assert get(client, tokens["operator"], chat_key).status_code == 403
    assert get(client, tokens["bot"], chat_key).status_code == 403
    assert get(client, tokens["admin"], chat_key).status_code == 200


def read(services: Any, key: str, *, rollup: bool, version: int = 1) -> dict[str, Any]:
    now = datetime.now(UTC)
    span = AnalyticsRange.cut(None, None, now=now)
    with services.database.unit_of_work() as uow:
        figures = script_analytics(
            uow, key, version=version, span=span, now=now, abandoned_after=1800, rollup=rollup
        )
    figures.pop("rolled_up_through")
    return figures


def roll_up_all(services: Any) -> None:
    """Passes until the rollup holds every history row there was when called (a write to
    the history still in flight holds it back until it ends)."""
    with services.database.unit_of_work() as uow:
        highest = uow.conn.exec_driver_sql("SELECT max(id) FROM history").scalar()

    def caught_up() -> bool:
        roll_up_history(services.database, now=datetime.now(UTC), batch=7)
        with services.database.unit_of_work() as uow:
            return cursor_position(uow) >= highest

    wait_until(caught_up, "the rollup to reach the history's end", timeout=60, every=0.1)


@pytest.mark.smoke
def test_rollup_gives_the_live_answer_and_counts_once(
    client: Any, tokens: dict[str, str], chat_key: str, services: Any
) -> None:
    live = read(services, chat_key, rollup=False)
    assert live["sessions"]["started"] == 5
    roll_up_all(services)
    assert read(services, chat_key, rollup=True) == live
    with services.database.unit_of_work() as uow:
        folded = cursor_position(uow)
    # more sessions after the rollup: the answer adds the rows past the cursor
    walk(client, tokens["bot"], chat_key, "chat", {"menu_choice": "finish"})
    view = walk(client, tokens["bot"], chat_key, "ivr", {"menu_choice": "balance"})
    assert view["status"] == "waiting"
    live = read(services, chat_key, rollup=False)
    assert live["sessions"]["started"] == 7
    assert read(services, chat_key, rollup=True) == live
    with services.database.unit_of_work() as uow:
        assert cursor_position(uow) == folded  # nothing folded meanwhile: the tail was live
    # a pass ends when its time is up: with none left, after its first batch
    for _ in range(6):
        assert (
            roll_up_history(services.database, now=datetime.now(UTC), batch=3, max_seconds=0) <= 3
        )
    # the ivr session finishes across the cursor; two workers pass at once, then again
    roll_up_all(services)
    answer(client, tokens["bot"], view, more="no")
    passes = [threading.Thread(target=roll_up_all, args=(services,)) for _ in range(2)]
    for t in passes:
        t.start()
    for t in passes:
        t.join(60)
    roll_up_all(services)
    roll_up_all(services)
    live = read(services, chat_key, rollup=False)
    assert live["sessions"]["completed"] == 5
    assert read(services, chat_key, rollup=True) == live


def test_a_drafts_test_sessions_never_count(
    client: Any, tokens: dict[str, str], chat_key: str, services: Any
) -> None:
    m = auth(tokens["methodologist"])
    draft = client.post("/api/v1/drafts", json={"script": chat_key, "version": 1}, headers=m)
    assert draft.status_code == 201, draft.get_json()
    trial = client.post(
        f"/api/v1/drafts/{draft.get_json()['id']}/test",
        json={"revision": draft.get_json()["revision"]},
        headers=m,
    )
    assert trial.status_code == 200, trial.get_json()
    hidden = trial.get_json()["script"]
    assert hidden == f"{chat_key}~draft"
    view = walk(client, tokens["bot"], hidden, "chat", {"menu_choice": "finish"})
    assert view["status"] == "completed"
    roll_up_all(services)
    for rollup in (False, True):
        assert read(services, chat_key, rollup=rollup)["sessions"]["started"] == 5
    assert get(client, tokens["methodologist"], hidden).status_code == 404


def test_cuebook_worker_keeps_the_rollup(
    client: Any, tokens: dict[str, str], chat_key: str, services: Any, settings: Any, tmp_path: Any
) -> None:
    """`cuebook worker --once` processes (each pass moves the horizon a stage on, then
    folds): the rollup reaches the history's end and answers as the live read does."""
    live = read(services, chat_key, rollup=False)
    with services.database.unit_of_work() as uow:
        highest = uow.conn.exec_driver_sql("SELECT max(id) FROM history").scalar()
    env = worker_env(settings, "analytics-worker")

    def one_pass() -> bool:
        done = subprocess.run(
            [str(CUEBOOK), "worker", "--once"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        with services.database.unit_of_work() as uow:
            return cursor_position(uow) >= highest

    wait_until(one_pass, "cuebook worker to fold the history", timeout=100, every=0.1)
    assert read(services, chat_key, rollup=True) == live


def test_a_row_committed_late_is_folded_once(
    client: Any, tokens: dict[str, str], chat_key: str, services: Any, is_postgres: bool
) -> None:
    """A step's history row whose transaction commits after later rows did: the cursor
    waits for it, and it counts once."""
    if not is_postgres:
        pytest.skip("SQLite's writers take turns: no row commits late")
    roll_up_all(services)
    with services.database.unit_of_work() as uow:
        session = uow.conn.execute(
            sa.select(instances.c.id).where(instances.c.script_key == chat_key).limit(1)
        ).scalar_one()
    row = {"instance_id": session, "at": datetime.now(UTC), "event": "left"}
    with services.database.engine.connect() as late:
        open_tx = late.begin()
        late_id = late.execute(
            history.insert().values(**row, element="late_step").returning(history.c.id)
        ).scalar_one()
        walk(client, tokens["bot"], chat_key, "chat", {"menu_choice": "finish"})  # commits after
        for _ in range(3):
            roll_up_history(services.database, now=datetime.now(UTC), batch=7)
        with services.database.unit_of_work() as uow:
            assert cursor_position(uow) < late_id  # held before the row still in flight
        open_tx.commit()
    roll_up_all(services)
    figures = read(services, chat_key, rollup=True)
    assert figures == read(services, chat_key, rollup=False)
    late_step = next(e for e in figures["elements"] if e["element"] == "late_step")
    assert late_step["left"] == 1 and figures["sessions"]["started"] == 6
