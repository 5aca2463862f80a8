"""``camunda:inputOutput`` as pre- and post-scripts, and the listeners that have no counterpart.

An input parameter becomes an assignment in the task's ``spiffworkflow:preScript``, an
output parameter one in its ``spiffworkflow:postScript``. Camunda keeps input parameters
local to the activity; in Cuebook they become session variables like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from importers.camunda import expressions
from importers.camunda.expressions import Untranslatable
from importers.camunda.report import Report
from importers.camunda.tree import add_script, bpmn, camunda, camunda_children, local, set_script

SCRIPTABLE = frozenset(
    {
        "task", "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask",
        "callActivity", "subProcess", "sendTask", "receiveTask",
    }
)  # fmt: skip
"""Elements whose SpiffWorkflow spec runs a preScript and a postScript."""


@dataclass(frozen=True)
class Where:
    file: str
    element: str
    kind: str


def _definition(param: Any) -> str:
    """The Python of one parameter's value (text, camunda:list or camunda:map)."""
    children = [c for c in param if isinstance(c.tag, str)]
    if not children:
        return expressions.value(param.text or "") if (param.text or "").strip() else "None"
    child = children[0]
    name = local(child)
    if name == "list":
        return (
            "[" + ", ".join(_definition(item) for item in child if isinstance(item.tag, str)) + "]"
        )
    if name == "map":
        entries = []
        for entry in child.iterfind(camunda("entry")):
            key = entry.get("key", "")
            entries.append(f"{expressions.value(key)}: {_definition(entry)}")
        return "{" + ", ".join(entries) + "}"
    if name == "script":
        language = child.get("scriptFormat", "?")
        raise Untranslatable(f"a {language} script as a parameter value")
    if name == "value":
        return expressions.value(child.text or "")
    raise Untranslatable(f"camunda:{name} as a parameter value")


def _assignments(params: list[Any], where: Where, report: Report, side: str) -> list[str]:
    lines = []
    for param in params:
        name = param.get("name", "")
        try:
            target = expressions.expression(name)
            if target != name:
                raise Untranslatable(f"{name!r} is not a variable name")
            python = _definition(param)
        except Untranslatable as exc:
            report.marked(
                where.file,
                where.element,
                where.kind,
                f"{side} parameter {name!r} not translated: {exc}",
                f"set {name} in a script before or after this step",
            )
            continue
        lines.append(f"{name} = {python}")
    return lines


def _place(node: Any, lines: list[str], which: str) -> str:
    """Assignments into the pre- or post-script; a script task's go into its own script
    (SpiffWorkflow runs no pre- or post-script on a script task). Returns where they went."""
    if local(node) != "scriptTask":
        add_script(node, which, lines)
        return which
    if not lines:
        return "the script"
    script = node.find(bpmn("script"))
    text = (script.text or "") if script is not None else ""
    combined = [*lines, text] if which == "preScript" else [text, *lines]
    set_script(node, "\n".join(part for part in combined if part))
    return "the start of the script" if which == "preScript" else "the end of the script"


def translate_input_output(node: Any, where: Where, report: Report, skip_outputs: bool) -> None:
    """Input parameters to the preScript, output parameters to the postScript."""
    for io in camunda_children(node, "inputOutput"):
        inputs = list(io.iterfind(camunda("inputParameter")))
        outputs = list(io.iterfind(camunda("outputParameter")))
        if where.kind not in SCRIPTABLE:
            report.marked(
                where.file,
                where.element,
                where.kind,
                f"camunda:inputOutput on a {where.kind} ({len(inputs)} in, {len(outputs)} out) "
                "has no counterpart",
                "move the assignments into a script task before or after this element",
            )
            continue
        pre = _assignments(inputs, where, report, "input")
        placed = _place(node, pre, "preScript")
        if pre:
            report.translated(
                where.file,
                where.element,
                where.kind,
                f"input parameters -> {placed}: " + "; ".join(pre),
            )
        if skip_outputs:
            if outputs:
                report.note(
                    where.file,
                    where.element,
                    where.kind,
                    "output parameters left out (they read what the replaced delegate returned): "
                    + ", ".join(p.get("name", "") for p in outputs),
                )
            continue
        post = _assignments(outputs, where, report, "output")
        placed = _place(node, post, "postScript")
        if post:
            report.translated(
                where.file,
                where.element,
                where.kind,
                f"output parameters -> {placed}: " + "; ".join(post),
            )


def _listener_origin(listener: Any) -> str:
    for key in ("class", "delegateExpression", "expression"):
        value = listener.get(key)
        if value:
            return f"{key}={value!r}"
    script = listener.find(camunda("script"))
    if script is not None:
        return f"a {script.get('scriptFormat', '?')} script"
    return "an empty listener"


def report_listeners(node: Any, where: Where, report: Report) -> None:
    for kind in ("executionListener", "taskListener"):
        for listener in camunda_children(node, kind):
            event = listener.get("event", "take")
            origin = _listener_origin(listener)
            report.marked(
                where.file,
                where.element,
                where.kind,
                f"camunda:{kind} on {event!r} ({origin}) was left out",
                "do the work in a script task, a preScript/postScript, or a service task "
                "calling an integration function at that point of the flow",
            )
