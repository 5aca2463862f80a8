"""A layout (BPMN DI) for a diagram that has none, so the editor's modeler can open it.

Bundles written by hand or generated (tests, importers) often hold only the process; bpmn-js
draws nothing without shapes and edges. ``with_layout`` adds them: the flow nodes of each
process in columns by their distance from the start (a flow back to an earlier column is a
loop and routed under the diagram), boundary events on their task's lower edge, each
sub-process collapsed and laid out on its own plane (the modeler drills into it). A file
that already has a diagram is returned unchanged. Pure: XML in, XML out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lxml import etree

from engine.bpmn.namespaces import BPMN_NS
from engine.bpmn.safe_xml import parse_xml

DI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DD_NS = "http://www.omg.org/spec/DD/20100524/DI"

COLUMN, ROW = 180, 130  # distance between the centres of neighbouring nodes
LEFT, TOP = 150, 120
_SIZES = {"event": (36, 36), "gateway": (50, 50)}
_TASK = (100, 80)
_NOT_NODES = frozenset(
    {"sequenceFlow", "laneSet", "dataObject", "dataObjectReference", "dataStoreReference"}
    | {"textAnnotation", "association", "documentation", "extensionElements", "ioSpecification"}
    | {"property", "dataInputAssociation", "dataOutputAssociation", "incoming", "outgoing"}
    | {"multiInstanceLoopCharacteristics", "standardLoopCharacteristics", "group"}
)
_CONTAINERS = frozenset({"subProcess", "transaction", "adHocSubProcess"})


def _local(node: Any) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _size(kind: str) -> tuple[int, int]:
    if kind.endswith("Event"):
        return _SIZES["event"]
    if kind.endswith("Gateway"):
        return _SIZES["gateway"]
    return _TASK


def has_layout(data: bytes, filename: str = "diagram.bpmn") -> bool:
    root = parse_xml(data, filename)
    return root.find(f"{{{DI_NS}}}BPMNDiagram") is not None


def with_layout(data: bytes, filename: str = "diagram.bpmn") -> bytes:
    """The BPMN file with a diagram for every process and sub-process (unchanged if it has
    one already)."""
    root = parse_xml(data, filename)
    if root.find(f"{{{DI_NS}}}BPMNDiagram") is not None:
        return data
    counter = iter(range(1, 10_000))
    for process in root.iterfind(f"{{{BPMN_NS}}}process"):
        for container in [process, *_sub_processes(process)]:
            diagram = etree.SubElement(
                root,
                f"{{{DI_NS}}}BPMNDiagram",
                {"id": f"layout_diagram_{next(counter)}"},
                nsmap={"bpmndi": DI_NS, "dc": DC_NS, "di": DD_NS},
            )
            plane = etree.SubElement(
                diagram,
                f"{{{DI_NS}}}BPMNPlane",
                {"id": f"{container.get('id')}_plane", "bpmnElement": str(container.get("id"))},
            )
            _lay_out(container, plane)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _sub_processes(container: Any) -> Iterable[Any]:
    for node in container:
        if _local(node) in _CONTAINERS and node.get("id"):
            yield node
            yield from _sub_processes(node)


def _lay_out(container: Any, plane: Any) -> None:
    nodes = {
        str(n.get("id")): n
        for n in container
        if n.get("id") and _local(n) not in _NOT_NODES and _local(n) != "boundaryEvent"
    }
    flows = [
        f
        for f in container
        if _local(f) == "sequenceFlow" and f.get("sourceRef") and f.get("targetRef")
    ]
    boundaries = {
        str(b.get("id")): b
        for b in container
        if _local(b) == "boundaryEvent" and str(b.get("attachedToRef")) in nodes
    }
    hosts = {b_id: str(b.get("attachedToRef")) for b_id, b in boundaries.items()}
    edges = [(_owner(str(f.get("sourceRef")), hosts), str(f.get("targetRef"))) for f in flows]
    column = _columns(list(nodes), [(a, b) for a, b in edges if a in nodes and b in nodes])
    boxes = _boxes(nodes, column)
    for b_id, host in hosts.items():
        hx, hy, hw, hh = boxes[host]
        n = sum(1 for other, h in hosts.items() if h == host and other < b_id)
        boxes[b_id] = (hx + hw - 28 - 40 * n, hy + hh - 18, 36, 36)
    for ident, (x, y, w, h) in boxes.items():
        attrs = {"id": f"{ident}_di", "bpmnElement": ident}
        kind = _local(nodes[ident]) if ident in nodes else "boundaryEvent"
        if kind in _CONTAINERS:
            attrs["isExpanded"] = "false"
        if kind == "exclusiveGateway":
            attrs["isMarkerVisible"] = "true"
        shape = etree.SubElement(plane, f"{{{DI_NS}}}BPMNShape", attrs)
        etree.SubElement(
            shape,
            f"{{{DC_NS}}}Bounds",
            {"x": str(x), "y": str(y), "width": str(w), "height": str(h)},
        )
    bottom = max((y + h for _x, y, _w, h in boxes.values()), default=TOP) + 40
    for flow in flows:
        source, target = str(flow.get("sourceRef")), str(flow.get("targetRef"))
        if source not in boxes or target not in boxes:
            continue
        edge = etree.SubElement(
            plane,
            f"{{{DI_NS}}}BPMNEdge",
            {"id": f"{flow.get('id')}_di", "bpmnElement": str(flow.get("id"))},
        )
        for px, py in _route(boxes[source], boxes[target], source in hosts, bottom):
            etree.SubElement(edge, f"{{{DD_NS}}}waypoint", {"x": str(px), "y": str(py)})


def _owner(node: str, hosts: dict[str, str]) -> str:
    """A flow out of a boundary event counts as one out of its task."""
    return hosts.get(node, node)


def _columns(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Each node's column: the longest path to it from a node nothing flows into, with the
    flows back to a node already on the path (loops) left out."""
    out: dict[str, list[str]] = {n: [] for n in nodes}
    incoming = {n: 0 for n in nodes}
    for a, b in edges:
        out[a].append(b)
        incoming[b] += 1
    starts = [n for n in nodes if incoming[n] == 0] or nodes[:1]
    forward: list[tuple[str, str]] = []
    state: dict[str, int] = {}  # 1: on the path being walked, 2: done

    def walk(first: str) -> None:
        stack = [(first, iter(out[first]))]
        state[first] = 1
        while stack:
            node, rest = stack[-1]
            nxt = next(rest, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                continue  # a loop back
            else:
                forward.append((node, nxt))
                if nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, iter(out[nxt])))

    for n in [*starts, *nodes]:
        if n not in state:
            walk(n)
    column = {n: 0 for n in nodes}
    for _ in range(len(nodes)):  # relax: at most one pass per node on the longest path
        changed = False
        for a, b in forward:
            if column[b] < column[a] + 1:
                column[b] = column[a] + 1
                changed = True
        if not changed:
            break
    return column


