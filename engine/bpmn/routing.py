"""Routing bundles: the groups a ticket may land in, read from the bundle's ``groups.json``.

A routing script is a bundle whose manifest says ``"kind": "routing"``. Beside its BPMN and
DMN it holds ``groups.json``::

    {"fallback_group": "general",
     "groups": {"<name>": {"title": "...",
                           "calendar": {"timezone": "Europe/Moscow", "days": [1, 2, 3, 4, 5],
                                        "hours": ["09:00", "18:00"],
                                        "holidays": ["2027-01-01"]},
                           "transfers_to": ["<group>", ...]}},
     "types": {"<type>": {"dedup_window_hours": 72, "title": "..."}}}

``transfers_to`` absent means a group may hand a ticket to any group. The compiler loads the
file into ``CompiledScript.routing`` (a ``RoutingRules``), so the ticket engine and the
working-hours calendars read the same thing, and refuses a bundle whose decision tables
name, as a literal, a group the file does not list.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine.calendar import parse_calendar
from engine.errors import Detail, ValidationFailed

GROUPS_FILE = "groups.json"
ROUTING_KIND = "routing"
GROUP_VARIABLE = "group"
DEFAULT_DEDUP_WINDOW_HOURS = 72.0

Problem = tuple[str, str, str]  # file, element, message


@dataclass(frozen=True)
class GroupSpec:
    """One specialist group: its title, working-hours calendar (as written) and transfers."""

    name: str
    title: str
    calendar: dict[str, Any] | None = None
    transfers_to: tuple[str, ...] | None = None  # None: any group


@dataclass(frozen=True)
class TicketType:
    name: str
    title: str
    dedup_window_hours: float = DEFAULT_DEDUP_WINDOW_HOURS


@dataclass(frozen=True)
class RoutingRules:
    """What ``groups.json`` says, checked."""

    fallback_group: str
    groups: dict[str, GroupSpec]
    types: dict[str, TicketType] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    def knows(self, group: str) -> bool:
        return group in self.groups

    def transfer_refusal(self, source: str | None, target: str) -> str | None:
        """Why a ticket may not move from ``source`` to ``target`` (None: it may)."""
        spec = self.groups.get(source or "")
        if spec is None or spec.transfers_to is None or target in spec.transfers_to:
            return None
        allowed = ", ".join(spec.transfers_to) or "no group"
        return f"group {source} may transfer tickets only to: {allowed}"

    def dedup_window_hours(self, ticket_type: str) -> float:
        found = self.types.get(ticket_type)
        return found.dedup_window_hours if found else DEFAULT_DEDUP_WINDOW_HOURS

    def group_title(self, group: str | None) -> str:
        spec = self.groups.get(group or "")
        return spec.title if spec else ""


def is_routing(manifest: dict[str, Any]) -> bool:
    return manifest.get("kind") == ROUTING_KIND


def load_routing(
    files: dict[str, bytes], manifest: dict[str, Any], dmn_roots: dict[str, Any]
) -> tuple[RoutingRules | None, list[Problem]]:
    """The routing rules of a routing bundle (None for any other bundle), and its problems."""
    if not is_routing(manifest):
        return None, []
    if GROUPS_FILE not in files:
        return None, [("cuebook.json", "", f"a routing bundle needs {GROUPS_FILE}")]
    try:
        data = json.loads(files[GROUPS_FILE].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, [(GROUPS_FILE, "", f"not valid JSON: {exc}")]
    problems: list[Problem] = []
    rules = _rules(data, problems)
    if rules is not None:
        problems.extend(_unknown_dmn_groups(rules, dmn_roots))
    return (rules if not problems else None), problems


def _rules(data: Any, problems: list[Problem]) -> RoutingRules | None:
    def bad(where: str, message: str) -> None:
        problems.append((GROUPS_FILE, where, message))

    if not isinstance(data, dict) or not isinstance(data.get("groups"), dict) or not data["groups"]:
        bad("groups", "must be an object naming at least one group")
        return None
    groups = {name: _group(name, spec, bad) for name, spec in data["groups"].items()}
    for spec in groups.values():
        for target in spec.transfers_to or ():
            if target not in groups:
                bad(f"groups.{spec.name}.transfers_to", f"unknown group {target!r}")
    fallback = data.get("fallback_group")
    if not isinstance(fallback, str) or fallback not in groups:
        bad("fallback_group", f"must name one of the groups (got {fallback!r})")
    types = data.get("types", {})
    if not isinstance(types, dict):
        bad("types", "must be an object")
        types = {}
    ticket_types = {name: _type(name, spec, bad) for name, spec in types.items()}
    return RoutingRules(str(fallback), groups, ticket_types, data)


def _group(name: str, spec: Any, bad: Any) -> GroupSpec:
    where = f"groups.{name}"
    if not name or len(name) > 100:
        bad(where, "a group name is 1-100 characters")
    if not isinstance(spec, dict):
        bad(where, "must be an object")
        return GroupSpec(name, name)
    calendar = spec.get("calendar")
    if calendar is not None and not _calendar_ok(calendar, f"{where}.calendar", bad):
        calendar = None
    transfers = spec.get("transfers_to")
    if transfers is not None and (
        not isinstance(transfers, list) or not all(isinstance(t, str) for t in transfers)
    ):
        bad(f"{where}.transfers_to", "must be a list of group names")
        transfers = None
    return GroupSpec(
        name,
        str(spec.get("title") or name),
        calendar,
        tuple(transfers) if transfers is not None else None,
    )


def _calendar_ok(calendar: Any, where: str, bad: Any) -> bool:
    """Whether a group's calendar reads (timezone, weekdays, hours, dates); a problem naming
    the field otherwise, so a bad calendar is refused at deploy, not when an SLA is counted."""
    try:
        parse_calendar(calendar, where)
    except ValidationFailed as exc:
        detail = exc.details[0] if exc.details else Detail(where, exc.message)
        bad(detail.path, detail.message)
        return False
    return True


def _type(name: str, spec: Any, bad: Any) -> TicketType:
    where = f"types.{name}"
    if not isinstance(spec, dict):
        bad(where, "must be an object")
        return TicketType(name, name)
    window = spec.get("dedup_window_hours", DEFAULT_DEDUP_WINDOW_HOURS)
    if isinstance(window, bool) or not isinstance(window, int | float) or window < 0:
        bad(f"{where}.dedup_window_hours", "must be a number of hours, 0 or more")
        window = DEFAULT_DEDUP_WINDOW_HOURS
    return TicketType(name, str(spec.get("title") or name), float(window))


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _children(node: Any, name: str) -> list[Any]:
    return [child for child in node if _local(child.tag) == name]


def _group_outputs(dmn_roots: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(file, rule id, cell text) of every ``group`` output cell of every decision table."""
    for file, root in dmn_roots.items():
        for table in root.iter():
            if _local(table.tag) != "decisionTable":
                continue
            names = [o.get("name") for o in _children(table, "output")]
            if GROUP_VARIABLE not in names:
                continue
            index = names.index(GROUP_VARIABLE)
            for rule in _children(table, "rule"):
                cells = _children(rule, "outputEntry")
                if index < len(cells):
                    text = "".join(t.text or "" for t in _children(cells[index], "text"))
                    yield file, rule.get("id", ""), text.strip()


def _unknown_dmn_groups(rules: RoutingRules, dmn_roots: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    for file, rule, text in _group_outputs(dmn_roots):
        try:
            value = ast.literal_eval(text) if text else None
        except (ValueError, SyntaxError):
            continue  # an expression: decided when it runs (an unknown result falls back)
        if isinstance(value, str) and not rules.knows(value):
            problems.append(
                (file, rule, f"group {value!r} is not one of the groups in {GROUPS_FILE}")
            )
    return problems
