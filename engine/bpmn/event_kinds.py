"""Event definitions the engine would pass over in silence: rewritten, or refused by name.

SpiffWorkflow reads only some event definitions on each kind of event and treats the rest
as "none" events: a signal end event would end without signalling, an error start event
would never start anything. A diagram must not run differently from how it is drawn, so
before parsing:

- a signal end event becomes an intermediate signal throw (``<id>__signal``) followed by
  the end event itself, which keeps its id, texts and incoming flows;
- any other definition a kind of event cannot have is a problem naming the element and
  what to draw instead.
"""

from __future__ import annotations

from typing import Any

from engine.bpmn.namespaces import BPMN_NS

Problem = tuple[str, str]  # (element id, message)

# What SpiffWorkflow runs on each kind of event (anything else it would ignore).
RUNS = {
    "startEvent": {"message", "signal", "timer", "conditional"},
    "endEvent": {"message", "cancel", "error", "escalation", "terminate", "signal"},
    "intermediateCatchEvent": {"message", "signal", "timer", "conditional"},
    "intermediateThrowEvent": {"escalation", "message", "signal"},
    "boundaryEvent": {"cancel", "error", "escalation", "message", "signal", "timer", "conditional"},
}
INSTEAD = {
    "compensate": "compensation is not run: draw the undo steps as a path after an error "
    "boundary event or a gateway",
    "link": "a link event needs a throw and a catch of one name in the same process",
}


def _q(name: str) -> str:
    return f"{{{BPMN_NS}}}{name}"


def _definitions(event: Any) -> list[tuple[Any, str]]:
    found = []
    for child in event:
        tag = str(child.tag)
        if tag.startswith(_q("")) and tag.endswith("EventDefinition"):
            found.append((child, tag[len(_q("")) : -len("EventDefinition")]))
    return found


def _split_signal_end(scope: Any, end: Any, definition: Any) -> None:
    """``… -> end(signal)`` becomes ``… -> <id>__signal (signal throw) -> end``."""
    end_id = end.get("id", "")
    throw_id = f"{end_id}__signal"
    flow_id = f"{end_id}__signal_flow"
    throw = scope.makeelement(_q("intermediateThrowEvent"), {"id": throw_id})
    if end.get("name"):
        throw.set("name", str(end.get("name")))
    for ref in end.findall(_q("incoming")):
        end.remove(ref)
        throw.append(ref)
    for flow in scope.iterfind(_q("sequenceFlow")):
        if flow.get("targetRef") == end_id:
            flow.set("targetRef", throw_id)
    outgoing = throw.makeelement(_q("outgoing"), {})
    outgoing.text = flow_id
    throw.append(outgoing)
    end.remove(definition)
    throw.append(definition)
    incoming = end.makeelement(_q("incoming"), {})
    incoming.text = flow_id
    at = sum(1 for c in end if c.tag in (_q("documentation"), _q("extensionElements")))
    end.insert(at, incoming)
    scope.append(throw)
    scope.append(
        scope.makeelement(
            _q("sequenceFlow"), {"id": flow_id, "sourceRef": throw_id, "targetRef": end_id}
        )
    )


def normalise_events(root: Any) -> list[Problem]:
    """Rewrite signal end events and name the definitions no kind of event runs."""
    problems: list[Problem] = []
    for kind, runs in RUNS.items():
        for event in list(root.iter(_q(kind))):
            for definition, name in _definitions(event):
                if kind == "endEvent" and name == "signal":
                    _split_signal_end(event.getparent(), event, definition)
                elif name not in runs:
                    hint = INSTEAD.get(name, f"a {kind} runs {', '.join(sorted(runs))} events")
                    problems.append(
                        (event.get("id", ""), f"a {name} event cannot be a {kind}: {hint}")
                    )
    return problems
