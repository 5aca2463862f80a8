"""Shapes for elements the import adds, so the diagram still opens with everything drawn."""

from __future__ import annotations

from typing import Any

from lxml import etree

from importers.camunda.namespaces import BPMNDI_NS

DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"


def _shape_of(root: Any, element: str) -> Any | None:
    for shape in root.iter(f"{{{BPMNDI_NS}}}BPMNShape"):
        if shape.get("bpmnElement") == element:
            return shape
    return None


def draw_task_below(root: Any, anchor: str, task: str, flow: str, moved: list[str]) -> bool:
    """A 100x80 shape for ``task`` below ``anchor``'s shape, an edge for ``flow`` from one to
    the other, and the ``moved`` flows' edges starting at the task now. False when the
    anchor has no shape (a model without a diagram)."""
    anchor_shape = _shape_of(root, anchor)
    if anchor_shape is None:
        return False
    bounds = anchor_shape.find(f"{{{DC_NS}}}Bounds")
    if bounds is None:
        return False
    x, y = float(bounds.get("x", 0)), float(bounds.get("y", 0))
    width, height = float(bounds.get("width", 36)), float(bounds.get("height", 36))
    centre = x + width / 2
    top = y + height + 60
    plane = anchor_shape.getparent()
    shape = etree.SubElement(plane, f"{{{BPMNDI_NS}}}BPMNShape", id=f"{task}_di", bpmnElement=task)
    etree.SubElement(
        shape,
        f"{{{DC_NS}}}Bounds",
        x=f"{centre - 50:g}",
        y=f"{top:g}",
        width="100",
        height="80",
    )
    edge = etree.SubElement(plane, f"{{{BPMNDI_NS}}}BPMNEdge", id=f"{flow}_di", bpmnElement=flow)
    etree.SubElement(edge, f"{{{DI_NS}}}waypoint", x=f"{centre:g}", y=f"{y + height:g}")
    etree.SubElement(edge, f"{{{DI_NS}}}waypoint", x=f"{centre:g}", y=f"{top:g}")
    for other in plane.iter(f"{{{BPMNDI_NS}}}BPMNEdge"):
        first = other.find(f"{{{DI_NS}}}waypoint")
        if other.get("bpmnElement") in moved and first is not None:
            first.set("x", f"{centre + 50:g}")
            first.set("y", f"{top + 40:g}")
    return True
