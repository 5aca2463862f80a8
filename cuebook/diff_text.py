"""A version diff (engine/bpmn/diff.py) as lines of text for the terminal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from engine.bpmn.diff import SECTIONS


def _brief(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "..."


def _name(record: dict[str, Any]) -> str:
    label = record.get("id") or record.get("file") or ""
    kind = record.get("type")
    title = record.get("name")
    return " ".join(str(p) for p in (label, f"({kind})" if kind else "", title or "") if p)


def _fields(before: dict[str, Any], after: dict[str, Any]) -> Iterator[str]:
    for field in sorted(set(before) | set(after)):
        if field not in ("id", "file") and before.get(field) != after.get(field):
            yield f"      {field}: {_brief(before.get(field))} -> {_brief(after.get(field))}"


def _changed(section: str, item: dict[str, Any]) -> Iterator[str]:
    yield f"  ~ {_name(item.get('after', item))}"
    if section == "forms":
        for change in item["changes"]:
            was, now = _brief(change.get("before")), _brief(change.get("after"))
            yield f"      {change['op']} {change['path']}: {was} -> {now}"
    elif section == "decisions":
        for field, values in item["table"].items():
            yield f"      {field}: {_brief(values['before'])} -> {_brief(values['after'])}"
        for kind, sign in (("added", "+"), ("removed", "-"), ("changed", "~")):
            for rule in item["rules"][kind]:
                shown = rule.get("after", rule)
                yield f"      {sign} rule {rule['id']}: {_brief(shown.get('inputs'))} => " + (
                    _brief(shown.get("outputs"))
                )
    else:
        yield from _fields(item["before"], item["after"])


def diff_lines(found: dict[str, Any]) -> Iterator[str]:
    """One line per element, flow, form, decision or call added (+), removed (-) or
    changed (~, with what changed), by section."""
    yield f"{found['script']}: version {found['a']} -> version {found['b']}"
    for section in SECTIONS:
        part = found[section]
        if not any(part[k] for k in ("added", "removed", "changed")):
            continue
        yield f"{section}:"
        for item in part["added"]:
            yield f"  + {_name(item)}"
        for item in part["removed"]:
            yield f"  - {_name(item)}"
        for item in part["changed"]:
            yield from _changed(section, item)
    if found["manifest"]:
        yield "manifest:"
        for change in found["manifest"]:
            yield f"  {change['op']} {change['path']}"
    if not any(any(v.values()) for v in found["summary"].values()) and not found["manifest"]:
        yield "no differences"
