"""What changed between two bundles of a script: a pure comparison of their files.

Five sections, each with ``added``, ``removed`` and ``changed`` lists:

- ``elements``: BPMN elements by id, with their type and name, and where present the text
  they say, the operator's hints and their Cuebook properties;
- ``flows``: sequence flows by id, with source, target and condition;
- ``forms``: JSON files (forms, groups.json; not the manifests) by name, a changed file
  listing its changes by JSON pointer;
- ``decisions``: DMN decisions by id, a changed one listing its table's changes (hit policy,
  inputs, outputs) and its rules added, removed and changed;
- ``calls``: service tasks by id, with the integration function (operator id), its
  parameters and the result variable.

``manifest`` lists the changes of cuebook.json / process_model.json by JSON pointer.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from engine.bpmn.bundle import MANIFEST_NAMES, Bundle
from engine.bpmn.namespaces import BPMN_NS, SPIFF_NS
from engine.bpmn.safe_xml import parse_xml

Record = dict[str, Any]
SECTIONS = ("elements", "flows", "forms", "decisions", "calls")

# BPMN parts with ids that are details of an element rather than elements of the diagram.
_NOT_ELEMENTS = frozenset(
    {"sequenceFlow", "conditionExpression", "definitions", "extensionElements", "documentation"}
)
_MAX_JSON_CHANGES = 200


def diff_bundles(before: Bundle, after: Bundle) -> dict[str, Any]:
    """The changes from ``before`` to ``after``, by section, with a count per section."""
    a_bpmn, b_bpmn = _bpmn(before), _bpmn(after)
    result: dict[str, Any] = {
        "elements": keyed_changes(a_bpmn["elements"], b_bpmn["elements"]),
        "flows": keyed_changes(a_bpmn["flows"], b_bpmn["flows"]),
        "forms": _form_changes(_json_files(before), _json_files(after)),
        "decisions": _decision_changes(_decisions(before), _decisions(after)),
        "calls": keyed_changes(a_bpmn["calls"], b_bpmn["calls"]),
        "manifest": json_changes(_manifest(before), _manifest(after)),
    }
    result["summary"] = {
        name: {k: len(result[name][k]) for k in ("added", "removed", "changed")}
        for name in SECTIONS
    }
    return result


def keyed_changes(
    before: dict[str, Record],
    after: dict[str, Record],
    changed: Callable[[str, Record, Record], Record | None] | None = None,
) -> dict[str, list[Record]]:
    """Records by key: those only after (added), only before (removed), and those whose
    fields differ (changed: ``before`` and ``after``, or what ``changed`` makes of them)."""
    out: dict[str, list[Record]] = {"added": [], "removed": [], "changed": []}
    for key in sorted(after.keys() - before.keys()):
        out["added"].append(after[key])
    for key in sorted(before.keys() - after.keys()):
        out["removed"].append(before[key])
    for key in sorted(before.keys() & after.keys()):
        old, new = before[key], after[key]
        if old == new:
            continue
        item = changed(key, old, new) if changed else {"id": key, "before": old, "after": new}
        if item is not None:
            out["changed"].append(item)
    return out


def json_changes(before: Any, after: Any, path: str = "") -> list[Record]:
    """Differences between two JSON values by JSON pointer (``op``: add, remove, replace)."""
    out: list[Record] = []
    _walk_json(before, after, path, out)
    return out[:_MAX_JSON_CHANGES]


def _walk_json(before: Any, after: Any, path: str, out: list[Record]) -> None:
    if len(out) >= _MAX_JSON_CHANGES or before == after:
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for k in sorted(set(before) | set(after), key=str):
            sub = f"{path}/{_pointer_token(str(k))}"
            if k not in before:
                out.append({"op": "add", "path": sub, "after": after[k]})
            elif k not in after:
                out.append({"op": "remove", "path": sub, "before": before[k]})
            else:
                _walk_json(before[k], after[k], sub, out)
        return
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for i, (x, y) in enumerate(zip(before, after, strict=True)):
            _walk_json(x, y, f"{path}/{i}", out)
        return
    out.append({"op": "replace", "path": path or "/", "before": before, "after": after})


def _pointer_token(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


# -- BPMN -----------------------------------------------------------------------------------


def _local(tag: Any) -> str:
    return str(tag).rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(node: Any) -> str:
    return " ".join("".join(node.itertext()).split()) if node is not None else ""


def _bpmn(bundle: Bundle) -> dict[str, dict[str, Record]]:
    found: dict[str, dict[str, Record]] = {"elements": {}, "flows": {}, "calls": {}}
    for name in bundle.names(".bpmn"):
        root = parse_xml(bundle.files[name], name)
        for node in root.iter(f"{{{BPMN_NS}}}*"):
            ident, kind = node.get("id"), _local(node.tag)
            if not ident or kind in _NOT_ELEMENTS or kind.endswith("EventDefinition"):
                if kind == "sequenceFlow" and ident:
                    _put(found["flows"], ident, name, _flow(node))
                continue
            record = {"type": kind, "name": " ".join((node.get("name") or "").split())}
            record.update(_wording(node))
            _put(found["elements"], ident, name, record)
            if kind == "serviceTask":
                _put(found["calls"], ident, name, _call(node))
    return found


def _wording(node: Any) -> Record:
    """What an element says and how it is set up, where it says anything: the text shown or
    spoken (``text``), the operator's hints (``documentation``) and its Cuebook properties
    (form files, handoff, ...). Absent parts are left out, so a bare element's record is only
    its type and name."""
    found: Record = {}
    extensions = node.find(f"{{{BPMN_NS}}}extensionElements")
    if extensions is not None:
        text = _text(extensions.find(f"{{{SPIFF_NS}}}instructionsForEndUser"))
        if text:
            found["text"] = text
        props = {
            str(p.get("name")): p.get("value")
            for p in extensions.iterfind(f"{{{SPIFF_NS}}}properties/{{{SPIFF_NS}}}property")
            if p.get("name")
        }
        if props:
            found["properties"] = dict(sorted(props.items()))
    docs = _text(node.find(f"{{{BPMN_NS}}}documentation"))
    if docs:
        found["documentation"] = docs
    return found


def _put(into: dict[str, Record], ident: str, file: str, record: Record) -> None:
    key = ident if ident not in into else f"{file}#{ident}"
    into[key] = {"id": ident, "file": file, **record}


def _flow(node: Any) -> Record:
    return {
        "source": node.get("sourceRef") or "",
        "target": node.get("targetRef") or "",
        "condition": _text(node.find(f"{{{BPMN_NS}}}conditionExpression")) or None,
    }


def _call(node: Any) -> Record:
    operator = node.find(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}serviceTaskOperator")
    if operator is None:
        return {"operator": None, "parameters": {}, "result_variable": None}
    parameters = {
        str(p.get("id", "")): p.get("value") for p in operator.iter(f"{{{SPIFF_NS}}}parameter")
    }
    return {
        "operator": operator.get("id"),
        "parameters": dict(sorted(parameters.items())),
        "result_variable": operator.get("resultVariable"),
    }


# -- JSON files -----------------------------------------------------------------------------


def _load(bundle: Bundle, name: str) -> Any:
    try:
        return json.loads(bundle.files[name])
    except ValueError:
        return bundle.files[name].decode("utf-8", errors="replace")


def _json_files(bundle: Bundle) -> dict[str, Any]:
    return {n: _load(bundle, n) for n in bundle.names(".json") if n not in MANIFEST_NAMES}


def _manifest(bundle: Bundle) -> dict[str, Any]:
    return {n: _load(bundle, n) for n in MANIFEST_NAMES if n in bundle.files}


def _form_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Record]]:
    return {
        "added": [{"file": n} for n in sorted(after.keys() - before.keys())],
        "removed": [{"file": n} for n in sorted(before.keys() - after.keys())],
        "changed": [
            {"file": n, "changes": json_changes(before[n], after[n])}
            for n in sorted(before.keys() & after.keys())
            if before[n] != after[n]
        ],
    }


# -- DMN ------------------------------------------------------------------------------------


def _children(node: Any, kind: str) -> Iterable[Any]:
    return (c for c in node if _local(c.tag) == kind)


def _decisions(bundle: Bundle) -> dict[str, Record]:
    found: dict[str, Record] = {}
    for name in bundle.names(".dmn"):
        root = parse_xml(bundle.files[name], name)
        for decision in root.iter():
            if _local(decision.tag) != "decision" or not decision.get("id"):
                continue
            table = next((t for t in decision.iter() if _local(t.tag) == "decisionTable"), None)
            _put(found, str(decision.get("id")), name, _table(decision, table))
    return found


def _table(decision: Any, table: Any) -> Record:
    record: Record = {"name": decision.get("name") or "", "hit_policy": None, "inputs": []}
    record.update(outputs=[], rules={})
    if table is None:
        return record
    record["hit_policy"] = table.get("hitPolicy") or "UNIQUE"
    record["inputs"] = [
        {"label": i.get("label") or "", "expression": _text(i)} for i in _children(table, "input")
    ]
    record["outputs"] = [o.get("name") or o.get("label") or "" for o in _children(table, "output")]
    for n, rule in enumerate(_children(table, "rule")):
        record["rules"][rule.get("id") or f"rule {n + 1}"] = {
            "id": rule.get("id") or f"rule {n + 1}",
            "inputs": [_text(e) for e in _children(rule, "inputEntry")],
            "outputs": [_text(e) for e in _children(rule, "outputEntry")],
        }
    return record


def _decision_changes(before: dict[str, Record], after: dict[str, Record]) -> Any:
    def brief(record: Record) -> Record:
        return {k: v for k, v in record.items() if k != "rules"} | {"rules": len(record["rules"])}

    def changed(key: str, old: Record, new: Record) -> Record:
        table = {
            field: {"before": old[field], "after": new[field]}
            for field in ("name", "hit_policy", "inputs", "outputs")
            if old[field] != new[field]
        }
        return {
            "id": old["id"],
            "file": new["file"],
            "table": table,
            "rules": keyed_changes(old["rules"], new["rules"]),
        }

    out = keyed_changes(before, after, changed)
    out["added"] = [brief(r) for r in out["added"]]
    out["removed"] = [brief(r) for r in out["removed"]]
    return out
