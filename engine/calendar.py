"""Working-hours arithmetic for SLA times: pure functions, no I/O.

A group's calendar (``groups.json``: ``groups.<name>.calendar``) says when the group works::

    {"timezone": "Europe/Moscow", "days": [1, 2, 3, 4, 5], "hours": ["09:00", "18:00"],
     "holidays": ["2027-01-01"], "extra_workdays": ["2027-11-06"]}

``days`` are ISO weekdays (1 Monday ... 7 Sunday); ``hours`` the daily opening and closing
times in the zone's wall-clock time (``"24:00"`` closes at midnight, so ``["00:00", "24:00"]``
on all seven days is round the clock); ``holidays`` local dates with no work;
``extra_workdays`` local dates worked although their weekday is not in ``days`` (the
Saturdays a production calendar moves a working day to). A group without a calendar works
round the clock.

Working time is counted in real seconds inside the working intervals, so a day whose clock
is moved for daylight saving holds one hour less (or more) only where the move falls inside
working hours. Times given are aware ``datetime`` values; results are in the calendar's zone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.errors import Detail, ValidationFailed

HOUR = 3600.0
MAX_DAYS = 3700  # about ten years: a calendar with no working day that far ahead is refused
_TIME = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


@dataclass(frozen=True)
class Calendar:
    """When a group works: weekdays, daily hours, holidays, moved working days, time zone."""

    timezone: str = "UTC"
    days: frozenset[int] = frozenset(range(1, 8))
    opens: time = time(0, 0)
    closes: time | None = None  # None: midnight at the end of the day ("24:00")
    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", ZoneInfo(self.timezone))

    def works_on(self, day: date) -> bool:
        if day in self.holidays:
            return False
        return day.isoweekday() in self.days or day in self.extra_workdays

    def interval(self, day: date) -> tuple[datetime, datetime] | None:
        """The working interval of a local date in UTC (None on a day off)."""
        if not self.works_on(day):
            return None
        start = datetime.combine(day, self.opens, self.zone)
        if self.closes is None:
            end = datetime.combine(day + timedelta(days=1), time(0, 0), self.zone)
        else:
            end = datetime.combine(day, self.closes, self.zone)
        return start.astimezone(UTC), end.astimezone(UTC)

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()


ROUND_THE_CLOCK = Calendar()


# -- reading a calendar from groups.json ------------------------------------------------------


def _bad(where: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{where}: {message}", [Detail(where, message)])


def _zone(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise _bad(where, "must be an IANA time zone name such as 'Europe/Moscow'")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise _bad(where, f"unknown time zone {value!r}") from exc
    return value


def _days(value: Any, where: str) -> frozenset[int]:
    if not isinstance(value, list):
        raise _bad(where, "must be a list of ISO weekdays, 1 (Monday) to 7 (Sunday)")
    if not value:
        raise _bad(where, "no working day: the calendar has no working time at all")
    for index, day in enumerate(value):
        if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= 7:
            raise _bad(f"{where}[{index}]", f"{day!r} is not a weekday 1 (Monday) to 7 (Sunday)")
    return frozenset(value)


def _time(value: Any, where: str) -> time | None:
    match = _TIME.match(value) if isinstance(value, str) else None
    if match is None or (match.group(1) == "24" and match.group(2) != "00"):
        raise _bad(where, f"{value!r} is not a time of day HH:MM (00:00 to 24:00)")
    hour, minute = int(match.group(1)), int(match.group(2))
    return None if hour == 24 else time(hour, minute)


def _hours(value: Any, where: str) -> tuple[time, time | None]:
    if not isinstance(value, list) or len(value) != 2:
        raise _bad(where, 'must be [opening, closing], such as ["09:00", "18:00"]')
    opens = _time(value[0], f"{where}[0]")
    closes = _time(value[1], f"{where}[1]")
    if opens is None:
        raise _bad(f"{where}[0]", "a day cannot open at 24:00")
    if closes is not None and closes <= opens:
        raise _bad(
            f"{where}[1]",
            "closing time must be after opening time (a shift over midnight is not supported;"
            ' close at "24:00" and open at "00:00" the next day)',
        )
    return opens, closes


def _dates(value: Any, where: str) -> frozenset[date]:
    if value is None:
        return frozenset()
    if not isinstance(value, list):
        raise _bad(where, "must be a list of dates YYYY-MM-DD")
    found = set()
    for index, item in enumerate(value):
        try:
            found.add(date.fromisoformat(item))
        except (TypeError, ValueError) as exc:
            raise _bad(f"{where}[{index}]", f"{item!r} is not a date YYYY-MM-DD") from exc
    return frozenset(found)


CALENDAR_KEYS = frozenset({"timezone", "days", "hours", "holidays", "extra_workdays"})


def parse_calendar(value: Any, where: str = "calendar") -> Calendar:
    """A calendar from its ``groups.json`` entry; None or absent works round the clock.

    Raises ValidationFailed naming the bad field (``where`` prefixes it, e.g.
    ``groups.billing.calendar.hours[1]``).
    """
    if value is None:
        return ROUND_THE_CLOCK
    if not isinstance(value, dict):
        raise _bad(where, "must be an object with timezone, days and hours")
    unknown = sorted(set(value) - CALENDAR_KEYS)
    if unknown:
        raise _bad(
            f"{where}.{unknown[0]}", f"unknown field; use {', '.join(sorted(CALENDAR_KEYS))}"
        )
    for required in ("timezone", "days", "hours"):
        if required not in value:
            raise _bad(f"{where}.{required}", "is required")
    opens, closes = _hours(value["hours"], f"{where}.hours")
    return Calendar(
        timezone=_zone(value["timezone"], f"{where}.timezone"),
        days=_days(value["days"], f"{where}.days"),
        opens=opens,
        closes=closes,
        holidays=_dates(value.get("holidays"), f"{where}.holidays"),
        extra_workdays=_dates(value.get("extra_workdays"), f"{where}.extra_workdays"),
    )


# -- arithmetic -------------------------------------------------------------------------------


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must carry a time zone")
    return moment.astimezone(UTC)


def _intervals(calendar: Calendar, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Working intervals (UTC) that end after ``start``, in order, clipped to begin at it."""
    day = calendar.local_date(start) - timedelta(days=1)  # an interval may begin the day before
    for _ in range(MAX_DAYS):
        span = calendar.interval(day)
        day += timedelta(days=1)
        if span is None or span[1] <= start:
            continue
        yield max(span[0], start), span[1]
    raise ValueError(f"the calendar has no working time within {MAX_DAYS} days of {start}")


