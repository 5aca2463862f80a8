"""The workload report over a known set of rows in a range of its own (March 2019): items
handled, handle time p50/p90, time per presence state clipped to the range, SLA kept and
missed, transfers; per operator and per group, as JSON and as CSV. The expected figures are
computed here from the rows the test writes, by the test's own arithmetic."""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.persistence.tables import history, instances, presence_spans, ticket_route, work_items
from tests.conftest import BUNDLES, auth
from tests.integration.test_tickets import ROUTING, open_ticket
from tests.support.workspace import make_operator

pytestmark = pytest.mark.smoke

T0 = datetime(2019, 3, 4, tzinfo=UTC)
T1 = T0 + timedelta(days=1)
H = timedelta(hours=1)
S = timedelta(seconds=1)


@dataclass(frozen=True)
class Done:
    """A work item as the test leaves it."""

    who: str
    group: str
    claimed: datetime | None
    closed: datetime
    due: datetime | None = None
    status: str = "done"


@dataclass(frozen=True)
class Talk:
    who: str
    group: str
    claimed: datetime
    back: datetime | None = None
    ended: datetime | None = None


def rank(values: list[float], q: float) -> float | None:
    """The percentile the report promises: linear between the nearest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return round(ordered[below] + (ordered[above] - ordered[below]) * (position - below), 3)


def inside(start: datetime, end: datetime | None, now: datetime) -> float:
    stop = min(end or now, T1)
    return max(0.0, (stop - max(start, T0)).total_seconds())


@pytest.fixture()
def scene(client: Any, tokens: dict[str, str], deploy: Any, key: str, services: Any) -> Any:
    g, h = f"wg{uuid.uuid4().hex[:6]}", f"wh{uuid.uuid4().hex[:6]}"
    _, a, a_id = make_operator(services, groups=(g, h))
    _, b, b_id = make_operator(services, groups=(g,))
    done = [
        Done(a, g, T0 + H, T0 + H + 300 * S, due=T0 + 2 * H),
        Done(a, g, T0 + 2 * H, T0 + 2 * H + 900 * S, due=T0 + 2 * H + 600 * S),
        Done(a, g, T0 + 3 * H, T0 + 3 * H + 120 * S),
        Done(a, h, T0 - H, T0 + H / 2, due=T0 + H),
        Done(b, g, T0 + 5 * H, T0 + 5 * H + 600 * S, due=T0 + 4 * H),
        Done(b, g, T0 + 20 * H, T1 + H),  # closed after the range
        Done(b, g, T0 + 6 * H, T0 + 7 * H, status="open"),  # not done
        Done(a, h, None, T0 + 9 * H),  # completed without a claim: no handle time
    ]
    talks = [
        Talk(a, g, T0 + 6 * H, back=T0 + 6 * H + 240 * S, ended=T0 + 8 * H),
        Talk(b, g, T0 + 7 * H, ended=T0 + 7 * H + 1000 * S),
        Talk(b, h, T0 - H, ended=T0 + 600 * S),  # claimed before the range
        Talk(a, g, T0 + 23 * H),  # still held
        Talk(b, g, T0 - 3 * H, back=T0 - 2 * H),  # over before the range
        Talk(a, h, T0 + 22 * H, back=T1 + H, ended=T1 + 2 * H),  # over after the range
    ]
    spans = [
        (a_id, "ready", T0 - 2 * H, T0 + 4 * H),
        (a_id, "busy", T0 + 4 * H, T0 + 5 * H),
        (a_id, "away", T0 + 5 * H, T1 + 2 * H),
        (b_id, "offline", T0 - 24 * H, None),
    ]
    moves = [(a, g, T0 + H), (a, g, T0 + 2 * H), (b, h, T0 + 3 * H), ("callbacks", g, T0 + H),
             (a, g, T0 - H)]  # fmt: skip

    deploy(ROUTING, f"r{key}")
    deploy(BUNDLES / "menu_loop", f"c{key}")
    opened = [open_ticket(client, tokens["bot"], f"r{key}").get_json() for _ in done]
    sessions = [
        client.post("/api/v1/sessions", json={"script": f"c{key}", "channel": "chat"},
                    headers=auth(tokens["bot"])).get_json()["session_id"]
        for _ in talks
    ]  # fmt: skip
    with services.database.unit_of_work() as uow:
        for ticket, d in zip(opened, done, strict=True):
            uow.conn.execute(
                work_items.update()
                .where(work_items.c.id == ticket["work_items"][0]["id"])
                .values(group=d.group, status=d.status, assignee=d.who, claimed_at=d.claimed,
                        closed_at=d.closed if d.status == "done" else None,
                        closed_by=d.who if d.status == "done" else None, due_at=d.due)
            )  # fmt: skip
        for session, t in zip(sessions, talks, strict=True):
            rows = [("claimed", t.claimed, t.who)] + (
                [("handed_back", t.back, t.who)] if t.back else []
            )
            for event, at, who in rows:
                uow.conn.execute(history.insert().values(
                    instance_id=session, at=at, event=event, kind=t.group, actor=who))  # fmt: skip
            uow.conn.execute(instances.update().where(instances.c.id == session)
                             .values(ended_at=t.ended))  # fmt: skip
        for operator_id, state, start, end in spans:
            uow.conn.execute(presence_spans.insert().values(
                operator_id=operator_id, state=state, started_at=start, ended_at=end))  # fmt: skip
        for who, group, at in moves:
            uow.conn.execute(ticket_route.insert().values(
                ticket_id=opened[0]["id"], at=at, event="transferred", actor=who,
                from_group=group, to_group="general"))  # fmt: skip
    return {"g": g, "h": h, "a": a, "b": b, "done": done, "talks": talks, "spans": spans,
            "moves": moves, "ids": {a_id: a, b_id: b}}  # fmt: skip


def expected(scene: dict[str, Any], group: str | None) -> dict[str, Any]:
    """The figures, per operator and per group, from the scene's own rows."""
    people: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"tickets": 0, "talks": 0, "durations": [], "kept": 0, "missed": 0, "moves": 0}
    )
    groups: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"tickets": 0, "talks": 0, "durations": [], "kept": 0, "missed": 0, "moves": 0,
                 "who": set()}
    )  # fmt: skip

    def both(who: str, where: str) -> list[dict[str, Any]]:
        groups[where]["who"].add(who)
        return [people[who], groups[where]]

    for d in scene["done"]:
        if d.status != "done" or not T0 <= d.closed < T1 or group not in (None, d.group):
            continue
        for f in both(d.who, d.group):
            f["tickets"] += 1
            if d.claimed:
                f["durations"].append((d.closed - d.claimed).total_seconds())
            if d.due:
                f["kept" if d.closed <= d.due else "missed"] += 1
    for t in scene["talks"]:
        ends = [e for e in (t.back, t.ended) if e is not None]
        if not ends or not T0 <= min(ends) < T1 or group not in (None, t.group):
            continue
        for f in both(t.who, t.group):
            f["talks"] += 1
            f["durations"].append((min(ends) - t.claimed).total_seconds())
    for who, where, at in scene["moves"]:
        if who != "callbacks" and T0 <= at < T1 and group in (None, where):
            people[who]["moves"] += 1
            groups[where]["moves"] += 1
    now = datetime.now(UTC)
    presence: dict[str, dict[str, float]] = defaultdict(dict)
    for operator_id, state, start, end in scene["spans"]:
        who = scene["ids"][operator_id]
        presence[who][state] = presence[who].get(state, 0.0) + inside(start, end, now)
    return {"people": people, "groups": groups, "presence": presence}


