"""Loops in a process: each must pass a gateway that can leave it.

Without such a gateway the engine would predict the loop's tasks forever, so validation
refuses the diagram and names the loop.
"""

from __future__ import annotations

from typing import Any

from engine.bpmn.namespaces import BPMN_NS

BRANCHING = frozenset({"exclusiveGateway", "inclusiveGateway", "eventBasedGateway"})


def _kinds(proc: Any) -> dict[str, str]:
    kinds = {}
    for node in proc:
        tag = str(node.tag)
        if tag.startswith("{" + BPMN_NS + "}") and node.get("id"):
            kinds[node.get("id")] = tag.split("}", 1)[1]
    return kinds


def loop_without_exit(root: Any) -> list[str] | None:
    """The elements of the first loop (in a process or sub-process) no gateway can leave."""
    for proc in root.iter(f"{{{BPMN_NS}}}process", f"{{{BPMN_NS}}}subProcess"):
        kinds = _kinds(proc)
        edges: dict[str, list[str]] = {}
        for flow in proc.iterfind(f"{{{BPMN_NS}}}sequenceFlow"):
            source, target = flow.get("sourceRef", ""), flow.get("targetRef", "")
            if kinds.get(source) in BRANCHING or kinds.get(target) in BRANCHING:
                continue
            edges.setdefault(source, []).append(target)
        cycle = find_cycle(edges)
        if cycle:
            return cycle
    return None


def find_cycle(edges: dict[str, list[str]]) -> list[str] | None:
    """A cycle of the directed graph ``edges`` (node -> successors), if there is one."""
    done: set[str] = set()
    for start in list(edges):
        if start in done:
            continue
        path = [start]
        on_path = {start}
        stack = [iter(edges.get(start, ()))]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                done.add(path[-1])
                on_path.discard(path.pop())
                continue
            if nxt in on_path:
                return path[path.index(nxt) :]
            if nxt not in done:
                path.append(nxt)
                on_path.add(nxt)
                stack.append(iter(edges.get(nxt, ())))
    return None