def _boxes(nodes: dict[str, Any], column: dict[str, int]) -> dict[str, tuple[int, int, int, int]]:
    rows: dict[int, int] = {}
    boxes: dict[str, tuple[int, int, int, int]] = {}
    for ident in nodes:  # document order: the order the author wrote them
        col = column[ident]
        row = rows.get(col, 0)
        rows[col] = row + 1
        w, h = _size(_local(nodes[ident]))
        cx, cy = LEFT + col * COLUMN, TOP + row * ROW
        boxes[ident] = (cx - w // 2, cy - h // 2, w, h)
    return boxes


def _route(
    src: tuple[int, int, int, int], dst: tuple[int, int, int, int], from_boundary: bool, bottom: int
) -> list[tuple[int, int]]:
    sx, sy, sw, sh = src
    tx, ty, tw, th = dst
    s_mid, t_mid = sy + sh // 2, ty + th // 2
    if from_boundary:
        start = (sx + sw // 2, sy + sh)
        return (
            [start, (start[0], t_mid), (tx, t_mid)]
            if tx > start[0]
            else [start, (start[0], bottom), (tx + tw // 2, bottom), (tx + tw // 2, ty + th)]
        )
    if tx >= sx + sw:  # forward
        if s_mid == t_mid:
            return [(sx + sw, s_mid), (tx, t_mid)]
        mid = sx + sw + (tx - sx - sw) // 2
        return [(sx + sw, s_mid), (mid, s_mid), (mid, t_mid), (tx, t_mid)]
    # back to an earlier column (a loop): under the diagram
    return [
        (sx + sw // 2, sy + sh),
        (sx + sw // 2, bottom),
        (tx + tw // 2, bottom),
        (tx + tw // 2, ty + th),
    ]
