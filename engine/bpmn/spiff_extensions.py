"""SpiffArena's extensions on an element, checked where SpiffWorkflow uses them.

``spiffworkflow:preScript`` / ``postScript`` run before a task is shown (or run) and after it
completes; SpiffWorkflow 3 runs them on tasks, call activities and subprocesses only and
ignores them anywhere else, so a script there is refused rather than silently never run.
``spiffworkflow:instructionsForEndUser`` is a Jinja template on any element.
"""

from __future__ import annotations

from typing import Any

from engine.bpmn.namespaces import BPMN_NS, SPIFF_NS
from engine.bpmn.sandbox import check_code
from engine.templates import check_template

PRE_POST_ELEMENTS = frozenset(
    """
    task userTask manualTask serviceTask businessRuleTask sendTask receiveTask
    callActivity subProcess transaction
    """.split()
)


def _text(node: Any, name: str) -> str | None:
    found = node.find(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}{name}")
    return None if found is None else (found.text or "")


def extension_problems(node: Any, name: str) -> list[str]:
    """What is wrong with the pre/post scripts and instructions of a ``bpmn:<name>``."""
    problems: list[str] = []
    for ext in ("preScript", "postScript"):
        text = _text(node, ext)
        if not text or not text.strip():
            continue
        if name not in PRE_POST_ELEMENTS:
            where = "into its script" if name == "scriptTask" else "on a task before or after it"
            problems.append(
                f"{ext}: SpiffWorkflow never runs it on a bpmn:{name}; put the code {where}"
            )
            continue
        problems.extend(f"{ext}: {problem}" for problem in check_code(text, "exec"))
    instructions = _text(node, "instructionsForEndUser")
    if instructions:
        problems.extend(
            f"instructionsForEndUser: {problem}" for problem in check_template(instructions)
        )
    return problems
