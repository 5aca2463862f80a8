"""A team file read into operator profiles: CSV or YAML (``cuebook operators import``).

CSV, one operator a row, with a header: ``login`` (required), ``name``, ``groups``
(``billing:3;general:1``: group, then its level, 1 when left out), ``languages``
(``ru;en``), ``channels`` (``chat;web``), ``capacity_conversations``, ``capacity_tickets``,
``active`` (true/false). YAML: a list of objects with the fields of
POST /api/v1/operators (``skills`` as a list of ``{group, level}``). A problem is named by
its place: ``[2].capacity_tickets`` is the third operator's.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import yaml

from engine.errors import Detail, ValidationFailed
from engine.operators.profiles import Profile

MAX_OPERATORS = 10_000


def read_team(name: str, text: str) -> list[Profile]:
    lowered = name.lower()
    if lowered.endswith((".yaml", ".yml")):
        entries = _yaml_entries(text)
    elif lowered.endswith(".csv"):
        entries = [_csv_entry(row) for row in csv.DictReader(io.StringIO(text))]
    else:
        raise ValidationFailed(
            f"{name}: a team file is .csv, .yaml or .yml", [Detail("file", "unknown kind")]
        )
    if len(entries) > MAX_OPERATORS:
        raise ValidationFailed(f"more than {MAX_OPERATORS} operators", [Detail("", "too many")])
    return [_profile(entry, i) for i, entry in enumerate(entries)]


def _yaml_entries(text: str) -> list[dict[str, Any]]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"the YAML does not read: {exc}", [Detail("", "bad YAML")]) from None
    if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
        raise ValidationFailed("a YAML team file is a list of operators", [Detail("", "list")])
    return data


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(";") if part.strip()]


def _csv_entry(row: dict[str, str | None]) -> dict[str, Any]:
    entry: dict[str, Any] = {k: v for k, v in row.items() if k and v not in (None, "")}
    skills = []
    for part in _split(row.get("groups")):
        group, _, level = part.partition(":")
        skills.append({"group": group.strip(), "level": level.strip() or "1"})
    entry["skills"] = skills
    entry.pop("groups", None)
    for name in ("languages", "channels"):
        entry[name] = _split(row.get(name))
    return entry


def _int(entry: dict[str, Any], name: str, path: str, default: int) -> int:
    value = entry.get(name, default)
    if isinstance(value, bool):
        raise ValidationFailed(f"{path}: must be a whole number", [Detail(path, "whole number")])
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(
            f"{path}: must be a whole number", [Detail(path, "must be a whole number")]
        ) from None


def _texts(entry: dict[str, Any], name: str, path: str) -> tuple[str, ...]:
    value = entry.get(name) or []
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise ValidationFailed(f"{path}: must be a list", [Detail(path, "must be a list")])
    return tuple(str(v) for v in value)


def _active(value: Any, path: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0"):
        return False
    raise ValidationFailed(f"{path}: must be true or false", [Detail(path, "true or false")])


def _profile(entry: dict[str, Any], i: int) -> Profile:
    at = f"[{i}]."
    login = str(entry.get("login") or "").strip()
    if not login:
        raise ValidationFailed(f"{at}login is missing", [Detail(f"{at}login", "required")])
    skills = []
    raw = entry.get("skills") or []
    if not isinstance(raw, list):
        raise ValidationFailed(f"{at}skills: must be a list", [Detail(f"{at}skills", "a list")])
    for j, skill in enumerate(raw):
        path = f"{at}skills[{j}]"
        if not isinstance(skill, dict) or not skill.get("group"):
            raise ValidationFailed(f"{path}: needs a group", [Detail(f"{path}.group", "required")])
        skills.append((str(skill["group"]), _int(skill, "level", f"{path}.level", 1)))
    return Profile(
        login=login,
        name=str(entry.get("name") or ""),
        skills=tuple(skills),
        languages=_texts(entry, "languages", f"{at}languages"),
        channels=_texts(entry, "channels", f"{at}channels"),
        capacity_conversations=_int(
            entry, "capacity_conversations", f"{at}capacity_conversations", 1
        ),
        capacity_tickets=_int(entry, "capacity_tickets", f"{at}capacity_tickets", 5),
        active=_active(entry.get("active", True), f"{at}active"),
    )
