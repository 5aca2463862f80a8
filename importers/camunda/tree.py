"""Small reads and writes on the BPMN tree: names, extension elements, Spiff properties."""

from __future__ import annotations

from typing import Any

from lxml import etree

from importers.camunda.namespaces import BPMN_NS, CAMUNDA_NS, SPIFF_NS


def bpmn(name: str) -> str:
    return f"{{{BPMN_NS}}}{name}"


def camunda(name: str) -> str:
    return f"{{{CAMUNDA_NS}}}{name}"


def spiff(name: str) -> str:
    return f"{{{SPIFF_NS}}}{name}"


def local(node: Any) -> str:
    tag = node.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def namespace(node: Any) -> str:
    tag = node.tag
    return (etree.QName(tag).namespace or "") if isinstance(tag, str) else ""


def attr(node: Any, name: str) -> str | None:
    """A ``camunda:`` attribute of the node."""
    value = node.get(camunda(name))
    return None if value is None else str(value)


def pop_attr(node: Any, name: str) -> str | None:
    value = attr(node, name)
    if value is not None:
        del node.attrib[camunda(name)]
    return value


def camunda_children(node: Any, name: str) -> list[Any]:
    """``camunda:<name>`` elements in the node's extension elements."""
    ext = node.find(bpmn("extensionElements"))
    return [] if ext is None else list(ext.iterfind(camunda(name)))


def extension_elements(node: Any) -> Any:
    """The node's bpmn:extensionElements, created after its documentation when missing."""
    ext = node.find(bpmn("extensionElements"))
    if ext is not None:
        return ext
    ext = etree.Element(bpmn("extensionElements"))
    position = 0
    for index, child in enumerate(node):
        if local(child) == "documentation" and namespace(child) == BPMN_NS:
            position = index + 1
    node.insert(position, ext)
    return ext


def set_property(node: Any, name: str, value: str) -> None:
    ext = extension_elements(node)
    props = ext.find(spiff("properties"))
    if props is None:
        props = etree.SubElement(ext, spiff("properties"))
    for prop in props.iterfind(spiff("property")):
        if prop.get("name") == name:
            prop.set("value", value)
            return
    etree.SubElement(props, spiff("property"), name=name, value=value)


def add_script(node: Any, which: str, lines: list[str]) -> None:
    """Append lines to the node's spiffworkflow:preScript or postScript."""
    if not lines:
        return
    ext = extension_elements(node)
    script = ext.find(spiff(which))
    if script is None:
        script = etree.SubElement(ext, spiff(which))
        script.text = ""
    text = script.text or ""
    script.text = (text + "\n" if text else "") + "\n".join(lines)


def add_documentation(node: Any, text: str) -> None:
    doc = node.find(bpmn("documentation"))
    if doc is None:
        doc = etree.Element(bpmn("documentation"))
        node.insert(0, doc)
        doc.text = text
    else:
        doc.text = ((doc.text or "").rstrip() + "\n\n" + text).strip()


def set_script(node: Any, text: str) -> None:
    """The script of a script task (one bpmn:script after the flow references)."""
    for old in node.findall(bpmn("script")):
        node.remove(old)
    script = etree.SubElement(node, bpmn("script"))
    script.text = text


def rename(node: Any, name: str) -> None:
    node.tag = bpmn(name)


def commented(text: str) -> list[str]:
    """Text kept as Python comment lines."""
    return [f"# {line}".rstrip() for line in text.strip().splitlines()] or ["#"]


def element_id(node: Any) -> str:
    while node is not None:
        ident = node.get("id") if hasattr(node, "get") else None
        if ident:
            return str(ident)
        node = node.getparent()
    return ""
