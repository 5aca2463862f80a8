"""The form of a step: camunda:formData or a linked Camunda Form, written as JSON Schema files.

A start event's form becomes a user task right after the start (Cuebook starts without a
form); the user task and its flow are drawn below the start event when the model has a
diagram.
"""

from __future__ import annotations

import json
import re
from typing import Any

from lxml import etree

from importers.camunda.diagram import draw_task_below
from importers.camunda.form_js import read_form_js
from importers.camunda.forms import Form, read_form
from importers.camunda.mappings import Where
from importers.camunda.output import Output
from importers.camunda.report import Report
from importers.camunda.tree import bpmn, camunda_children, pop_attr, set_property

PROP_FORM = "formJsonSchemaFilename"
PROP_UI = "formUiSchemaFilename"


def _json(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode()


def _form_name(element: str, taken: dict[str, bytes]) -> str:
    base = re.sub(r"[^A-Za-z0-9_.-]+", "_", element) or "form"
    name, number = base, 2
    while f"{name}.schema.json" in taken:
        name, number = f"{base}_{number}", number + 1
    return name


def attach_form(node: Any, form: Form, where: Where, report: Report, out: Output) -> None:
    """Write the form's files and point the user task at them."""
    base = _form_name(where.element, out.forms)
    schema_file, ui_file = f"{base}.schema.json", f"{base}.uischema.json"
    out.forms[schema_file] = _json(form.schema)
    out.forms[ui_file] = _json(form.ui_schema)
    set_property(node, PROP_FORM, schema_file)
    set_property(node, PROP_UI, ui_file)
    report.translated(
        where.file,
        where.element,
        where.kind,
        f"{form.origin} with {len(form.fields)} field(s) ({', '.join(form.fields)}) -> "
        f"{schema_file}, {ui_file}",
    )
    for problem in form.problems:
        report.marked(
            where.file, where.element, where.kind, f"form: {problem}", "adjust the JSON Schema"
        )
    for note in form.notes:
        report.note(where.file, where.element, where.kind, f"form: {note}")


def _linked_document(key: str | None, ref: str | None, out: Output) -> tuple[str, Any] | None:
    if ref:
        found = out.form_documents.get(ref)
        return (ref, found) if found is not None else None
    if key and key.startswith("camunda-forms:"):
        name = re.split(r"[:/]", key)[-1]
        found = out.form_documents.get(name)
        return (name, found) if found is not None else None
    return None


def step_form(node: Any, where: Where, report: Report, out: Output) -> Form | None:
    """The form a step shows: its camunda:formData, else the Camunda Form it links."""
    title = node.get("name") or ("Start form" if where.kind == "startEvent" else where.element)
    key, ref = pop_attr(node, "formKey"), pop_attr(node, "formRef")
    for extra in ("formRefBinding", "formRefVersion"):
        pop_attr(node, extra)
    form_data = camunda_children(node, "formData")
    if form_data:
        return read_form(form_data[0], title)
    linked = _linked_document(key, ref, out)
    if linked is not None:
        name, document = linked
        out.used_forms.add(name)
        form = read_form_js(document, title)
        form.origin = f"Camunda Form {name!r}"
        return form
    if key or ref:
        report.marked(
            where.file,
            where.element,
            where.kind,
            f"camunda:{'formRef' if ref else 'formKey'}={ref or key!r} names a form outside "
            "the model; the step shows no form",
            "draw the form as a JSON Schema (+ UI schema) and set formJsonSchemaFilename",
        )
    return None


def translate_start_form(node: Any, where: Where, report: Report, out: Output) -> None:
    """A start event's form becomes a user task right after the start."""
    initiator = pop_attr(node, "initiator")
    if initiator:
        report.note(
            where.file, where.element, where.kind, f"camunda:initiator={initiator!r} left out"
        )
    form = step_form(node, where, report, out)
    if form is None:
        return
    process = node.getparent()
    task_id = f"{where.element}_form"
    task = etree.Element(bpmn("userTask"), id=task_id, name=node.get("name") or "Start form")
    flow = etree.Element(
        bpmn("sequenceFlow"), id=f"{task_id}_flow", sourceRef=where.element, targetRef=task_id
    )
    etree.SubElement(task, bpmn("incoming")).text = flow.get("id")
    moved = [(o.text or "").strip() for o in node.findall(bpmn("outgoing"))]
    for outgoing in node.findall(bpmn("outgoing")):
        etree.SubElement(task, bpmn("outgoing")).text = outgoing.text
        for seq in process.iterfind(bpmn("sequenceFlow")):
            if seq.get("id") == (outgoing.text or "").strip():
                seq.set("sourceRef", task_id)
        node.remove(outgoing)
    etree.SubElement(node, bpmn("outgoing")).text = flow.get("id")
    process.insert(process.index(node) + 1, task)
    process.insert(process.index(task) + 1, flow)
    attach_form(task, form, Where(where.file, task_id, "userTask"), report, out)
    root = node.getroottree().getroot()
    drawn = draw_task_below(root, where.element, task_id, flow.get("id"), moved)
    report.note(
        where.file,
        where.element,
        where.kind,
        f"the start form became the first step {task_id!r} (Cuebook starts without a form)"
        + ("; it is drawn below the start event" if drawn else ""),
    )
