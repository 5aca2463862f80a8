"""Canary releases over the API and the CLI: a split of new sessions by session key, the
release history, publish and rollback around a split, two versions compared, and a diff."""

from __future__ import annotations

import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from cuebook.cli import main
from engine.persistence.tables import instances, releases, scripts, tickets
from engine.releases import Share, bucket_of, read_split, share_for
from engine.sessions import Actor
from engine.sessions.commands import start_session
from tests.conftest import BUNDLES, auth, bundle_upload

MENU = BUNDLES / "menu_loop"
ROUTING = BUNDLES / "ticket_routing"


def stage(
    client: Any, tokens: dict[str, str], folder: Path, key: str, old: bytes, new: bytes
) -> int:
    """Deploy an edited copy of the bundle as a new version, not published."""
    name = f"{folder.name}.bpmn"
    text = (folder / name).read_bytes()
    assert old in text
    resp = client.post(
        f"/api/v1/scripts/{key}/versions",
        data=bundle_upload(folder, {name: text.replace(old, new)}),
        headers=auth(tokens["methodologist"]),
        content_type="multipart/form-data",
    )
    assert resp.status_code == 201, resp.get_json()
    return int(resp.get_json()["number"])


@pytest.fixture()
def two_versions(client: Any, tokens: dict[str, str], deploy: Any, key: str) -> str:
    deploy(MENU, key)
    assert stage(client, tokens, MENU, key, b'name="Your name"', b'name="Your full name"') == 2
    return key


def release(client: Any, tokens: dict[str, str], key: str, *pairs: tuple[int, int]) -> Any:
    body = {"versions": [{"number": n, "weight": w} for n, w in pairs]}
    return client.put(
        f"/api/v1/scripts/{key}/release", json=body, headers=auth(tokens["methodologist"])
    )


def script_row(client: Any, tokens: dict[str, str], key: str) -> dict[str, Any]:
    listed = client.get("/api/v1/scripts", headers=auth(tokens["bot"])).get_json()["scripts"]
    return next(s for s in listed if s["key"] == key)


def expected(key: str, split: list[dict[str, int]], session_key: str) -> int:
    shares = tuple(Share(s["number"], s["weight"]) for s in split)
    return share_for(shares, bucket_of(key, session_key)).number


def test_a_split_of_a_thousand_keys_and_the_same_key_on_the_same_version(
    client: Any, services: Any, tokens: dict[str, str], two_versions: str
) -> None:
    key = two_versions
    resp = release(client, tokens, key, (1, 90), (2, 10))
    assert resp.status_code == 200, resp.get_json()
    split = [{"number": 1, "weight": 90}, {"number": 2, "weight": 10}]
    assert resp.get_json() == {"script": key, "published_version": 1, "release": split}
    listed = script_row(client, tokens, key)
    assert listed["release"] == split and listed["published_version"] == 1
    versions = client.get(f"/api/v1/scripts/{key}/versions", headers=auth(tokens["bot"]))
    assert [v["weight"] for v in versions.get_json()["versions"]] == [90, 10]

    bot = Actor("test-bot", "bot")
    got: dict[str, int] = {}
    for n in range(1000):
        session_key = f"caller-{n}"
        view, created = start_session(
            services.database, services.engine, script=key, channel="web", variables={},
            session_key=session_key, actor=bot,
        )  # fmt: skip
        assert created
        got[session_key] = view.version.number
    counts = Counter(got.values())
    assert 60 <= counts[2] <= 140, counts
    assert counts[1] + counts[2] == 1000
    for session_key, number in got.items():
        assert number == expected(key, split, session_key)

    # over HTTP, a known key lands where its bucket says; a start without a key still starts
    again = client.post(
        "/api/v1/sessions",
        json={"script": key, "session_key": "caller-x"},
        headers=auth(tokens["bot"]),
    )
    assert again.status_code == 201
    assert again.get_json()["version"]["number"] == expected(key, split, "caller-x")
    anonymous = client.post("/api/v1/sessions", json={"script": key}, headers=auth(tokens["bot"]))
    assert anonymous.status_code == 201 and anonymous.get_json()["version"]["number"] in (1, 2)


