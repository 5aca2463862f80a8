"""Camunda 7 DMN (1.1 or 1.3) as the DMN 1.3 decision tables SpiffWorkflow reads.

SpiffWorkflow reads one decision per file and Python in the cells, so each decision table
goes into a file of its own and FEEL's simple unary tests are rewritten: ``"a","b"`` as
``? in ("a", "b")``, ``[1..5]`` as ``1 <= ? <= 5``, ``not("x")`` as ``not (? == "x")``.
Drawing information (DMNDI) and requirement links between decisions are left out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from importers.camunda import expressions
from importers.camunda.expressions import Untranslatable
from importers.camunda.namespaces import CAMUNDA_DMN_NS, DMN13_NS, DMN_NAMESPACES
from importers.camunda.report import Report

HIT_POLICIES = {"UNIQUE": "UNIQUE", "FIRST": "FIRST", "COLLECT": "COLLECT", "ANY": "FIRST"}
NEVER = "False and ?"
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_COMPARISON = re.compile(r"^(<=|>=|<|>|!=)\s*(.+)$", re.S)
_RANGE = re.compile(r"^([\[\]\(])\s*(.+?)\s*\.\.\s*(.+?)\s*([\[\]\)])$", re.S)


@dataclass
class Decisions:
    files: dict[str, bytes] = field(default_factory=dict)
    outputs: dict[str, list[str]] = field(default_factory=dict)  # decision id -> outputs


def _d(name: str) -> str:
    return f"{{{DMN13_NS}}}{name}"


def feel_value(text: str) -> str:
    """A FEEL literal or variable reference as Python."""
    text = text.strip()
    if text in ("true", "false", "null"):
        return {"true": "True", "false": "False", "null": "None"}[text]
    if _NUMBER.fullmatch(text):
        return text
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        try:
            return repr(json.loads(text))
        except json.JSONDecodeError as exc:
            raise Untranslatable(f"string {text!r} is not readable") from exc
    if re.match(r"^(date|time|date and time|duration)\s*\(", text):
        raise Untranslatable(f"FEEL {text.split('(')[0]}() has no counterpart")
    return expressions.expression(text)


def _split(text: str) -> list[str]:
    """Comma-separated tests, commas inside strings, brackets and parentheses kept."""
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, False
    for char in text:
        if char == '"':
            quote = not quote
        elif not quote and char in "([":
            depth += 1
        elif not quote and char in ")]" and depth:
            depth -= 1
        if char == "," and not quote and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [p.strip() for p in parts]


def _predicate(test: str) -> tuple[str, str | None]:
    """(predicate over ?, the plain value when the test is an equality)."""
    comparison = _COMPARISON.match(test)
    if comparison:
        return f"? {comparison.group(1)} {feel_value(comparison.group(2))}", None
    bounds = _RANGE.match(test)
    if bounds:
        low, high = feel_value(bounds.group(2)), feel_value(bounds.group(3))
        low_op = "<=" if bounds.group(1) == "[" else "<"
        high_op = "<=" if bounds.group(4) == "]" else "<"
        return f"{low} {low_op} ? {high_op} {high}", None
    value = feel_value(test)
    return f"? == {value}", value


def unary_tests(text: str) -> str:
    """An input cell: FEEL simple unary tests as a SpiffWorkflow cell."""
    text = (text or "").strip()
    if not text or text == "-":
        return "-"
    negate = text.startswith("not(") and text.endswith(")")
    tests = _split(text[4:-1] if negate else text)
    predicates = [_predicate(t) for t in tests]
    values = [v for _, v in predicates]
    if len(predicates) == 1 and not negate:
        predicate, value = predicates[0]
        if value is not None:
            return value
        return predicate[2:] if _COMPARISON.match(tests[0]) else predicate
    if all(v is not None for v in values):
        return f"? {'not in' if negate else 'in'} ({', '.join(str(v) for v in values)},)"
    joined = " or ".join(f"({p})" for p, _ in predicates)
    return f"not ({joined})" if negate else joined


def _cell(entry: Any, translate: Any, where: tuple[str, str], report: Report) -> None:
    text_node = entry.find(_d("text"))
    text = (text_node.text or "") if text_node is not None else ""
    language = (entry.get("expressionLanguage") or "").lower()
    try:
        if language and language not in ("feel", "juel", "python"):
            raise Untranslatable(f"{language} cells have no counterpart")
        python = translate(text)
    except Untranslatable as exc:
        python = NEVER if translate is unary_tests else "None"
        report.marked(
            where[0],
            where[1],
            "decision",
            f"cell {text.strip()!r} of rule {entry.getparent().get('id')} not translated ({exc}); "
            f"it is {python} now",
            "write the cell in Python (docs/bundles.md, decision tables)",
        )
    if text_node is None:
        text_node = etree.SubElement(entry, _d("text"))
    text_node.text = python
    entry.attrib.pop("expressionLanguage", None)


def _output_value(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    if expressions.has_expression(text):
        return expressions.condition(text)
    return feel_value(text)


def _input_expression(text: str) -> str:
    text = text.strip()
    if expressions.has_expression(text):
        return expressions.condition(text)
    return feel_value(text)


def _rename(node: Any) -> None:
    """Every element of the old DMN namespace into DMN 1.3's; anything else removed."""
    for child in list(node.iter()):
        if not isinstance(child.tag, str):
            continue
        qname = etree.QName(child.tag)
        if qname.namespace in DMN_NAMESPACES:
            child.tag = _d(qname.localname)
        elif child is not node and child.getparent() is not None:
            child.getparent().remove(child)
        for key in list(child.attrib):
            if key.startswith("{"):
                del child.attrib[key]