def figures(f: dict[str, Any]) -> dict[str, Any]:
    return {
        "items_handled": f["tickets"] + f["talks"],
        "tickets_handled": f["tickets"],
        "conversations_handled": f["talks"],
        "handle_time_p50_s": rank(f["durations"], 0.5),
        "handle_time_p90_s": rank(f["durations"], 0.9),
        "sla_kept": f["kept"],
        "sla_missed": f["missed"],
        "transfers": f["moves"],
    }


def report(client: Any, token: str, **query: str) -> Any:
    args = {"from": T0.isoformat(), "to": T1.isoformat(), **query}
    return client.get("/api/v1/reports/workload", query_string=args, headers=auth(token))


@pytest.mark.parametrize("by_group", [False, True])
def test_the_figures_per_operator_and_group_are_exact(
    client: Any, tokens: dict[str, str], scene: dict[str, Any], by_group: bool
) -> None:
    group = scene["g"] if by_group else None
    resp = report(client, tokens["methodologist"], **({"group": group} if group else {}))
    assert resp.status_code == 200, resp.get_json()
    found = resp.get_json()
    want = expected(scene, group)
    rows = {o["operator"]: o for o in found["operators"]}
    for who in (scene["a"], scene["b"]):
        row = rows[who]
        assert {k: row[k] for k in figures(want["people"][who])} == figures(want["people"][who])
        presence = {k: pytest.approx(v, abs=2.0) for k, v in want["presence"][who].items()}
        assert row["presence_seconds"] == presence
    by_name = {g["group"]: g for g in found["groups"]}
    assert set(want["groups"]) <= set(by_name)
    for name, f in want["groups"].items():
        assert {k: by_name[name][k] for k in figures(f)} == figures(f)
        assert by_name[name]["operators"] == len(f["who"])
    if by_group:
        assert [g["group"] for g in found["groups"]] == [group]
        assert set(rows) == {scene["a"], scene["b"]}  # skilled in the group