def test_publish_after_a_split_and_rollbacks(
    client: Any, services: Any, tokens: dict[str, str], two_versions: str
) -> None:
    key, m = two_versions, auth(tokens["methodologist"])
    assert release(client, tokens, key, (1, 80), (2, 20)).status_code == 200
    assert client.post(f"/api/v1/scripts/{key}/versions/2/publish", headers=m).status_code == 200
    assert script_row(client, tokens, key)["release"] == [{"number": 2, "weight": 100}]
    for n in range(20):
        view = client.post(
            "/api/v1/sessions", json={"script": key, "session_key": f"p{n}"},
            headers=auth(tokens["bot"]),
        ).get_json()  # fmt: skip
        assert view["version"]["number"] == 2

    back = client.post(f"/api/v1/scripts/{key}/rollback", headers=m)
    assert back.status_code == 200 and back.get_json()["published_version"] == 1
    assert script_row(client, tokens, key)["release"] == [
        {"number": 1, "weight": 80},
        {"number": 2, "weight": 20},
    ]
    back = client.post(f"/api/v1/scripts/{key}/rollback", headers=m)
    assert back.get_json()["published_version"] == 2
    assert script_row(client, tokens, key)["release"] == [{"number": 2, "weight": 100}]
    # a release of one version at 100 is a publish
    assert release(client, tokens, key, (1, 100)).get_json()["release"] == [
        {"number": 1, "weight": 100}
    ]

    with services.database.unit_of_work() as uow:
        rows = uow.conn.execute(
            sa.select(releases.c.action, releases.c.version_number, releases.c.split,
                      releases.c.actor, releases.c.released_at)
            .join(scripts, scripts.c.id == releases.c.script_id)
            .where(scripts.c.key == key)
            .order_by(releases.c.id)
        ).all()  # fmt: skip
    assert [(r.action, r.version_number) for r in rows] == [
        ("publish", 1), ("release", 1), ("publish", 2), ("rollback", 1), ("rollback", 2),
        ("publish", 1),
    ]  # fmt: skip
    assert [[s.as_dict() for s in read_split(r.split)] if r.split else None for r in rows][1] == [
        {"number": 1, "weight": 80},
        {"number": 2, "weight": 20},
    ]
    assert {r.actor for r in rows} == {"test-methodologist"}
    assert all(r.released_at is not None for r in rows)
    history = client.get(f"/api/v1/scripts/{key}/releases", headers=m).get_json()["releases"]
    assert [h["action"] for h in history] == [r.action for r in reversed(rows)]  # newest first
    assert history[-2]["versions"] == [{"number": 1, "weight": 80}, {"number": 2, "weight": 20}]
    assert history[0] == {
        "action": "publish",
        "versions": [{"number": 1, "weight": 100}],
        "actor": "test-methodologist",
        "released_at": history[0]["released_at"],
    }
    missing = client.get("/api/v1/scripts/no-such-script/releases", headers=m)
    assert missing.status_code == 404


def test_bad_releases_are_refused(client: Any, tokens: dict[str, str], two_versions: str) -> None:
    key = two_versions

    def details(resp: Any) -> list[str]:
        assert resp.status_code == 422, resp.get_json()
        return [d["path"] for d in resp.get_json()["error"]["details"]]

    assert details(release(client, tokens, key, (1, 90), (2, 5))) == ["versions"]
    assert details(release(client, tokens, key, (1, 90), (7, 10))) == ["versions[1].number"]
    assert details(release(client, tokens, key, (1, 90), (1, 10))) == ["versions[1].number"]
    assert details(release(client, tokens, key, (1, 100), (2, 0))) == ["versions[1].weight"]
    m = auth(tokens["methodologist"])
    assert details(client.put(f"/api/v1/scripts/{key}/release", json={}, headers=m)) == ["versions"]
    bad = client.put(f"/api/v1/scripts/{key}/release", json={"versions": "1:100"}, headers=m)
    assert details(bad) == ["versions"]
    missing = release(client, tokens, f"nope{uuid.uuid4().hex[:6]}", (1, 100))
    assert missing.status_code == 404
    as_bot = client.put(
        f"/api/v1/scripts/{key}/release",
        json={"versions": [{"number": 1, "weight": 100}]},
        headers=auth(tokens["bot"]),
    )
    assert as_bot.status_code == 403
    assert script_row(client, tokens, key)["release"] == [{"number": 1, "weight": 100}]


