"""What SpiffWorkflow would pass over in silence is rewritten (link events, signal end
events) or refused naming the element and what to draw instead."""

from __future__ import annotations

from engine.bpmn.bundle import Bundle
from engine.bpmn.compiler import compile_bundle, validate_bundle

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"
  targetNamespace="x"><bpmn:signal id="sig" name="done"/>
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="jump"/>"""
TAIL = "</bpmn:process></bpmn:definitions>"
LINKED = (
    HEAD
    + """<bpmn:intermediateThrowEvent id="jump"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:linkEventDefinition id="l1" name="far"/></bpmn:intermediateThrowEvent>
    <bpmn:intermediateCatchEvent id="land"><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:linkEventDefinition id="l2" name="far"/></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="land" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:signalEventDefinition id="s1" signalRef="sig"/></bpmn:endEvent>"""
    + TAIL
)


def problems(xml: str) -> list[str]:
    return [str(p) for p in validate_bundle(Bundle({"p.bpmn": xml.encode()}))]


def test_a_link_pair_becomes_a_flow_and_a_signal_end_throws_before_it_ends() -> None:
    compiled = compile_bundle(Bundle({"p.bpmn": LINKED.encode()}))
    specs = compiled.spec.task_specs
    assert [t.bpmn_id for t in specs["jump"].outputs] == ["land"]
    throw = specs["end__signal"]
    assert type(throw.event_definition).__name__ == "SignalEventDefinition"
    assert [t.bpmn_id for t in throw.outputs] == ["end"]


def test_a_link_nobody_catches_or_caught_twice_is_named() -> None:
    lonely = LINKED.replace(
        'name="far"/></bpmn:intermediateCatchEvent>', 'name="near"/></bpmn:intermediateCatchEvent>'
    )
    assert problems(lonely) == ["p.bpmn: jump: no link catch event named 'far' in this process"]
    twice = LINKED.replace(
        TAIL,
        '<bpmn:intermediateCatchEvent id="again"><bpmn:linkEventDefinition id="l3" name="far"/>'
        "</bpmn:intermediateCatchEvent>" + TAIL,
    )
    assert problems(twice) == ["p.bpmn: again: link 'far' is caught twice in one process"]


def test_compensation_and_ad_hoc_sub_processes_are_refused_with_what_to_draw() -> None:
    compensating = LINKED.replace(
        TAIL,
        '<bpmn:boundaryEvent id="undo" attachedToRef="jump">'
        '<bpmn:compensateEventDefinition id="c1"/></bpmn:boundaryEvent>' + TAIL,
    )
    (found,) = problems(compensating)
    assert found.startswith("p.bpmn: undo: a compensate event cannot be a boundaryEvent")
    assert "error boundary event" in found
    ad_hoc = LINKED.replace(TAIL, '<bpmn:adHocSubProcess id="any"/>' + TAIL)
    (found,) = problems(ad_hoc)
    assert found.startswith("p.bpmn: any: unsupported BPMN element bpmn:adHocSubProcess")
    assert "exclusive gateway" in found


STORE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"
  targetNamespace="x"><bpmn:dataStore id="table" name="tariffs"/>
  <bpmn:process id="p" isExecutable="true">
    <bpmn:dataStoreReference id="ref" dataStoreRef="table"/>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
    <bpmn:scriptTask id="work"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:dataOutputAssociation id="w"><bpmn:targetRef>ref</bpmn:targetRef>
      </bpmn:dataOutputAssociation>
      <bpmn:script>table = {}</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process></bpmn:definitions>"""


def test_a_data_store_needs_its_file_and_is_never_written() -> None:
    found = [str(p) for p in validate_bundle(Bundle({"p.bpmn": STORE.encode()}))]
    assert "p.bpmn: table: data store 'tariffs': the bundle has no file tariffs.json" in found
    assert any(p.startswith("p.bpmn: work: data stores are read-only") for p in found)
    broken = Bundle({"p.bpmn": STORE.encode(), "tariffs.json": b"{not json"})
    assert any("tariffs.json is not JSON" in str(p) for p in validate_bundle(broken))
