"""Camunda's multi-instance attributes (collection, elementVariable) in standard BPMN terms."""

from __future__ import annotations

from typing import Any

from lxml import etree

from engine.bpmn.sandbox import check_code
from importers.camunda import expressions
from importers.camunda.expressions import Untranslatable
from importers.camunda.report import Report
from importers.camunda.tree import add_script, bpmn, element_id, pop_attr, spiff

ENGINE_COUNTERS = ("nrOfInstances", "nrOfCompletedInstances", "nrOfActiveInstances", "loopCounter")


def _insert(loop: Any, child: Any, after: tuple[str, ...]) -> None:
    position = 0
    for index, node in enumerate(loop):
        if isinstance(node.tag, str) and etree.QName(node.tag).localname in after:
            position = index + 1
    loop.insert(position, child)


def _mark(
    file: str,
    element: str,
    report: Report,
    message: str,
    suggestion: str = "set loopDataInputRef / inputDataItem (or loopCardinality) by hand",
) -> None:
    report.marked(file, element, "multiInstanceLoopCharacteristics", message, suggestion)


def _collection(loop: Any, file: str, element: str, report: Report) -> None:
    collection = pop_attr(loop, "collection")
    item = pop_attr(loop, "elementVariable")
    if collection is None:
        return
    try:
        name = expressions.condition(collection) if "{" in collection else collection
        if expressions.expression(name) != name:
            raise Untranslatable(f"{collection!r} is not a variable")
    except Untranslatable as exc:
        _mark(file, element, report, f"collection {collection!r} not translated ({exc})")
        return
    ref = etree.Element(bpmn("loopDataInputRef"))
    ref.text = name
    _insert(loop, ref, ("loopCardinality",))
    if item:
        taken = {n.get("id") for n in loop.getroottree().iter() if isinstance(n.tag, str)}
        if item in taken:
            _mark(
                file,
                element,
                report,
                f"element variable {item!r} is also an element's id",
                "rename the variable or the element",
            )
            return
        data_item = etree.Element(bpmn("inputDataItem"), id=item, name=item)
        _insert(loop, data_item, ("loopCardinality", "loopDataInputRef", "loopDataOutputRef"))
        loop.set(spiff("scriptsOnInstances"), "true")
        add_script(loop.getparent(), "postScript", [f"del {item}"])
    report.translated(
        file,
        element,
        "multiInstanceLoopCharacteristics",
        f"collection {collection} -> loopDataInputRef {name}"
        + (f", item {item} (dropped after each instance, as Camunda scoped it)" if item else ""),
    )


def _expression_child(loop: Any, name: str, file: str, element: str, report: Report) -> None:
    node = loop.find(bpmn(name))
    if node is None:
        return
    text = (node.text or "").strip()
    try:
        if any(counter in text for counter in ENGINE_COUNTERS):
            raise Untranslatable("Camunda's instance counters have no counterpart")
        python = expressions.condition(text) if expressions.has_expression(text) else text
        problems = check_code(python, "eval")
        if problems:
            raise Untranslatable(problems[0])
    except Untranslatable as exc:
        loop.remove(node)
        _mark(
            file,
            element,
            report,
            f"{name} {text!r} left out ({exc})",
            f"write the {name} in Python over the session's variables",
        )
        return
    node.text = python
    report.translated(
        file, element, "multiInstanceLoopCharacteristics", f"{name} {text} -> {python}"
    )


def translate_loop(loop: Any, file: str, report: Report) -> None:
    element = element_id(loop)
    _collection(loop, file, element, report)
    _expression_child(loop, "loopCardinality", file, element, report)
    _expression_child(loop, "completionCondition", file, element, report)