def _keys_on(key: str, split: list[dict[str, int]], number: int, count: int) -> list[str]:
    found = []
    n = 0
    while len(found) < count:
        candidate = f"cmp-{uuid.uuid4().hex[:8]}-{n}"
        if expected(key, split, candidate) == number:
            found.append(candidate)
        n += 1
    return found


def test_compare_two_versions(client: Any, tokens: dict[str, str], two_versions: str) -> None:
    key, bot = two_versions, auth(tokens["bot"])
    split = [{"number": 1, "weight": 50}, {"number": 2, "weight": 50}]
    assert release(client, tokens, key, (1, 50), (2, 50)).status_code == 200

    def start(session_key: str, channel: str = "web") -> dict[str, Any]:
        body = {"script": key, "session_key": session_key, "channel": channel}
        resp = client.post("/api/v1/sessions", json=body, headers=bot)
        assert resp.status_code == 201
        return resp.get_json()  # type: ignore[no-any-return]

    def step(view: dict[str, Any], **reply: Any) -> dict[str, Any]:
        resp = client.post(
            f"/api/v1/sessions/{view['session_id']}/steps",
            json={"step_token": view["step_token"], **reply},
            headers=bot,
        )
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()  # type: ignore[no-any-return]

    def finish(view: dict[str, Any]) -> None:
        view = step(view, answer={"name": "Ann"})
        assert step(view, answer={"choice": "stop"})["status"] == "completed"

    one, two = _keys_on(key, split, 1, 3), _keys_on(key, split, 2, 3)
    finish(start(one[0]))
    finish(start(one[1]))
    start(one[2])
    finish(start(two[0]))
    handed = start(two[1], "chat")
    handed = client.post(
        f"/api/v1/sessions/{handed['session_id']}/steps",
        json={"step_token": handed["step_token"], "text": "operator please"},
        headers=bot,
    ).get_json()
    assert handed["status"] == "handed_off", handed
    start(two[2])

    m = auth(tokens["methodologist"])
    resp = client.get(
        f"/api/v1/scripts/{key}/versions/compare?a=1&b=2&abandoned_after=0", headers=m
    )
    assert resp.status_code == 200, resp.get_json()
    figures = resp.get_json()
    assert figures["since"] is not None and figures["abandoned_after_seconds"] == 0
    a, b = figures["versions"]
    assert (a["number"], a["sessions"], a["completed"], a["handed_off"], a["abandoned"]) == (
        1, 3, 2, 0, 1,
    )  # fmt: skip
    assert (b["number"], b["sessions"], b["completed"], b["handed_off"], b["abandoned"]) == (
        2, 3, 1, 1, 1,
    )  # fmt: skip
    assert a["completion_rate"] == round(2 / 3, 4) and b["handoff_rate"] == round(1 / 3, 4)
    assert a["failed"] == 0 and a["failure_rate"] == 0
    assert a["steps_timed"] == 4 and a["step_p50_seconds"] is not None
    assert a["step_p90_seconds"] >= a["step_p50_seconds"]
    assert {s["step"] for s in a["by_step"]} == {"name", "menu"}
    later = client.get(
        f"/api/v1/scripts/{key}/versions/compare?a=1&b=2&since=2999-01-01T00:00:00Z", headers=m
    ).get_json()
    assert [v["sessions"] for v in later["versions"]] == [0, 0]
    assert later["versions"][0]["completion_rate"] is None

    nope = client.get(f"/api/v1/scripts/{key}/versions/compare?a=1&b=9", headers=m)
    assert nope.status_code == 404 and nope.get_json()["error"]["details"][0]["path"] == "b"
    bad = client.get(f"/api/v1/scripts/{key}/versions/compare?a=x&b=2", headers=m)
    assert bad.status_code == 422 and bad.get_json()["error"]["details"][0]["path"] == "a"


