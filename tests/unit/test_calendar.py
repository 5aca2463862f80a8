"""Working-hours arithmetic: weekends, holidays, nights, daylight saving, round the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.calendar import (
    ROUND_THE_CLOCK,
    Calendar,
    due_after,
    is_working_time,
    parse_calendar,
    remaining_hours,
    sla_times,
    working_seconds_between,
)
from engine.errors import ValidationFailed

MSK = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")

OFFICE = parse_calendar(
    {
        "timezone": "Europe/Moscow",
        "days": [1, 2, 3, 4, 5],
        "hours": ["09:00", "18:00"],
        "holidays": ["2027-01-01", "2027-01-04", "2027-05-03"],
    }
)


def msk(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MSK)


def test_hours_within_one_day() -> None:
    assert due_after(msk(2027, 3, 10, 10, 0), 4, OFFICE) == msk(2027, 3, 10, 14, 0)
    assert due_after(msk(2027, 3, 10, 10, 0), 8, OFFICE) == msk(2027, 3, 10, 18, 0)


def test_over_a_weekend() -> None:
    # Friday 16:00 + 4 working hours: 2 on Friday, 2 on Monday.
    friday = msk(2027, 3, 12, 16, 0)
    assert friday.isoweekday() == 5
    assert due_after(friday, 4, OFFICE) == msk(2027, 3, 15, 11, 0)
    assert working_seconds_between(friday, msk(2027, 3, 15, 11, 0), OFFICE) == 4 * 3600


def test_across_a_holiday() -> None:
    # Friday 30 April 2027 17:00 + 3 h: 1 h on Friday; Monday 3 May is a holiday; 2 h on Tuesday.
    assert due_after(msk(2027, 4, 30, 17, 0), 3, OFFICE) == msk(2027, 5, 4, 11, 0)
    # New Year: 1 January (Friday) and 4 January (Monday) off.
    assert due_after(msk(2026, 12, 31, 17, 30), 1, OFFICE) == msk(2027, 1, 5, 9, 30)


def test_start_after_hours_counts_from_the_next_opening() -> None:
    assert due_after(msk(2027, 3, 10, 21, 15), 2, OFFICE) == msk(2027, 3, 11, 11, 0)
    assert due_after(msk(2027, 3, 11, 6, 0), 2, OFFICE) == msk(2027, 3, 11, 11, 0)
    # Saturday night: Monday morning.
    assert due_after(msk(2027, 3, 13, 23, 0), 1, OFFICE) == msk(2027, 3, 15, 10, 0)
    assert not is_working_time(msk(2027, 3, 13, 12, 0), OFFICE)
    assert is_working_time(msk(2027, 3, 15, 9, 0), OFFICE)
    assert not is_working_time(msk(2027, 3, 15, 18, 0), OFFICE)


def test_the_result_ends_a_day_rather_than_opening_the_next() -> None:
    assert due_after(msk(2027, 3, 12, 17, 0), 1, OFFICE) == msk(2027, 3, 12, 18, 0)


def test_long_sla_spans_weeks() -> None:
    # 45 working hours = 5 working days of 9 h: Monday 09:00 -> Friday 18:00.
    assert due_after(msk(2027, 3, 15, 9, 0), 45, OFFICE) == msk(2027, 3, 19, 18, 0)
    assert due_after(msk(2027, 3, 15, 9, 0), 45.5, OFFICE) == msk(2027, 3, 22, 9, 30)


def test_fractions_of_an_hour() -> None:
    assert due_after(msk(2027, 3, 10, 17, 45), 0.5, OFFICE) == msk(2027, 3, 11, 9, 15)


def test_zero_hours_is_due_at_the_start() -> None:
    at = msk(2027, 3, 13, 23, 0)
    assert due_after(at, 0, OFFICE) == at


def test_results_are_in_the_calendars_zone_whatever_the_start_zone() -> None:
    start = datetime(2027, 3, 10, 7, 0, tzinfo=UTC)  # 10:00 in Moscow
    due = due_after(start, 1, OFFICE)
    assert due.isoformat() == "2027-03-10T11:00:00+03:00"


def test_daylight_saving_spring_forward_in_a_zone_that_has_it() -> None:
    berlin_office = parse_calendar(
        {"timezone": "Europe/Berlin", "days": [1, 2, 3, 4, 5], "hours": ["09:00", "18:00"]}
    )
    # Clocks go forward on Sunday 28 March 2027; office hours stay 09:00-18:00 local.
    friday = datetime(2027, 3, 26, 17, 0, tzinfo=BERLIN)
    due = due_after(friday, 2, berlin_office)
    assert due == datetime(2027, 3, 29, 10, 0, tzinfo=BERLIN)
    assert due.utcoffset() == timedelta(hours=2)
    assert working_seconds_between(friday, due, berlin_office) == 2 * 3600

    round_the_clock = parse_calendar(
        {"timezone": "Europe/Berlin", "days": [1, 2, 3, 4, 5, 6, 7], "hours": ["00:00", "24:00"]}
    )
    saturday_noon = datetime(2027, 3, 27, 12, 0, tzinfo=BERLIN)
    # 24 real hours later the wall clock shows 13:00: Sunday had 23 hours.
    assert due_after(saturday_noon, 24, round_the_clock) == datetime(
        2027, 3, 28, 13, 0, tzinfo=BERLIN
    )
    sunday = datetime(2027, 3, 28, 0, 0, tzinfo=BERLIN)
    monday = datetime(2027, 3, 29, 0, 0, tzinfo=BERLIN)
    assert working_seconds_between(sunday, monday, round_the_clock) == 23 * 3600


def test_daylight_saving_fall_back() -> None:
    round_the_clock = parse_calendar(
        {"timezone": "Europe/Berlin", "days": [1, 2, 3, 4, 5, 6, 7], "hours": ["00:00", "24:00"]}
    )
    sunday = datetime(2027, 10, 31, 0, 0, tzinfo=BERLIN)
    monday = datetime(2027, 11, 1, 0, 0, tzinfo=BERLIN)
    assert working_seconds_between(sunday, monday, round_the_clock) == 25 * 3600


def test_a_24_7_calendar_counts_every_hour() -> None:
    start = datetime(2027, 3, 13, 23, 30, tzinfo=UTC)  # a Saturday night
    assert due_after(start, 50, ROUND_THE_CLOCK) == start + timedelta(hours=50)
    assert working_seconds_between(start, start + timedelta(days=3), ROUND_THE_CLOCK) == 72 * 3600
    moscow_24_7 = parse_calendar(
        {"timezone": "Europe/Moscow", "days": [1, 2, 3, 4, 5, 6, 7], "hours": ["00:00", "24:00"]}
    )
    assert due_after(start, 50, moscow_24_7) == start + timedelta(hours=50)
    assert parse_calendar(None) == ROUND_THE_CLOCK


def test_moved_working_saturday_counts() -> None:
    calendar = parse_calendar(
        {
            "timezone": "Europe/Moscow",
            "days": [1, 2, 3, 4, 5],
            "hours": ["09:00", "18:00"],
            "extra_workdays": ["2027-03-13"],
        }
    )
    assert due_after(msk(2027, 3, 12, 17, 0), 2, calendar) == msk(2027, 3, 13, 10, 0)


def test_working_seconds_between() -> None:
    assert working_seconds_between(msk(2027, 3, 10, 12, 0), msk(2027, 3, 10, 8, 0), OFFICE) == 0
    # Wednesday 17:00 -> Thursday 10:00: one hour on each day.
    assert working_seconds_between(msk(2027, 3, 10, 17, 0), msk(2027, 3, 11, 10, 0), OFFICE) == (
        2 * 3600
    )
    # A whole week: five days of nine hours.
    assert working_seconds_between(msk(2027, 3, 15, 0, 0), msk(2027, 3, 22, 0, 0), OFFICE) == (
        45 * 3600
    )


def test_due_after_and_working_seconds_agree() -> None:
    start = msk(2027, 4, 28, 15, 20)
    for hours in (0.25, 1, 3, 9, 17.5, 40, 100):
        due = due_after(start, hours, OFFICE)
        assert working_seconds_between(start, due, OFFICE) == pytest.approx(hours * 3600)


def test_sla_times_warn_at_80_percent_unless_told() -> None:
    start = msk(2027, 3, 10, 9, 0)
    times = sla_times(start, 10, OFFICE)
    assert times.due_at == msk(2027, 3, 11, 10, 0)
    assert times.warn_at == msk(2027, 3, 10, 17, 0)  # 8 working hours in
    told = sla_times(start, 10, OFFICE, warn_hours=2)
    assert told.warn_at == msk(2027, 3, 10, 11, 0)
    clamped = sla_times(start, 10, OFFICE, warn_hours=50)
    assert clamped.warn_at == clamped.due_at
    with pytest.raises(ValueError):
        sla_times(start, -1, OFFICE)


def test_remaining_hours_skip_the_night() -> None:
    due = msk(2027, 3, 11, 12, 0)
    assert remaining_hours(msk(2027, 3, 10, 16, 0), due, OFFICE) == 5
    assert remaining_hours(msk(2027, 3, 11, 13, 0), due, OFFICE) == 0


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        due_after(datetime(2027, 3, 10, 9, 0), 1, OFFICE)


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ("9-18", "calendar"),
        ({"days": [1], "hours": ["09:00", "18:00"]}, "calendar.timezone"),
        (
            {"timezone": "Mars/Olympus", "days": [1], "hours": ["09:00", "18:00"]},
            "calendar.timezone",
        ),
        ({"timezone": "UTC", "days": [], "hours": ["09:00", "18:00"]}, "calendar.days"),
        ({"timezone": "UTC", "days": [1, 8], "hours": ["09:00", "18:00"]}, "calendar.days[1]"),
        ({"timezone": "UTC", "days": [1], "hours": ["09:00"]}, "calendar.hours"),
        ({"timezone": "UTC", "days": [1], "hours": ["9", "18:00"]}, "calendar.hours[0]"),
        ({"timezone": "UTC", "days": [1], "hours": ["09:00", "24:30"]}, "calendar.hours[1]"),
        ({"timezone": "UTC", "days": [1], "hours": ["20:00", "08:00"]}, "calendar.hours[1]"),
        (
            {"timezone": "UTC", "days": [1], "hours": ["09:00", "18:00"], "holidays": ["1 мая"]},
            "calendar.holidays[0]",
        ),
        (
            {"timezone": "UTC", "days": [1], "hours": ["09:00", "18:00"], "weekends": [6]},
            "calendar.weekends",
        ),
    ],
)
def test_bad_calendars_name_the_field(entry: object, field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_calendar(entry)
    assert caught.value.details[0].path == field
    assert caught.value.message.startswith(f"{field}: ")


def test_the_prefix_names_the_group() -> None:
    with pytest.raises(ValidationFailed, match=r"^groups\.billing\.calendar\.days"):
        parse_calendar(
            {"timezone": "UTC", "days": "weekdays", "hours": ["09:00", "18:00"]},
            "groups.billing.calendar",
        )


def test_calendar_equality_ignores_the_zone_object() -> None:
    assert Calendar(timezone="Europe/Moscow") == Calendar(timezone="Europe/Moscow")
