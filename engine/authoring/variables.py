"""The variables known at an element of a draft: what the variable picker offers.

A step's text, a condition or a service task's parameter may read any variable set before
the element runs. Walking the draft's diagram backwards along sequence flows (a boundary
event follows its task, a sub-process's start follows what precedes the sub-process, a
sub-process or a call activity of the same diagram hands back what its elements set),
each element met contributes what it sets:

* a user task's form: its fields (the answer's keys become variables);
* a service task: its ``resultVariable``;
* a script task, and any ``preScript`` / ``postScript``: the names the code assigns;
* a business rule task: the outputs of its decision table (the DMN file in the draft);
* a message catch: its ``messageVariable``;
* and before everything, the manifest's ``defaults``.

It reads the XML it is given and nothing else: the panel sends the diagram as the modeler
holds it, unsaved edits included. What a called script of another bundle sets is not known
here (its variables come back only at run time).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from engine.authoring.expressions import check_source
from engine.bpmn.compiler import PROP_FORM
from engine.bpmn.namespaces import BPMN_NS, SPIFF_NS
from engine.bpmn.safe_xml import parse_xml
from engine.errors import Detail, MalformedInput, ValidationFailed

MANIFEST = "cuebook.json"


@dataclass(frozen=True)
class Variable:
    name: str
    source: str  # defaults | form | service | script | decision | message
    element: str  # the element that sets it ("" for the manifest's defaults)
    title: str = ""  # a form field's title, a decision output's label


def _q(tag: str, ns: str = BPMN_NS) -> str:
    return f"{{{ns}}}{tag}"


def _local(node: Any) -> str:
    tag = node.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


class _Diagram:
    """The flow nodes of a BPMN document and who precedes whom."""

    def __init__(self, root: Any) -> None:
        self.nodes: dict[str, Any] = {}
        self.incoming: dict[str, list[str]] = {}
        self.flows: dict[str, Any] = {}
        for node in root.iter():
            ident = node.get("id") if isinstance(node.tag, str) else None
            if not ident:
                continue
            if _local(node) == "sequenceFlow":
                self.flows[ident] = node
                self.incoming.setdefault(node.get("targetRef", ""), []).append(
                    node.get("sourceRef", "")
                )
            else:
                self.nodes[ident] = node
        self.processes = {p.get("id", ""): p for p in root.iter(_q("process")) if p.get("id")}

    def before(self, ident: str) -> list[str]:
        """The elements that run just before ``ident``."""
        found = list(self.incoming.get(ident, []))
        node = self.nodes.get(ident)
        if node is None:
            return found
        attached = node.get("attachedToRef")
        if attached:
            found.append(attached)
        parent = node.getparent()
        if (
            _local(node) == "startEvent"
            and parent is not None
            and _local(parent)
            in (
                "subProcess",
                "transaction",
            )
        ):
            found.extend(self.before(parent.get("id", "")))  # not the sub-process itself:
            # what it sets inside is not known at its start
        return found

    def inner(self, node: Any) -> Iterator[Any]:
        """What a sub-process, or a call activity of a process in this diagram, runs."""
        kind = _local(node)
        if kind in ("subProcess", "transaction"):
            yield from (n for n in node.iter() if n is not node and n.get("id"))
        elif kind == "callActivity":
            called = self.processes.get(node.get("calledElement", ""))
            if called is not None:
                yield from (n for n in called.iter() if n.get("id"))


def _json_file(files: Mapping[str, str], name: str) -> Any:
    try:
        return json.loads(files[name])
    except (KeyError, ValueError):
        return None


def _form_fields(node: Any, files: Mapping[str, str]) -> Iterator[Variable]:
    for prop in node.iterfind(
        f"{_q('extensionElements')}/{_q('properties', SPIFF_NS)}/{_q('property', SPIFF_NS)}"
    ):
        if prop.get("name") != PROP_FORM:
            continue
        schema = _json_file(files, prop.get("value", ""))
        props = schema.get("properties") if isinstance(schema, dict) else None
        for name, field in (props or {}).items():
            title = field.get("title", "") if isinstance(field, dict) else ""
            yield Variable(str(name), "form", node.get("id", ""), str(title))


def _code_writes(node: Any) -> Iterator[Variable]:
    sources = [node.find(_q("script"))] if _local(node) == "scriptTask" else []
    for ext in ("preScript", "postScript"):
        sources.append(node.find(f"{_q('extensionElements')}/{_q(ext, SPIFF_NS)}"))
    for source in sources:
        if source is not None and source.text:
            for name in check_source(source.text, "script").writes:
                yield Variable(name, "script", node.get("id", ""))


def _decision_outputs(node: Any, files: Mapping[str, str]) -> Iterator[Variable]:
    found = node.find(f"{_q('extensionElements')}/{_q('calledDecisionId', SPIFF_NS)}")
    decision = (found.text or "").strip() if found is not None else ""
    if not decision:
        return
    for name, text in files.items():
        if not name.lower().endswith(".dmn"):
            continue
        try:
            root = parse_xml(text.encode(), name)
        except (ValidationFailed, MalformedInput):
            continue
        for table in root.iter():
            if _local(table) == "decision" and table.get("id") == decision:
                for output in (o for o in table.iter() if _local(o) == "output"):
                    if output.get("name"):
                        yield Variable(
                            output.get("name", ""),
                            "decision",
                            node.get("id", ""),
                            output.get("label", ""),
                        )


def _sets(node: Any, diagram: _Diagram, files: Mapping[str, str]) -> Iterator[Variable]:
    ident = node.get("id", "")
    yield from _form_fields(node, files)
    yield from _code_writes(node)
    operator = node.find(f"{_q('extensionElements')}/{_q('serviceTaskOperator', SPIFF_NS)}")
    if operator is not None and operator.get("resultVariable"):
        yield Variable(operator.get("resultVariable", ""), "service", ident)
    if _local(node) == "businessRuleTask":
        yield from _decision_outputs(node, files)
    for message in node.iter(_q("messageVariable", SPIFF_NS)):
        if (message.text or "").strip():
            yield Variable(message.text.strip(), "message", ident)
    for child in diagram.inner(node):
        yield from _sets(child, diagram, files)


def variables_at(bpmn: str, files: Mapping[str, str], element: str) -> list[Variable]:
    """The variables set before ``element`` (a flow node or a sequence flow) runs, nearest
    first; a name set in several places is listed once, where the nearest sets it."""
    try:
        root = parse_xml(bpmn.encode(), "bpmn")
    except ValidationFailed as exc:
        raise ValidationFailed(exc.message, [Detail("bpmn", exc.message)]) from exc
    diagram = _Diagram(root)
    if element in diagram.flows:
        start = [diagram.flows[element].get("sourceRef", "")]
    elif element in diagram.nodes:
        start = diagram.before(element)
    else:
        raise ValidationFailed(
            f"the diagram has no element {element!r}", [Detail("element", "not in the diagram")]
        )
    found: dict[str, Variable] = {}
    seen: set[str] = set()
    queue = deque(start)
    while queue:
        ident = queue.popleft()
        if ident in seen or ident not in diagram.nodes:
            continue
        seen.add(ident)
        for variable in _sets(diagram.nodes[ident], diagram, files):
            found.setdefault(variable.name, variable)
        queue.extend(diagram.before(ident))
    manifest = _json_file(files, MANIFEST)
    defaults = manifest.get("defaults") if isinstance(manifest, dict) else None
    for name in defaults or {}:
        found.setdefault(str(name), Variable(str(name), "defaults", ""))
    return list(found.values())
