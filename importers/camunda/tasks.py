"""Camunda 7 activities made Cuebook ones: forms, queues, delegates, scripts, decisions, calls."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from engine.bpmn.sandbox import check_code
from importers.camunda import expressions
from importers.camunda.expressions import Untranslatable
from importers.camunda.form_steps import attach_form, step_form
from importers.camunda.mappings import Where
from importers.camunda.output import Output
from importers.camunda.report import Report, Stub
from importers.camunda.tree import (
    add_documentation,
    add_script,
    attr,
    camunda,
    camunda_children,
    commented,
    extension_elements,
    pop_attr,
    rename,
    set_property,
    set_script,
    spiff,
)

PROP_HANDOFF = "cuebook:handoff"
DELEGATES = ("class", "delegateExpression", "expression")
_QUEUE = re.compile(r"[^A-Za-z0-9_-]+")


def queue_name(group: str) -> str:
    return _QUEUE.sub("_", group.strip())[:60].strip("_") or "queue"


def _assignment(node: Any, where: Where, report: Report, out: Output) -> None:
    groups = pop_attr(node, "candidateGroups")
    if groups:
        if expressions.has_expression(groups):
            report.marked(
                where.file,
                where.element,
                where.kind,
                f"candidate groups come from an expression ({groups})",
                f"name the queue in the {PROP_HANDOFF} property",
            )
        elif names := [g.strip() for g in groups.split(",") if g.strip()]:
            queue = queue_name(names[0])
            set_property(node, PROP_HANDOFF, queue)
            out.lanes.setdefault(names[0], []).append(where.element)
            others = f"; other groups {', '.join(names[1:])} left out" if names[1:] else ""
            message = (
                f"candidate group {names[0]!r} -> handoff queue {queue!r} "
                "(and a lane of that name when the process has no lanes)"
            )
            report.translated(where.file, where.element, where.kind, message + others)
    for key in ("assignee", "candidateUsers"):
        value = pop_attr(node, key)
        if value:
            report.note(
                where.file,
                where.element,
                where.kind,
                f"camunda:{key}={value!r}: Cuebook hands a step to a queue, not to a person; "
                "whoever claims it from the queue works it",
            )
    for key in ("dueDate", "followUpDate", "priority"):
        value = pop_attr(node, key)
        if value:
            hint = " (a boundary timer can stand in for it)" if key != "priority" else ""
            report.note(
                where.file, where.element, where.kind, f"camunda:{key}={value!r} left out{hint}"
            )


def translate_user_task(node: Any, where: Where, report: Report, out: Output) -> None:
    form = step_form(node, where, report, out)
    if form is not None:
        attach_form(node, form, where, report, out)
    _assignment(node, where, report, out)


def _stub_name(origin_key: str, origin: str, element: str) -> str:
    text = origin
    if origin_key == "class":
        text = origin.rsplit(".", 1)[-1]
        text = re.sub(r"(Delegate|JavaDelegate|Service|Adapter|Handler)$", "", text) or text
    else:
        text = re.sub(r"[${}#()'\"]", " ", origin).strip().split(" ")[0]
        if origin_key == "connector":
            text = element
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text).replace(".", "_").replace("-", "_")
    name = re.sub(r"[^a-z0-9_]+", "", words.lower()).strip("_")
    return name or re.sub(r"[^a-z0-9_]+", "_", element.lower()) or "integration"


def _implementation(node: Any) -> tuple[str, str] | None:
    for key in DELEGATES:
        value = attr(node, key)
        if value:
            return key, value
    if attr(node, "type") == "external":
        return "external task topic", attr(node, "topic") or "?"
    connectors = camunda_children(node, "connector")
    if connectors:
        connector_id = (connectors[0].findtext(camunda("connectorId")) or "?").strip()
        settings = [
            f"{p.get('name')}={(p.text or '').strip()}"
            for p in connectors[0].iter(camunda("inputParameter"))
            if (p.text or "").strip()
        ]
        return "connector", connector_id + (f" ({', '.join(settings)})" if settings else "")
    return None


def _drop_delegate_attributes(node: Any) -> None:
    for key in (*DELEGATES, "resultVariable", "type", "topic", "taskPriority"):
        pop_attr(node, key)


def _expression_task(node: Any, where: Where, report: Report, expression: str) -> bool:
    """A service task whose camunda:expression translates becomes a script task."""
    try:
        python = expressions.condition(expression)
    except Untranslatable:
        return False
    result = attr(node, "resultVariable")
    script = f"{result} = {python}" if result else python
    if check_code(script, "exec"):
        return False
    rename(node, "scriptTask")
    set_script(node, script)
    _drop_delegate_attributes(node)
    report.translated(
        where.file, where.element, where.kind, f"camunda:expression -> script task: {script}"
    )
    return True


def translate_delegate(node: Any, where: Where, report: Report) -> bool:
    """A task run by Java code, an external worker or a connector becomes a placeholder script
    task that names the integration function to write. True when the task was replaced."""
    implementation = _implementation(node)
    if implementation is None:
        if where.kind in ("serviceTask", "sendTask"):
            implementation = ("no implementation", "")
        else:
            return False
    key, origin = implementation
    if key == "expression" and _expression_task(node, where, report, origin):
        return True
    stub = _stub_name(key, origin, where.element)
    result = attr(node, "resultVariable")
    params = tuple(
        p.get("name", "")
        for io in camunda_children(node, "inputOutput")
        for p in io.iterfind(camunda("inputParameter"))
    )
    described = f"{key} {origin!r}".strip() if origin else key
    text = (
        f"Camunda ran this {where.kind} with {described}; it was not imported.\n"
        f"Replace it with a service task calling the integration function {stub!r}."
    )
    lines = commented(text)
    lines.append(f"{result} = None" if result else "pass")
    _drop_delegate_attributes(node)
    rename(node, "scriptTask")
    set_script(node, "\n".join(lines))
    add_documentation(node, text)
    report.marked(
        where.file,
        where.element,
        where.kind,
        f"{described} cannot run in Cuebook; became a placeholder script task"
        + (f" that sets {result} = None" if result else ""),
        f"write an integration function {stub!r} and make this a service task calling it "
        f"(spiffworkflow:serviceTaskOperator id={stub!r})",
    )
    report.stubs.append(Stub(stub, f"{where.file}#{where.element}", described, params))
    return True


def translate_business_rule(node: Any, where: Where, report: Report, out: Output) -> None:
    ref = pop_attr(node, "decisionRef")
    if ref is None:
        return
    if expressions.has_expression(ref):
        report.marked(
            where.file,
            where.element,
            where.kind,
            f"decisionRef is an expression ({ref})",
            "name the decision's id in spiffworkflow:calledDecisionId",
        )
        return
    called = etree.SubElement(extension_elements(node), spiff("calledDecisionId"))
    called.text = ref
    report.translated(
        where.file, where.element, where.kind, f"decision {ref!r} -> calledDecisionId"
    )
    _decision_result(node, where, report, out.decisions.get(ref, []))


def _decision_result(node: Any, where: Where, report: Report, outputs: list[str]) -> None:
    result = pop_attr(node, "resultVariable")
    mapping = pop_attr(node, "mapDecisionResult") or "resultList"
    if not result:
        report.note(
            where.file,
            where.element,
            where.kind,
            "the decision's outputs become variables of their own names",
        )
        return
    if mapping in ("singleEntry", "collectEntries") and len(outputs) == 1:
        line = f"{result} = {outputs[0]}"
    elif mapping == "singleResult" and outputs:
        line = f"{result} = {{" + ", ".join(f"{o!r}: {o}" for o in outputs) + "}"
    elif mapping == "resultList" and outputs:
        line = f"{result} = [{{" + ", ".join(f"{o!r}: {o}" for o in outputs) + "}]"
    else:
        report.marked(
            where.file,
            where.element,
            where.kind,
            f"mapDecisionResult={mapping!r} into {result!r} not translated "
            f"(outputs: {', '.join(outputs) or 'unknown'})",
            "read the outputs by their names, or set the variable in a postScript",
        )
        return
    add_script(node, "postScript", [line])
    report.translated(
        where.file, where.element, where.kind, f"decision result ({mapping}) -> postScript: {line}"
    )


def translate_call(node: Any, where: Where, report: Report) -> None:
    called = node.get("calledElement") or ""
    if expressions.has_expression(called):
        report.marked(
            where.file,
            where.element,
            where.kind,
            f"calledElement is an expression ({called})",
            "name the called process's id",
        )
    for key in ("calledElementBinding", "calledElementVersion", "calledElementVersionTag"):
        pop_attr(node, key)
    for kind, script in (("in", "preScript"), ("out", "postScript")):
        lines = []
        for mapping in camunda_children(node, kind):
            if mapping.get("variables") == "all" or mapping.get("businessKey"):
                continue
            line = _call_mapping(mapping, where, report)
            if line:
                lines.append(line)
        add_script(node, script, lines)
        if lines:
            report.translated(
                where.file,
                where.element,
                where.kind,
                f"camunda:{kind} -> {script}: {'; '.join(lines)} (the called process sees and "
                "returns every variable)",
            )


def _call_mapping(mapping: Any, where: Where, report: Report) -> str | None:
    target = mapping.get("target", "")
    try:
        if expressions.expression(target) != target:
            raise Untranslatable(f"{target!r} is not a variable name")
        source = mapping.get("source")
        if source is not None:
            value = expressions.expression(source)
        else:
            value = expressions.condition(mapping.get("sourceExpression", ""))
    except Untranslatable as exc:
        report.marked(
            where.file,
            where.element,
            where.kind,
            f"variable mapping to {target!r} not translated: {exc}",
            "set the variable in a script before or after the call",
        )
        return None
    return f"{target} = {value}"
