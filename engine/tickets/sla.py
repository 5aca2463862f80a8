"""SLA times for routing diagrams: the built-ins ``cuebook.due_time`` and ``cuebook.sla_pause``.

``cuebook.due_time(hours, group, warn_hours?, start?)`` counts ``hours`` of the group's
working time from ``start`` (default: now) and returns::

    {"due_at": ISO, "warn_at": ISO, "start": ISO, "hours": 8.0, "warn_hours": 6.4,
     "group": "<the group whose calendar counted>", "timezone": "Europe/Moscow"}

``warn_hours`` is working time from the start to the warning (default 80% of ``hours``).
An empty ``group`` (a decision with no group) counts in the fallback group's calendar.

``cuebook.sla_pause(group, due_at, warn_at?)`` stops the SLA clock: it returns the working
hours left until ``due_at`` (and ``warn_at``), which the diagram keeps and hands back to
``cuebook.due_time`` when the customer replies, so the time spent waiting is not counted::

    {"remaining_hours": 5.5, "warn_remaining_hours": 3.7, "paused_at": ISO}

A group's calendar is read from the ``groups.json`` of the published routing scripts (a few
seconds' cache): a group name means one group, with one calendar, in every routing script;
if two published routing scripts disagree, the one published last wins.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from engine.bpmn.compiler import FunctionInfo
from engine.calendar import Calendar, parse_calendar, remaining_hours, sla_times
from engine.errors import CuebookError, Detail, ValidationFailed
from engine.persistence.database import Database
from engine.versions import SpecCache

log = logging.getLogger("cuebook.sla")

DUE_TIME = FunctionInfo(
    "cuebook.due_time", ("hours", "group", "warn_hours", "start"), ("hours", "group")
)
SLA_PAUSE = FunctionInfo("cuebook.sla_pause", ("group", "due_at", "warn_at"), ("group", "due_at"))
DECLARATIONS = (DUE_TIME, SLA_PAUSE)

CalendarLookup = Callable[[str | None], tuple[str, Calendar]]
Clock = Callable[[], datetime]


# -- arguments --------------------------------------------------------------------------------


def _bad(name: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{name}: {message}", [Detail(name, message)])


def _hours(args: dict[str, Any], name: str, *, required: bool) -> float | None:
    value = args.get(name)
    if value is None or value == "":
        if required:
            raise _bad(name, "is required: a number of working hours")
        return None
    if isinstance(value, bool):
        raise _bad(name, f"must be a number of hours, not {value!r}")
    try:
        hours = float(value)
    except (TypeError, ValueError) as exc:
        raise _bad(name, f"must be a number of hours, not {value!r}") from exc
    if not math.isfinite(hours) or hours < 0 or hours > 100_000:
        raise _bad(name, f"must be 0 to 100000 hours, not {value!r}")
    return hours


def _moment(args: dict[str, Any], name: str, *, required: bool) -> datetime | None:
    value = args.get(name)
    if value is None or value == "":
        if required:
            raise _bad(name, "is required: an ISO 8601 time with a zone")
        return None
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise _bad(name, f"{value!r} is not an ISO 8601 time") from exc
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise _bad(name, f"{value!r} has no time zone (add Z or +03:00)")
    return moment


def _group(args: dict[str, Any]) -> str | None:
    value = args.get("group")
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _bad("group", f"must be a group name, not {value!r}")
    return value


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


# -- the built-ins ----------------------------------------------------------------------------


def due_time(args: dict[str, Any], calendars: CalendarLookup, now: datetime) -> dict[str, Any]:
    """``cuebook.due_time``: due and warning times ``hours`` of working time from the start."""
    hours = _hours(args, "hours", required=True)
    assert hours is not None
    warn_hours = _hours(args, "warn_hours", required=False)
    start = _moment(args, "start", required=False) or now.replace(microsecond=0)
    group, calendar = calendars(_group(args))
    times = sla_times(start, hours, calendar, warn_hours)
    return {
        "due_at": _iso(times.due_at),
        "warn_at": _iso(times.warn_at),
        "start": _iso(start),
        "hours": hours,
        "warn_hours": times.warn_hours,
        "group": group,
        "timezone": calendar.timezone,
    }


def sla_pause(args: dict[str, Any], calendars: CalendarLookup, now: datetime) -> dict[str, Any]:
    """``cuebook.sla_pause``: working hours left until the due (and warning) time."""
    due_at = _moment(args, "due_at", required=True)
    assert due_at is not None
    warn_at = _moment(args, "warn_at", required=False)
    _group_name, calendar = calendars(_group(args))
    return {
        "remaining_hours": round(remaining_hours(now, due_at, calendar), 6),
        "warn_remaining_hours": (
            None if warn_at is None else round(remaining_hours(now, warn_at, calendar), 6)
        ),
        "paused_at": _iso(now),
    }


def sla_functions(
    calendars: CalendarLookup, clock: Clock
) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
    """The implementations to bind to ``DECLARATIONS``, by name."""
    return {
        DUE_TIME.name: lambda args: due_time(args, calendars, clock()),
        SLA_PAUSE.name: lambda args: sla_pause(args, calendars, clock()),
    }


# -- group calendars from the published routing scripts ---------------------------------------


@dataclass(frozen=True)
class _Directory:
    calendars: dict[str, Any] = field(default_factory=dict)  # group -> calendar entry
    fallback: str | None = None


class GroupCalendars:
    """A group's calendar by name, from the ``groups.json`` of the published routing
    scripts, read again every ``ttl`` seconds (and at once when a group is not found)."""

    def __init__(
        self,
        database: Database,
        specs: SpecCache,
        *,
        ttl: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.database = database
        self.specs = specs
        self.ttl = ttl
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._directory: _Directory | None = None
        self._read_at = -math.inf
        self._parsed: dict[tuple[str, str], Calendar] = {}
        self._routing: dict[int, Any] = {}  # version id -> its routing rules (None: not routing)

    def __call__(self, group: str | None) -> tuple[str, Calendar]:
        directory = self._current(fresh=False)
        if (group is not None and group not in directory.calendars) or directory.fallback is None:
            directory = self._current(fresh=True)
        name = group if group is not None and group in directory.calendars else directory.fallback
        if name is None:
            raise ValidationFailed(
                f"group {group!r} is in no published routing script's groups.json",
                [Detail("group", "unknown group and no fallback group")],
            )
        return name, self._calendar(name, directory.calendars[name])

    def _calendar(self, name: str, entry: Any) -> Calendar:
        key = (name, repr(entry))
        found = self._parsed.get(key)
        if found is None:
            found = parse_calendar(entry, f"groups.{name}.calendar")
            self._parsed[key] = found
        return found

    def _current(self, *, fresh: bool) -> _Directory:
        with self._lock:
            stale = self._monotonic() - self._read_at >= self.ttl
            if self._directory is None or stale or fresh:
                self._directory = self._read()
                self._read_at = self._monotonic()
            return self._directory

    def _read(self) -> _Directory:
        """The calendars of every published routing script; the one published last wins."""
        calendars: dict[str, Any] = {}
        fallback = None
        with self.database.unit_of_work() as uow:
            rows = [s for s in uow.scripts.all() if s["published_version"] is not None]
            rows.sort(key=lambda s: (s["updated_at"] or datetime.min.replace(tzinfo=UTC), s["key"]))
            for script in rows:
                release = uow.scripts.published_version_id(script["key"])
                if release is None:
                    continue
                routing = self._routing_of(uow, script["key"], int(release["version_id"]))
                if routing is None:
                    continue
                for name, spec in routing.groups.items():
                    calendars[name] = spec.calendar
                fallback = routing.fallback_group
        return _Directory(calendars, fallback)

    def _routing_of(self, uow: Any, key: str, version_id: int) -> Any:
        """A version's routing rules, remembered (versions are immutable)."""
        if version_id not in self._routing:
            try:
                compiled = self.specs.get(uow, version_id)
            except CuebookError as exc:  # a version that no longer compiles: not routing
                log.warning("script %s: %s", key, exc.message)
                compiled = None
            self._routing[version_id] = getattr(compiled, "routing", None)
        return self._routing[version_id]
