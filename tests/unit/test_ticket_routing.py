"""Routing rules (groups.json) and how a ticket follows its workflow's variables."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from engine.bpmn.bundle import bundle_from_files, bundle_from_path
from engine.bpmn.compiler import compile_bundle
from engine.bpmn.routing import RoutingRules, load_routing
from engine.errors import ValidationFailed
from engine.tickets.journal import TicketJournal
from engine.tickets.model import Ticket, TicketStatus
from engine.tickets.queue import CONVERSATION, WORK_ITEM, Place
from engine.tickets.routing import Left, follow, read

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "bundles" / "ticket_routing"
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
GROUPS = {
    "fallback_group": "general",
    "groups": {
        "general": {"title": "General"},
        "billing": {"title": "Billing", "transfers_to": ["general"]},
        "escalations": {},
    },
    "types": {"complaint": {"dedup_window_hours": 24}, "question": {"dedup_window_hours": 0}},
}


def _rule(rule: str, group: str) -> str:
    cells = (
        f"<outputEntry><text>{group}</text></outputEntry><outputEntry><text>1</text></outputEntry>"
    )
    return f'<rule id="{rule}">{cells}</rule>'


DMN = (
    '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d">'
    '<decision id="route"><decisionTable id="t">'
    '<output id="o1" name="group"/><output id="o2" name="rule"/>'
    + _rule("r1", '"billing"')
    + _rule("r2", '"nowhere"')
    + _rule("r3", 'prefix + "desk"')
    + "</decisionTable></decision></definitions>"
).encode()


def rules_of(data: Any, dmn: bytes | None = None) -> tuple[RoutingRules | None, list[Any]]:
    files = {"groups.json": json.dumps(data).encode()}
    roots = {"route.dmn": etree.fromstring(dmn)} if dmn else {}
    return load_routing(files, {"kind": "routing"}, roots)


def test_groups_json_is_read_and_checked() -> None:
    rules, problems = rules_of(GROUPS)
    assert problems == [] and rules is not None
    assert rules.fallback_group == "general" and rules.group_title("billing") == "Billing"
    assert rules.transfer_refusal("billing", "escalations") == (
        "group billing may transfer tickets only to: general"
    )
    assert rules.transfer_refusal("general", "escalations") is None
    assert rules.dedup_window_hours("question") == 0
    assert rules.dedup_window_hours("other") == 72
    assert load_routing({}, {}, {}) == (None, [])
    assert load_routing({}, {"kind": "routing"}, {})[1] == [
        ("cuebook.json", "", "a routing bundle needs groups.json")
    ]


def test_bad_groups_json_names_each_problem() -> None:
    bad = {
        "fallback_group": "nope",
        "groups": {"a": {"transfers_to": ["b"]}, "c": []},
        "types": {"t": {"dedup_window_hours": -1}},
    }
    _, problems = rules_of(bad)
    assert {where for _, where, _ in problems} == {
        "groups.a.transfers_to",
        "groups.c",
        "fallback_group",
        "types.t.dedup_window_hours",
    }


def test_literal_groups_of_decision_tables_must_be_known() -> None:
    _, problems = rules_of(GROUPS, DMN)
    assert problems == [
        ("route.dmn", "r2", "group 'nowhere' is not one of the groups in groups.json")
    ]


CALENDAR = {"timezone": "Europe/Moscow", "days": [1, 2, 3, 4, 5], "hours": ["09:00", "18:00"]}


def with_calendar(group: str, **calendar: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(GROUPS))
    data["groups"][group]["calendar"] = {**CALENDAR, **calendar}
    return data


def test_a_good_calendar_is_taken() -> None:
    rules, problems = rules_of(with_calendar("billing", holidays=["2027-01-01"]))
    assert problems == [] and rules is not None
    assert rules.groups["billing"].calendar == {**CALENDAR, "holidays": ["2027-01-01"]}


@pytest.mark.parametrize(
    ("calendar", "where", "said"),
    [
        ({"timezone": "Europe/Atlantis"}, "timezone", "unknown time zone 'Europe/Atlantis'"),
        ({"timezone": ""}, "timezone", "IANA time zone"),
        ({"hours": ["09:00", "25:00"]}, "hours[1]", "'25:00' is not a time of day"),
        ({"hours": ["9", "18:00"]}, "hours[0]", "'9' is not a time of day"),
        ({"hours": ["18:00", "09:00"]}, "hours[1]", "closing time must be after opening"),
        ({"hours": ["10:00", "10:00"]}, "hours[1]", "closing time must be after opening"),
        ({"hours": ["09:00"]}, "hours", "must be [opening, closing]"),
        ({"holidays": ["2027-13-01"]}, "holidays[0]", "'2027-13-01' is not a date YYYY-MM-DD"),
        ({"holidays": ["01.01.2027"]}, "holidays[0]", "is not a date YYYY-MM-DD"),
        ({"holidays": "2027-01-01"}, "holidays", "must be a list of dates"),
        ({"extra_workdays": [20270101]}, "extra_workdays[0]", "is not a date YYYY-MM-DD"),
        ({"days": []}, "days", "no working time at all"),
        ({"days": [0, 1]}, "days[0]", "0 is not a weekday"),
        ({"shifts": 2}, "shifts", "unknown field"),
    ],
)
def test_a_bad_calendar_is_refused_naming_the_file_the_group_and_the_field(
    calendar: dict[str, Any], where: str, said: str
) -> None:
    rules, problems = rules_of(with_calendar("billing", **calendar))
    assert rules is None and len(problems) == 1
    file, element, message = problems[0]
    assert (file, element) == ("groups.json", f"groups.billing.calendar.{where}")
    assert said in message


def test_a_calendar_that_is_not_an_object_or_lacks_a_field_is_refused() -> None:
    data = json.loads(json.dumps(GROUPS))
    data["groups"]["general"]["calendar"] = ["09:00", "18:00"]
    data["groups"]["escalations"]["calendar"] = {"timezone": "UTC", "days": [1]}
    _, problems = rules_of(data)
    assert [(f, w) for f, w, _ in problems] == [
        ("groups.json", "groups.general.calendar"),
        ("groups.json", "groups.escalations.calendar.hours"),
    ]


def test_deploy_refuses_a_bundle_with_a_bad_calendar() -> None:
    bundle = bundle_from_path(FIXTURE)
    data = json.loads(bundle.files["groups.json"])
    group = sorted(data["groups"])[0]
    data["groups"][group]["calendar"] = {**CALENDAR, "hours": ["09:00", "24:30"]}
    files = {**bundle.files, "groups.json": json.dumps(data).encode()}
    with pytest.raises(ValidationFailed) as refused:
        compile_bundle(bundle_from_files(files))
    assert f"groups.json: groups.{group}.calendar.hours[1]: '24:30'" in refused.value.message
    assert refused.value.details[0].path == f"groups.json#groups.{group}.calendar.hours[1]"


def ticket(**values: Any) -> Ticket:
    base: dict[str, Any] = {
        "id": "t1",
        "seq": 1,
        "number": "T-2026-000001",
        "instance_id": "i1",
        "script_key": "routing",
        "version_number": 1,
        "customer_key": "c",
        "channel": "chat",
        "type": "complaint",
        "category": "billing",
        "subject": "",
        "body": "",
        "attributes": {},
        "status": TicketStatus.OPEN,
        "group": None,
        "rule": None,
        "due_at": None,
        "created_at": NOW,
        "updated_at": NOW,
    }
    base.update(values)
    return Ticket(**base)


def moved(before: Ticket, data: dict[str, Any], *, ended: bool = False, left: Any = ()) -> Any:
    rules, _ = rules_of(GROUPS)
    assert rules is not None
    journal = TicketJournal(before, NOW, "engine")
    after = follow(before, read(data), rules, journal, ended=ended, left=list(left))
    return after, journal


def test_classification_and_its_fallbacks() -> None:
    after, journal = moved(
        ticket(),
        {"group": "billing", "rule": "r1"},
        left=[Left("classify", "", "BusinessRuleTask")],
    )
    assert after.group == "billing" and after.rule == "r1"
    assert journal.route[0]["event"] == "classified" and journal.route[0]["element"] == "classify"
    after, journal = moved(ticket(), {})
    assert after.group == "general" and "no decision rule matched" in journal.route[0]["reason"]
    after, journal = moved(ticket(), {"group": "mars"})
    assert after.group == "general" and "'mars' is not in groups.json" in journal.route[0]["reason"]


def test_moves_statuses_and_due_times() -> None:
    start = ticket(group="billing")
    after, journal = moved(start, {"group": "escalations", "route_reason": "SLA breached"})
    assert after.group == "escalations" and journal.route[0]["event"] == "escalated"
    after, journal = moved(start, {"group": "general"}, left=[Left("hand", "Hand over")])
    assert journal.route[0]["event"] == "transferred"
    assert journal.route[0]["reason"] == "Hand over"
    assert moved(start, {"group": "billing"})[1].route == []

    due = NOW + timedelta(hours=8)
    after, journal = moved(
        start,
        {
            "ticket_status": "waiting_customer",
            "customer_notice": "Tell us more",
            "due_at": due.isoformat(),
        },
    )
    assert after.status is TicketStatus.WAITING_CUSTOMER and after.due_at == due
    (event,) = journal.events
    payload = json.loads(event["payload"])["data"]
    assert payload["customer_notice"] == "Tell us more" and payload["channel"] == "chat"
    assert moved(ticket(group="billing", due_at=due), {"due_at": ""})[0].due_at is None
    assert moved(start, {"ticket_status": "lost"})[0].status is TicketStatus.OPEN

    ended, _ = moved(start, {"ticket_status": "in_progress"}, ended=True)
    assert ended.status is TicketStatus.CLOSED and ended.closed_at == NOW
    kept, _ = moved(start, {"ticket_status": "resolved"}, ended=True)
    assert kept.status is TicketStatus.RESOLVED


def test_queue_places_sort_due_first_then_by_age_and_survive_a_cursor() -> None:
    late = Place(NOW + timedelta(hours=5), NOW, WORK_ITEM, "a")
    soon = Place(NOW + timedelta(hours=1), NOW + timedelta(minutes=5), WORK_ITEM, "b")
    old_talk = Place(None, NOW - timedelta(hours=1), CONVERSATION, "c")
    new_item = Place(None, NOW, WORK_ITEM, "d")
    ordered = sorted([new_item, old_talk, late, soon], key=Place.order)
    assert ordered == [soon, late, old_talk, new_item]
    assert Place.parse(soon.cursor()) == soon
    assert old_talk.no_due_start(WORK_ITEM).mode == "from_time"  # type: ignore[union-attr]
    assert new_item.no_due_start(CONVERSATION).mode == "after_time"  # type: ignore[union-attr]
    assert soon.no_due_start(CONVERSATION) is None
    with pytest.raises(Exception, match="bad cursor"):
        Place.parse("xyz")
