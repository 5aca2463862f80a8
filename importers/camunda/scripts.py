"""Script tasks: Python kept, JUEL translated, Groovy or JavaScript that only sets variables
read line by line, anything else kept as comments in a placeholder for a person to rewrite."""

from __future__ import annotations

import re
from typing import Any

from engine.bpmn.sandbox import check_code
from importers.camunda import expressions
from importers.camunda.expressions import Untranslatable
from importers.camunda.mappings import Where
from importers.camunda.report import Report
from importers.camunda.tree import bpmn, commented, pop_attr, set_script

_SET_VARIABLE = re.compile(
    r"^execution\.setVariable\(\s*(['\"])([A-Za-z][A-Za-z0-9_]*)\1\s*,\s*(.+)\)\s*;?$", re.S
)


def set_variable_lines(text: str) -> list[str] | None:
    """A script made only of ``execution.setVariable("x", expression)`` lines (and comments)
    as Python assignments, or None when it does anything else."""
    lines = []
    for raw in text.strip().splitlines():
        line = raw.strip()
        if not line or line.startswith("//"):
            continue
        match = _SET_VARIABLE.match(line)
        if match is None:
            return None
        try:
            name = expressions.expression(match.group(2))
            lines.append(f"{name} = {expressions.expression(match.group(3))}")
        except Untranslatable:
            return None
    script = "\n".join(lines)
    return lines if lines and not check_code(script, "exec") else None


def translate_script(node: Any, where: Where, report: Report) -> None:
    language = (node.get("scriptFormat") or "").strip().lower()
    script_node = node.find(bpmn("script"))
    text = (script_node.text or "") if script_node is not None else ""
    resource = pop_attr(node, "resource")
    result = pop_attr(node, "resultVariable")
    if language == "python" and not resource and not check_code(text, "exec"):
        report.translated(where.file, where.element, where.kind, "python script kept as it is")
        return
    if language == "juel" and not resource:
        try:
            python = expressions.condition(text)
            script = f"{result} = {python}" if result else python
            if not check_code(script, "exec"):
                set_script(node, script)
                report.translated(where.file, where.element, where.kind, f"JUEL -> {script}")
                return
        except Untranslatable:
            pass
    if language in ("groovy", "javascript", "js", "ecmascript") and not resource:
        assignments = set_variable_lines(text)
        if assignments is not None:
            set_script(node, "\n".join(assignments))
            report.translated(
                where.file,
                where.element,
                where.kind,
                f"{language} setVariable lines -> {'; '.join(assignments)}",
            )
            return
    language = language or "unnamed language"
    origin = f"external {language} script {resource!r}" if resource else f"{language} script"
    lines = commented(f"Camunda {origin}, not imported; rewrite it in Python:\n{text}")
    lines.append(f"{result} = None" if result else "pass")
    set_script(node, "\n".join(lines))
    report.marked(
        where.file,
        where.element,
        where.kind,
        f"{origin or 'script'} cannot run in Cuebook's Python sandbox; the original is kept "
        "as comments in a placeholder script",
        "rewrite the script in Python (variables are plain names: execution.getVariable('x') "
        "is x, execution.setVariable('x', v) is x = v)",
    )
