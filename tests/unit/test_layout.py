"""A layout for diagrams without one: every node a shape, every flow an edge, the script
unchanged for the engine, and a diagram that has a layout left alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from engine.bpmn.bundle import Bundle
from engine.bpmn.compiler import compile_bundle
from engine.bpmn.layout import DI_NS, has_layout, with_layout
from engine.bpmn.namespaces import BPMN_NS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bundles"
WITHOUT = ["menu_loop", "service_tasks", "elements_events", "elements_transaction", "timers"]


def _bundle(folder: str) -> Bundle:
    path = FIXTURES / folder
    return Bundle({p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.is_file()})


@pytest.mark.parametrize("folder", WITHOUT)
def test_every_node_and_flow_is_drawn_and_the_script_still_compiles(folder: str) -> None:
    bundle = _bundle(folder)
    files = dict(bundle.files)
    for name in bundle.names(".bpmn"):
        assert not has_layout(files[name], name)
        files[name] = with_layout(files[name], name)
        root = etree.fromstring(files[name])
        shapes = {s.get("bpmnElement") for s in root.iter(f"{{{DI_NS}}}BPMNShape")}
        edges = {e.get("bpmnElement"): e for e in root.iter(f"{{{DI_NS}}}BPMNEdge")}
        planes = {p.get("bpmnElement") for p in root.iter(f"{{{DI_NS}}}BPMNPlane")}
        for process in root.iter(f"{{{BPMN_NS}}}process"):
            assert process.get("id") in planes
        for flow in root.iter(f"{{{BPMN_NS}}}sequenceFlow"):
            assert flow.get("sourceRef") in shapes and flow.get("targetRef") in shapes
            assert len(edges[flow.get("id")]) >= 2  # waypoints
        for task in root.iter(f"{{{BPMN_NS}}}userTask", f"{{{BPMN_NS}}}boundaryEvent"):
            assert task.get("id") in shapes
        bounds = [
            (s[0].get("x"), s[0].get("y"))
            for s in root.iter(f"{{{DI_NS}}}BPMNShape")
            if etree.QName(s.getparent()).localname == "BPMNPlane"
            and s.getparent().get("bpmnElement") == root.find(f"{{{BPMN_NS}}}process").get("id")
            and "boundary" not in s.get("bpmnElement", "")
        ]
        assert len(bounds) == len(set(bounds))  # no two nodes on one spot
    before = compile_bundle(bundle)
    after = compile_bundle(Bundle(files))
    assert sorted(after.steps) == sorted(before.steps)


def test_a_diagram_with_a_layout_is_left_alone() -> None:
    data = (FIXTURES / "ticket_routing" / "ticket_routing.bpmn").read_bytes()
    assert has_layout(data) and with_layout(data) is data


def test_a_loop_goes_back_under_the_diagram() -> None:
    data = with_layout((FIXTURES / "menu_loop" / "menu_loop.bpmn").read_bytes())
    root = etree.fromstring(data)
    x = {s.get("bpmnElement"): float(s[0].get("x")) for s in root.iter(f"{{{DI_NS}}}BPMNShape")}
    assert x["start"] < x["init"] < x["name"] < x["menu"]
    lowest = max(
        float(s[0].get("y")) + float(s[0].get("height")) for s in root.iter(f"{{{DI_NS}}}BPMNShape")
    )
    back = [
        e
        for e in root.iter(f"{{{DI_NS}}}BPMNEdge")
        if min(float(p.get("y")) for p in e) > 0 and max(float(p.get("y")) for p in e) > lowest
    ]
    assert back  # the flow from the gateway back to the menu