def test_diff_of_two_versions(client: Any, tokens: dict[str, str], two_versions: str) -> None:
    key, m = two_versions, auth(tokens["methodologist"])
    resp = client.get(f"/api/v1/scripts/{key}/versions/diff?a=1&b=2", headers=m)
    assert resp.status_code == 200, resp.get_json()
    diff = resp.get_json()
    assert diff["summary"]["elements"] == {"added": 0, "removed": 0, "changed": 1}
    (changed,) = diff["elements"]["changed"]
    assert changed["id"] == "name"
    assert (changed["before"]["name"], changed["after"]["name"]) == ("Your name", "Your full name")
    assert diff["flows"] == {"added": [], "removed": [], "changed": []}
    missing = client.get(f"/api/v1/scripts/{key}/versions/diff?a=1&b=5", headers=m)
    assert missing.status_code == 404
    assert client.get(f"/api/v1/scripts/{key}/versions/diff?a=1", headers=m).status_code == 422
    as_bot = client.get(f"/api/v1/scripts/{key}/versions/diff?a=1&b=2", headers=auth(tokens["bot"]))
    assert as_bot.status_code == 403


def test_tickets_follow_the_split_by_customer(
    client: Any, services: Any, tokens: dict[str, str], deploy: Any, key: str
) -> None:
    deploy(ROUTING, key)
    stage(client, tokens, ROUTING, key, b'name="', b'name="v2 ')
    split = [{"number": 1, "weight": 50}, {"number": 2, "weight": 50}]
    assert release(client, tokens, key, (1, 50), (2, 50)).status_code == 200
    opened: dict[str, int] = {}
    for n in range(30):
        customer = f"cust-{key}-{n}"
        body = {"script": key, "channel": "chat", "type": "complaint", "category": "billing",
                "subject": "s", "customer_key": customer}  # fmt: skip
        resp = client.post("/api/v1/tickets", json=body, headers=auth(tokens["bot"]))
        assert resp.status_code == 201, resp.get_json()
        opened[customer] = resp.get_json()["id"]
    with services.database.unit_of_work() as uow:
        rows = uow.conn.execute(
            sa.select(tickets.c.customer_key, tickets.c.version_number, instances.c.version_number)
            .join(instances, instances.c.id == tickets.c.instance_id)
            .where(tickets.c.script_key == key)
        ).all()
    assert len(rows) == 30
    for customer, ticket_version, instance_version in rows:
        assert ticket_version == instance_version == expected(key, split, customer)
    assert {r[1] for r in rows} == {1, 2}


def test_cli_release_and_diff(
    settings: Any, monkeypatch: pytest.MonkeyPatch, client: Any, tokens: dict[str, str],
    two_versions: str,
) -> None:  # fmt: skip
    monkeypatch.setenv("CUEBOOK_DATABASE_URL", settings.database_url)
    if settings.database_schema:
        monkeypatch.setenv("CUEBOOK_DATABASE_SCHEMA", settings.database_schema)
    monkeypatch.setenv("CUEBOOK_SECRET_KEY", "test-secret")
    monkeypatch.setenv("CUEBOOK_VAR_DIR", str(settings.var_dir))
    key, runner = two_versions, CliRunner()
    done = runner.invoke(main, ["release", key, "1:70", "2:30"])
    assert done.exit_code == 0, done.output
    assert done.output.strip() == f"{key}: new sessions start on version 1 70%, version 2 30%"
    assert script_row(client, tokens, key)["release"] == [
        {"number": 1, "weight": 70},
        {"number": 2, "weight": 30},
    ]
    wrong = runner.invoke(main, ["release", key, "1:70", "2:20"])
    assert wrong.exit_code == 1 and "sum to 100" in wrong.output
    diff = runner.invoke(main, ["versions", "diff", key, "1", "2"])
    assert diff.exit_code == 0, diff.output
    assert "elements:" in diff.output and "~ name (userTask) Your full name" in diff.output
    assert 'name: "Your name" -> "Your full name"' in diff.output
    as_json = runner.invoke(main, ["versions", "diff", key, "1", "2", "--json"])
    assert as_json.exit_code == 0 and '"summary"' in as_json.output