def due_after(start: datetime, hours: float, calendar: Calendar) -> datetime:
    """The moment ``hours`` of working time after ``start`` (in the calendar's zone).

    Time outside working hours does not count: a start at night counts from the next opening.
    Zero hours (or less) is due at ``start``.
    """
    moment = _aware(start, "start")
    left = timedelta(seconds=round(hours * HOUR, 3))
    if left <= timedelta(0):
        return moment.astimezone(calendar.zone)
    for begin, end in _intervals(calendar, moment):
        if end - begin >= left:
            return (begin + left).astimezone(calendar.zone)
        left -= end - begin
    raise AssertionError("unreachable: _intervals raises when it runs out")


def working_seconds_between(a: datetime, b: datetime, calendar: Calendar) -> float:
    """Seconds of working time from ``a`` to ``b`` (0 when ``b`` is not after ``a``)."""
    begin_at, end_at = _aware(a, "a"), _aware(b, "b")
    if end_at <= begin_at:
        return 0.0
    total = timedelta(0)
    for begin, end in _intervals(calendar, begin_at):
        if begin >= end_at:
            break
        total += min(end, end_at) - begin
    return total.total_seconds()


def is_working_time(moment: datetime, calendar: Calendar) -> bool:
    at = _aware(moment, "moment")
    for begin, _end in _intervals(calendar, at):
        return begin <= at
    return False


# -- SLA times --------------------------------------------------------------------------------

WARN_SHARE = 0.8


@dataclass(frozen=True)
class SlaTimes:
    """When a ticket is due, and when to warn before it (both in the calendar's zone)."""

    due_at: datetime
    warn_at: datetime
    warn_hours: float  # working hours from the start to the warning


def sla_times(
    start: datetime, hours: float, calendar: Calendar, warn_hours: float | None = None
) -> SlaTimes:
    """Due after ``hours`` of working time; warn after ``warn_hours`` of it (default 80%).

    ``warn_hours`` is counted from ``start`` like ``hours`` and is kept within [0, hours].
    """
    if hours < 0:
        raise ValueError("hours must not be negative")
    warn = hours * WARN_SHARE if warn_hours is None else min(max(warn_hours, 0.0), hours)
    return SlaTimes(due_after(start, hours, calendar), due_after(start, warn, calendar), warn)


def remaining_hours(now: datetime, until: datetime, calendar: Calendar) -> float:
    """Working hours left from ``now`` until ``until`` (0 when it has passed)."""
    return working_seconds_between(now, until, calendar) / HOUR