def test_the_report_as_csv_has_the_same_figures(
    client: Any, tokens: dict[str, str], scene: dict[str, Any]
) -> None:
    as_json = report(client, tokens["admin"], group=scene["g"]).get_json()
    for resp in (
        report(client, tokens["admin"], group=scene["g"], format="csv"),
        client.get(
            "/api/v1/reports/workload",
            query_string={"from": T0.isoformat(), "to": T1.isoformat(), "group": scene["g"]},
            headers={**auth(tokens["admin"]), "Accept": "text/csv"},
        ),
    ):
        assert resp.status_code == 200 and resp.mimetype == "text/csv"
        lines = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
        want = expected(scene, scene["g"])
        for who in (scene["a"], scene["b"]):
            (line,) = [r for r in lines if r["kind"] == "operator" and r["key"] == who]
            for name, value in figures(want["people"][who]).items():
                assert line[name] == ("" if value is None else f"{value:g}"), name
            for state, seconds in want["presence"][who].items():
                assert float(line[f"{state}_s"]) == pytest.approx(seconds, abs=2.0)
        (group_line,) = [r for r in lines if r["kind"] == "group"]
        assert int(group_line["items_handled"]) == as_json["groups"][0]["items_handled"]
        assert group_line["from"] == T0.isoformat() and group_line["to"] == T1.isoformat()


def test_bad_ranges_groups_and_roles_are_refused(
    client: Any, tokens: dict[str, str], services: Any
) -> None:
    def refused(resp: Any, path: str) -> None:
        assert resp.status_code == 422, resp.get_json()
        assert path in [d["path"] for d in resp.get_json()["error"]["details"]], resp.get_json()

    m = tokens["methodologist"]
    refused(report(client, m, **{"from": T1.isoformat(), "to": T0.isoformat()}), "from")
    refused(report(client, m, **{"from": "yesterday"}), "from")
    refused(report(client, m, to="2019-03-05T00:00:00"), "to")  # no zone
    refused(client.get("/api/v1/reports/workload", headers=auth(m)), "from")
    refused(report(client, m, group=f"nobody-{uuid.uuid4().hex[:6]}"), "group")
    assert report(client, m, **{"from": "2019-03-04", "to": "2019-03-05"}).status_code == 200
    assert report(client, tokens["operator"]).status_code == 403


def test_the_report_page_draws_charts_for_supervisors(
    client: Any, tokens: dict[str, str], scene: dict[str, Any]
) -> None:
    query = {"from": "2019-03-04", "to": "2019-03-05", "group": scene["g"]}
    english = {**auth(tokens["methodologist"]), "Accept-Language": "en"}
    page = client.get("/player/reports/workload", query_string=query, headers=english)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count("<svg") == 4 and f'data-operator="{scene["a"]}"' in html
    assert "Items handled per operator" in html and "Download as CSV" in html
    russian = client.get("/player/reports/workload", query_string=query,
                         headers={**auth(tokens["admin"]), "Accept-Language": "ru"})  # fmt: skip
    assert "Нагрузка" in russian.get_data(as_text=True)
    bad = client.get("/player/reports/workload", query_string={**query, "to": "2019-03-01"},
                     headers=auth(tokens["admin"]))  # fmt: skip
    assert bad.status_code == 422 and "is not before" in bad.get_data(as_text=True)
    assert (
        client.get("/player/reports/workload", headers=auth(tokens["operator"])).status_code == 403
    )
    downloaded = client.get("/player/reports/workload.csv", query_string=query,
                            headers=auth(tokens["admin"]))  # fmt: skip
    assert downloaded.mimetype == "text/csv" and scene["a"] in downloaded.get_data(as_text=True)
