"""Link events: a throw and a catch of the same name in one process are one sequence flow.

BPMN draws link events to avoid long arrows across a big diagram (a menu that comes back
from the far end of a script). SpiffWorkflow does not run them, so before parsing each
pair is rewritten into a flow the engine follows: the throwing event gets an outgoing
flow to the catching event, and both become plain intermediate events that pass through.
Both stay in the diagram under their own ids, so the history and the route map show the
jump. A throw with no catch of its name in the same scope, or a name caught twice, is a
problem naming the element.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.bpmn.namespaces import BPMN_NS

_LINK = f"{{{BPMN_NS}}}linkEventDefinition"
_THROW = f"{{{BPMN_NS}}}intermediateThrowEvent"
_CATCH = f"{{{BPMN_NS}}}intermediateCatchEvent"
_SCOPES = (f"{{{BPMN_NS}}}process", f"{{{BPMN_NS}}}subProcess", f"{{{BPMN_NS}}}transaction")

Problem = tuple[str, str]  # (element id, message)


def _link_name(event: Any) -> str | None:
    definition = event.find(_LINK)
    if definition is None:
        return None
    return str(definition.get("name") or event.get("name") or "").strip()


def _events(scope: Any, tag: str) -> Iterator[tuple[Any, str]]:
    for event in scope.iterfind(tag):
        name = _link_name(event)
        if name is not None:
            yield event, name


def _catches(scope: Any) -> tuple[dict[str, Any], list[Problem]]:
    found: dict[str, Any] = {}
    problems: list[Problem] = []
    for event, name in _events(scope, _CATCH):
        if not name:
            problems.append((event.get("id", ""), "a link catch event needs a name"))
        elif name in found:
            problems.append((event.get("id", ""), f"link {name!r} is caught twice in one process"))
        else:
            found[name] = event
    return found, problems


_HEAD = frozenset(
    f"{{{BPMN_NS}}}{name}" for name in ("documentation", "extensionElements", "incoming")
)


def _add_ref(event: Any, kind: str, flow_id: str) -> None:
    """Add an incoming/outgoing reference where the schema wants it (after documentation,
    extensions and incoming references; before event definitions)."""
    order = (*_HEAD, f"{{{BPMN_NS}}}outgoing") if kind == "outgoing" else _HEAD
    at = 0
    for index, child in enumerate(event):
        if child.tag in order:
            at = index + 1
    ref = event.makeelement(f"{{{BPMN_NS}}}{kind}", {})
    ref.text = flow_id
    event.insert(at, ref)


def _join(scope: Any, throw: Any, catch: Any) -> None:
    flow_id = f"{throw.get('id')}__link"
    _add_ref(throw, "outgoing", flow_id)
    _add_ref(catch, "incoming", flow_id)
    flow = scope.makeelement(
        f"{{{BPMN_NS}}}sequenceFlow",
        {"id": flow_id, "sourceRef": throw.get("id", ""), "targetRef": catch.get("id", "")},
    )
    scope.append(flow)


def resolve_links(root: Any) -> list[Problem]:
    """Rewrite every link pair of the tree in place; returns the problems found."""
    problems: list[Problem] = []
    for scope in root.iter(*_SCOPES):
        catches, found = _catches(scope)
        problems.extend(found)
        for throw, name in list(_events(scope, _THROW)):
            catch = catches.get(name)
            if catch is None:
                problems.append(
                    (throw.get("id", ""), f"no link catch event named {name!r} in this process")
                )
                continue
            _join(scope, throw, catch)
        for event in (*scope.iterfind(_THROW), *scope.iterfind(_CATCH)):
            definition = event.find(_LINK)
            if definition is not None:
                event.remove(definition)
                event.tag = _THROW  # a none intermediate event passes straight through
    return problems