def _table(decision: Any, file: str, report: Report) -> list[str]:
    where = (file, decision.get("id", ""))
    table = decision.find(_d("decisionTable"))
    policy = (table.get("hitPolicy") or "UNIQUE").upper()
    if policy not in HIT_POLICIES or table.get("aggregation"):
        report.marked(
            file,
            where[1],
            "decision",
            f"hit policy {policy} {table.get('aggregation') or ''} is read as FIRST".strip(),
            "order the rules so the first match is the wanted one",
        )
    table.set("hitPolicy", HIT_POLICIES.get(policy, "FIRST"))
    table.attrib.pop("aggregation", None)
    for child in list(table):
        if etree.QName(child.tag).localname not in ("input", "output", "rule"):
            table.remove(child)
    for text in table.iterfind(f"{_d('input')}/{_d('inputExpression')}/{_d('text')}"):
        source = text.text or ""
        try:
            text.text = _input_expression(source)
        except Untranslatable as exc:
            report.marked(
                file,
                where[1],
                "decision",
                f"input {source!r} not translated ({exc})",
                "write it in Python",
            )
    for rule in table.iterfind(_d("rule")):
        for entry in rule.iterfind(_d("inputEntry")):
            _cell(entry, unary_tests, where, report)
        for entry in rule.iterfind(_d("outputEntry")):
            _cell(entry, _output_value, where, report)
    return [o.get("name") or o.get("label") or "" for o in table.iterfind(_d("output"))]


def _one_decision(root: Any, decision: Any, file: str, report: Report) -> bytes | None:
    ident = decision.get("id", "")
    had_inputs = any(
        etree.QName(c.tag).localname.endswith("Requirement")
        for c in decision
        if isinstance(c.tag, str)
    )
    for node in decision.iter():
        variable = (
            node.get(f"{{{CAMUNDA_DMN_NS}}}inputVariable") if isinstance(node.tag, str) else None
        )
        if variable and variable != "cellInput":
            report.note(file, ident, "decision", f"input variable {variable!r} left out")
    _rename(decision)
    if decision.find(_d("decisionTable")) is None:
        report.marked(
            file,
            ident,
            "decision",
            "only decision tables are imported (this decision is a literal expression or empty)",
            "rewrite it as a decision table or a script task",
        )
        return None
    if had_inputs:
        report.marked(
            file,
            ident,
            "decision",
            "requirement links to other decisions were left out (each table runs alone)",
            "run the required decisions first with business rule tasks of their own",
        )
    for child in list(decision):
        if etree.QName(child.tag).localname != "decisionTable":
            decision.remove(child)
    outputs = _table(decision, file, report)
    definitions = etree.Element(
        _d("definitions"),
        nsmap={None: DMN13_NS},
        id=f"{ident}_definitions",
        name=root.get("name") or ident,
        namespace=root.get("namespace") or "http://camunda.org/schema/1.0/dmn",
    )
    definitions.append(decision)
    etree.indent(definitions, space="  ")
    report.translated(file, ident, "decision", f"decision table with outputs {', '.join(outputs)}")
    return etree.tostring(definitions, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def convert_dmn(root: Any, file: str, report: Report, into: Decisions) -> None:
    """Each decision table of the document as a file of its own."""
    qname = etree.QName(root.tag)
    if qname.namespace not in DMN_NAMESPACES or qname.localname != "definitions":
        report.marked(file, "", "", "not a DMN document; left out", "check the file")
        return
    decisions = [
        c for c in root if isinstance(c.tag, str) and etree.QName(c.tag).localname == "decision"
    ]
    stem = file.rsplit(".", 1)[0].removesuffix(".dmn11")
    for decision in decisions:
        ident = decision.get("id", "")
        data = _one_decision(root, decision, file, report)
        if data is None:
            continue
        name = f"{stem}.dmn" if len(decisions) == 1 else f"{stem}_{ident}.dmn"
        into.files[name] = data
        table = decision.find(_d("decisionTable"))
        into.outputs[ident] = [o.get("name") or "" for o in table.iterfind(_d("output"))]
