"""One Camunda 7 BPMN document rewritten as a Cuebook (SpiffWorkflow) one.

Standard BPMN (flows, gateways, timers, messages, errors, sub-processes, call activities)
carries over; Camunda's extensions are translated where they have a counterpart and
reported where they do not; every ``camunda:`` attribute and element is gone afterwards.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from engine.bpmn.sandbox import check_code
from importers.camunda import expressions
from importers.camunda.expressions import Untranslatable
from importers.camunda.form_steps import translate_start_form
from importers.camunda.mappings import Where, report_listeners, translate_input_output
from importers.camunda.multi_instance import translate_loop
from importers.camunda.namespaces import (
    BPMN_NS,
    CAMUNDA_NAMESPACES,
    CAMUNDA_NS,
    MODELER_NS,
    SPIFF_NS,
    ZEEBE_NS,
)
from importers.camunda.output import Output
from importers.camunda.report import Report
from importers.camunda.scripts import translate_script
from importers.camunda.source import NotAModel
from importers.camunda.tasks import (
    translate_business_rule,
    translate_call,
    translate_delegate,
    translate_user_task,
)
from importers.camunda.tree import (
    add_documentation,
    bpmn,
    camunda,
    camunda_children,
    element_id,
    extension_elements,
    local,
    namespace,
    spiff,
)

QUIET_ATTRIBUTES = frozenset(
    {
        "asyncBefore", "asyncAfter", "exclusive", "jobPriority", "taskPriority",
        "historyTimeToLive", "versionTag", "isStartableInTasklist", "candidateStarterGroups",
        "candidateStarterUsers", "errorMessage", "errorCodeVariable", "errorMessageVariable",
        "executionPlatform", "executionPlatformVersion",
    }
)  # fmt: skip
PLACEHOLDER_CONDITION = "False"
_BEFORE_LANES = frozenset(
    {"documentation", "extensionElements", "auditing", "monitoring", "property"}
)  # what the BPMN schema puts before a process's laneSet


def is_camunda7(root: Any, name: str) -> bool:
    """Whether the document is a Camunda 7 model; NotAModel for what is no model at all."""
    if namespace(root) != BPMN_NS or local(root) != "definitions":
        raise NotAModel(f"{name}: not a BPMN 2.0 document")
    platform = root.get(f"{{{MODELER_NS}}}executionPlatform", "")
    uses = {ns for node in root.iter() for ns in _namespaces_of(node)}
    if ZEEBE_NS in uses or platform.startswith("Camunda Cloud"):
        raise NotAModel(f"{name}: a Camunda 8 (Zeebe) model, not Camunda 7")
    return (
        CAMUNDA_NS in uses
        or CAMUNDA_NS in root.nsmap.values()
        or platform.startswith("Camunda Platform")
        or "camunda" in (root.get("exporter") or "").lower()
    )


def _namespaces_of(node: Any) -> set[str]:
    found = {namespace(node)}
    for key in node.attrib:
        if key.startswith("{"):
            found.add(key[1:].split("}", 1)[0])
    return found


def _condition(node: Any, file: str, report: Report) -> None:
    where = element_id(node)
    text = node.text or ""
    language = (node.get("language") or "").lower()
    resource = node.get(camunda("resource"))
    try:
        if resource or (language and language not in ("juel", "python")):
            raise Untranslatable(
                f"a {language or 'script'} condition{' ' + resource if resource else ''}"
            )
        python = text.strip() if language == "python" else expressions.condition(text)
        problems = check_code(python, "eval")
        if problems:
            raise Untranslatable(problems[0])
    except Untranslatable as exc:
        node.text = PLACEHOLDER_CONDITION
        owner = node.getparent()
        add_documentation(owner, f"Camunda condition not translated: {text.strip()}")
        report.marked(
            file,
            where,
            local(owner),
            f"condition {text.strip()!r} not translated ({exc}); it is {PLACEHOLDER_CONDITION} now",
            "write the condition in Python over the session's variables",
        )
        return
    node.text = python
    for key in ("language",):
        node.attrib.pop(key, None)
    report.translated(file, where, local(node.getparent()), f"{text.strip()} -> {python}")


_CRON = re.compile(r"^\S+(\s+\S+){4,6}$")


def _timer(node: Any, file: str, report: Report) -> None:
    definition = node.getparent()
    event = definition.getparent() if definition is not None else None
    where = element_id(event if event is not None else node)
    kind = local(event) if event is not None else local(node)
    text = (node.text or "").strip()
    try:
        if expressions.has_expression(text):
            python = expressions.condition(text)
        elif _CRON.match(text):
            raise Untranslatable("a cron expression; SpiffWorkflow reads ISO 8601 only")
        else:
            python = repr(text)
    except Untranslatable as exc:
        node.text = repr("PT1H")
        report.marked(
            file,
            where,
            kind,
            f"timer {text!r} not translated ({exc}); it is PT1H now",
            "write an ISO 8601 duration, date or cycle (R3/PT10M)",
        )
        return
    node.text = python
    report.translated(file, where, kind, f"{local(node)} {text} -> {python}")


def _message(node: Any, file: str, report: Report, variables: dict[str, str]) -> None:
    name = node.get("name") or node.get("id", "")
    if expressions.has_expression(name):
        report.marked(
            file,
            node.get("id", ""),
            "message",
            f"message name {name!r} is an expression",
            "name the message with plain text",
        )
    variable = re.sub(r"\W+", "_", name).strip("_").lower() or "message"
    if not variable[0].isalpha():
        variable = f"message_{variable}"
    variables[node.get("id", "")] = variable


def _catch_message(node: Any, file: str, report: Report, variables: dict[str, str]) -> None:
    """A message event definition of a catch event, or a receive task, names the variable
    its payload lands in."""
    event = node if local(node) == "receiveTask" else node.getparent()
    if local(event) not in ("intermediateCatchEvent", "boundaryEvent", "startEvent", "receiveTask"):
        return
    variable = variables.get(node.get("messageRef", ""))
    if variable is None:
        return
    ext = extension_elements(node)
    etree.SubElement(ext, spiff("messageVariable")).text = variable
    report.translated(
        file,
        element_id(event),
        local(event),
        f"message payload -> variable {variable!r} (Camunda set the correlated variables "
        "one by one; read them as " + variable + "['name'])",
    )


def _throw_message(node: Any, file: str, report: Report) -> None:
    for key in ("class", "delegateExpression", "expression"):
        value = node.get(camunda(key))
        if value:
            report.marked(
                file,
                element_id(node),
                local(node.getparent()),
                f"the message was sent by {key}={value!r}; "
                "it is only thrown inside the session now",
                "send it with a service task calling an integration function",
            )


def _element(node: Any, file: str, report: Report, out: Output) -> None:
    kind = local(node)
    where = Where(file, node.get("id", ""), kind)
    replaced = False
    if kind == "userTask":
        translate_user_task(node, where, report, out)
    elif kind == "startEvent":
        translate_start_form(node, where, report, out)
    elif kind in ("serviceTask", "sendTask", "businessRuleTask"):
        replaced = translate_delegate(node, where, report)
        if not replaced and kind == "businessRuleTask":
            translate_business_rule(node, where, report, out)
    elif kind == "scriptTask":
        translate_script(node, where, report)
    elif kind == "callActivity":
        translate_call(node, where, report)
    elif kind == "multiInstanceLoopCharacteristics":
        translate_loop(node, file, report)
        return
    translate_input_output(node, Where(file, where.element, local(node)), report, replaced)
    report_listeners(node, where, report)
    if camunda_children(node, "properties"):
        report.note(file, where.element, kind, "camunda:properties left out")
    for retry in camunda_children(node, "failedJobRetryTimeCycle"):
        report.note(file, where.element, kind, f"retry cycle {retry.text!r} left out")
    for error in camunda_children(node, "errorEventDefinition"):
        report.marked(
            file,
            where.element,
            kind,
            f"camunda:errorEventDefinition ({error.get('expression')}) left out",
            "throw the error from the integration function (integration_failed)",
        )


def _drop_camunda(root: Any, file: str, report: Report) -> None:
    """Remove every camunda: element and attribute, noting attributes nobody handled."""
    for node in list(root.iter()):
        if not isinstance(node.tag, str):
            continue
        if namespace(node) in CAMUNDA_NAMESPACES:
            parent = node.getparent()
            if parent is not None:
                parent.remove(node)
            continue
        dropped = []
        for key in list(node.attrib):
            if key.startswith("{") and key[1:].split("}", 1)[0] in CAMUNDA_NAMESPACES:
                short = key.split("}", 1)[1]
                del node.attrib[key]
                if short not in QUIET_ATTRIBUTES:
                    dropped.append(short)
        if dropped:
            report.note(
                file,
                element_id(node),
                local(node),
                f"left out: camunda:{', camunda:'.join(dropped)}",
            )
    for ext in list(root.iter(bpmn("extensionElements"))):
        if len(ext) == 0 and not (ext.text or "").strip():
            ext.getparent().remove(ext)


def _add_lanes(root: Any, file: str, out: Output) -> None:
    """Processes without lanes get one lane per candidate group of their user tasks."""
    for process in root.iter(bpmn("process")):
        if process.find(bpmn("laneSet")) is not None:
            continue
        ids = {child.get("id") for child in process}
        lanes = {g: [t for t in tasks if t in ids] for g, tasks in out.lanes.items()}
        lanes = {g: tasks for g, tasks in lanes.items() if tasks}
        if not lanes:
            continue
        lane_set = etree.Element(bpmn("laneSet"), id=f"{process.get('id')}_lanes")
        for number, (group, tasks) in enumerate(sorted(lanes.items()), start=1):
            lane = etree.SubElement(
                lane_set, bpmn("lane"), id=f"{process.get('id')}_lane_{number}", name=group
            )
            for task in tasks:
                etree.SubElement(lane, bpmn("flowNodeRef")).text = task
        position = 0
        for index, child in enumerate(process):
            if local(child) in _BEFORE_LANES:
                position = index + 1
        process.insert(position, lane_set)


def _clean_root(root: Any) -> Any:
    """The root with Camunda's namespaces gone and spiffworkflow's declared."""
    nsmap = {
        prefix: uri
        for prefix, uri in root.nsmap.items()
        if uri not in CAMUNDA_NAMESPACES and uri != SPIFF_NS
    }
    nsmap["spiffworkflow"] = SPIFF_NS
    clean = etree.Element(root.tag, nsmap=nsmap)
    for key, value in root.attrib.items():
        clean.set(key, value)
    clean.text = root.text
    clean.extend(list(root))
    etree.cleanup_namespaces(clean, top_nsmap={"spiffworkflow": SPIFF_NS})
    etree.indent(clean, space="  ")
    return clean


def convert_bpmn(root: Any, file: str, report: Report, out: Output) -> Any:
    """The document translated in place, returned with a clean root."""
    variables: dict[str, str] = {}
    for message in root.iter(bpmn("message")):
        _message(message, file, report, variables)
    for node in list(root.iter()):
        if not isinstance(node.tag, str) or namespace(node) != BPMN_NS:
            continue
        kind = local(node)
        if kind in ("conditionExpression", "condition"):
            _condition(node, file, report)
        elif kind in ("timeDuration", "timeDate", "timeCycle"):
            _timer(node, file, report)
        elif kind == "messageEventDefinition":
            _catch_message(node, file, report, variables)
            _throw_message(node, file, report)
        elif node.get("id") or kind == "multiInstanceLoopCharacteristics":
            if kind == "receiveTask":
                _catch_message(node, file, report, variables)
            _element(node, file, report, out)
    _add_lanes(root, file, out)
    _drop_camunda(root, file, report)
    return _clean_root(root)
