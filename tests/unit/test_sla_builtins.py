"""``cuebook.due_time`` and ``cuebook.sla_pause``: arguments, results, the pause arithmetic."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.calendar import Calendar, parse_calendar
from engine.errors import ValidationFailed
from engine.tickets.sla import DUE_TIME, SLA_PAUSE, due_time, sla_functions, sla_pause

MSK = ZoneInfo("Europe/Moscow")
OFFICE = parse_calendar(
    {"timezone": "Europe/Moscow", "days": [1, 2, 3, 4, 5], "hours": ["09:00", "18:00"]}
)
CALENDARS = {"billing": OFFICE, "general": parse_calendar(None)}


def lookup(group: str | None) -> tuple[str, Calendar]:
    name = group if group in CALENDARS else "general"
    return name, CALENDARS[name]


WEDNESDAY_NOON = datetime(2027, 3, 10, 12, 0, 30, 123456, tzinfo=MSK)


def test_due_time_counts_working_hours_of_the_group() -> None:
    result = due_time({"hours": 8, "group": "billing"}, lookup, WEDNESDAY_NOON)
    assert result == {
        "due_at": "2027-03-11T11:00:30+03:00",
        "warn_at": "2027-03-11T09:24:30+03:00",  # 6.4 working hours in
        "start": "2027-03-10T12:00:30+03:00",
        "hours": 8.0,
        "warn_hours": pytest.approx(6.4),
        "group": "billing",
        "timezone": "Europe/Moscow",
    }


def test_due_time_with_warn_hours_and_a_start() -> None:
    result = due_time(
        {"hours": "4", "group": "billing", "warn_hours": 1, "start": "2027-03-12T17:00:00+03:00"},
        lookup,
        WEDNESDAY_NOON,
    )
    assert result["due_at"] == "2027-03-15T12:00:00+03:00"  # 1 h Friday, 3 h Monday
    assert result["warn_at"] == "2027-03-12T18:00:00+03:00"


def test_no_group_counts_in_the_fallback_groups_calendar() -> None:
    result = due_time({"hours": 30, "group": None}, lookup, WEDNESDAY_NOON)
    assert result["group"] == "general"
    assert datetime.fromisoformat(result["due_at"]) == WEDNESDAY_NOON.replace(
        microsecond=0
    ) + timedelta(hours=30)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"group": "billing"}, "hours"),
        ({"hours": "eight", "group": "billing"}, "hours"),
        ({"hours": -1, "group": "billing"}, "hours"),
        ({"hours": True, "group": "billing"}, "hours"),
        ({"hours": 8, "group": "billing", "warn_hours": "x"}, "warn_hours"),
        ({"hours": 8, "group": "billing", "start": "tomorrow"}, "start"),
        ({"hours": 8, "group": "billing", "start": "2027-03-10T09:00:00"}, "start"),
        ({"hours": 8, "group": 7}, "group"),
    ],
)
def test_bad_arguments_name_the_parameter(args: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        due_time(args, lookup, WEDNESDAY_NOON)
    assert caught.value.details[0].path == field


def test_the_pause_keeps_the_remaining_working_time() -> None:
    # Due Thursday 11:00; paused Wednesday 17:00: 1 h today + 2 h tomorrow are left.
    due = "2027-03-11T11:00:00+03:00"
    paused = sla_pause(
        {"group": "billing", "due_at": due, "warn_at": "2027-03-11T09:30:00+03:00"},
        lookup,
        datetime(2027, 3, 10, 17, 0, tzinfo=MSK),
    )
    assert paused == {
        "remaining_hours": 3.0,
        "warn_remaining_hours": 1.5,
        "paused_at": "2027-03-10T17:00:00+03:00",
    }
    # The customer answers on Monday 15:00: the clock runs again with 3 h left.
    resumed = due_time(
        {
            "hours": paused["remaining_hours"],
            "warn_hours": paused["warn_remaining_hours"],
            "group": "billing",
        },
        lookup,
        datetime(2027, 3, 15, 15, 0, tzinfo=MSK),
    )
    assert resumed["due_at"] == "2027-03-15T18:00:00+03:00"
    assert resumed["warn_at"] == "2027-03-15T16:30:00+03:00"


def test_a_pause_after_the_warning_resumes_with_the_warning_due_at_once() -> None:
    paused = sla_pause(
        {"group": "billing", "due_at": "2027-03-10T18:00:00+03:00",
         "warn_at": "2027-03-10T16:00:00+03:00"},
        lookup,
        datetime(2027, 3, 10, 17, 0, tzinfo=MSK),
    )  # fmt: skip
    assert paused["warn_remaining_hours"] == 0
    assert paused["remaining_hours"] == 1


def test_pause_without_due_time_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="due_at"):
        sla_pause({"group": "billing", "due_at": ""}, lookup, WEDNESDAY_NOON)


def test_declarations_and_bound_functions() -> None:
    assert DUE_TIME.required == ("hours", "group")
    assert SLA_PAUSE.required == ("group", "due_at")
    functions = sla_functions(lookup, lambda: WEDNESDAY_NOON)
    assert set(functions) == {"cuebook.due_time", "cuebook.sla_pause"}
    assert functions["cuebook.due_time"]({"hours": 1, "group": "billing"})["due_at"] == (
        "2027-03-10T13:00:30+03:00"
    )
