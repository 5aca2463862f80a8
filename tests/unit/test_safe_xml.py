"""Uploaded XML: entities, DTDs and network refused; malformed XML reported with its line."""

from __future__ import annotations

import pytest
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.bpmn.safe_xml import parse_xml
from engine.errors import MalformedInput, ValidationFailed

VALID_BPMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <!-- drawn in the editor -->
  <bpmn:process id="hello" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""

XXE_FILE = b"""<?xml version="1.0"?>
<!DOCTYPE definitions [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<definitions><documentation>&xxe;</documentation></definitions>
"""

XXE_NETWORK = b"""<?xml version="1.0"?>
<!DOCTYPE definitions [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/secret">]>
<definitions><documentation>&xxe;</documentation></definitions>
"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE definitions [
  <!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd">
  %remote;
]>
<definitions/>
"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE definitions SYSTEM "file:///etc/passwd">
<definitions/>
"""


def _billion_laughs() -> bytes:
    lines = ['<?xml version="1.0"?>', "<!DOCTYPE lolz [", ' <!ENTITY lol0 "lol">']
    for level in range(1, 10):
        lines.append(f' <!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">')
    lines += ["]>", '<lolz a="&lol9;">&lol9;</lolz>']
    return "\n".join(lines).encode()


@pytest.mark.parametrize(
    "data",
    [XXE_FILE, XXE_NETWORK, PARAMETER_ENTITY, _billion_laughs()],
    ids=["xxe-file", "xxe-network", "parameter-entity", "billion-laughs"],
)
def test_entity_declarations_are_refused(data: bytes) -> None:
    with pytest.raises(MalformedInput) as info:
        parse_xml(data, "evil.bpmn")
    assert str(info.value).startswith("evil.bpmn: ")
    assert "entities" in str(info.value)
    assert info.value.details[0].path == "evil.bpmn"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_entity_declarations_are_refused_in_wide_encodings(encoding: str) -> None:
    text = XXE_FILE.decode().replace('<?xml version="1.0"?>', "")
    with pytest.raises(MalformedInput, match=r"evil\.bpmn: the document declares entities"):
        parse_xml(text.encode(encoding), "evil.bpmn")


def test_any_doctype_is_refused() -> None:
    with pytest.raises(MalformedInput, match=r"evil\.dmn: the document has a DOCTYPE declaration"):
        parse_xml(EXTERNAL_DTD, "evil.dmn")


def test_oversized_input_is_refused() -> None:
    with pytest.raises(MalformedInput, match=r"big\.bpmn: the document is 2049 bytes, more than"):
        parse_xml(b"<a>" + b" " * 2042 + b"</a>", "big.bpmn", max_bytes=2048)


def test_malformed_xml_names_file_and_line() -> None:
    data = b"<definitions>\n  <process id='p'>\n</definitions>\n"
    with pytest.raises(ValidationFailed) as info:
        parse_xml(data, "broken.bpmn")
    detail = info.value.details[0]
    assert detail.path == "broken.bpmn"
    assert detail.message.startswith("line 3: Opening and ending tag mismatch")
    assert str(info.value).startswith("broken.bpmn: malformed XML: line 3:")


def test_empty_document_is_malformed() -> None:
    with pytest.raises(ValidationFailed, match=r"empty\.bpmn: malformed XML: line 1"):
        parse_xml(b"", "empty.bpmn")


def test_undeclared_entity_is_malformed() -> None:
    with pytest.raises(ValidationFailed, match="line 1: Entity 'x' not defined"):
        parse_xml(b"<a>&x;</a>", "x.bpmn")


def test_valid_bpmn_parses_without_comments() -> None:
    root = parse_xml(VALID_BPMN, "hello.bpmn")
    assert root.tag == "{http://www.omg.org/spec/BPMN/20100524/MODEL}definitions"
    assert not [node for node in root.iter() if not isinstance(node.tag, str)]
    parser = SpiffBpmnParser()
    parser.add_bpmn_xml(root, "hello.bpmn")
    assert parser.get_spec("hello").name == "hello"
