"""Bundle validation names the file and the element of each problem."""

from __future__ import annotations

from engine.bpmn.bundle import Bundle, bundle_from_path
from engine.bpmn.compiler import compile_bundle, validate_bundle
from engine.model import Option
from tests.conftest import SAMPLES

LOOP = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  id="d" targetNamespace="x">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="ask"/>
    <bpmn:userTask id="ask"><bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>f3</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="ask" targetRef="count"/>
    <bpmn:scriptTask id="count"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>n = 1</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f3" sourceRef="count" targetRef="ask"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_a_loop_without_a_way_out_is_refused_naming_its_elements() -> None:
    problems = validate_bundle(Bundle({"loop.bpmn": LOOP.encode()}))
    assert [str(p) for p in problems] == [
        "loop.bpmn: ask: a loop through ask, count "
        "has no exclusive or inclusive gateway to leave it"
    ]


def test_the_same_loop_through_a_gateway_is_fine() -> None:
    with_gateway = LOOP.replace(
        '<bpmn:sequenceFlow id="f3" sourceRef="count" targetRef="ask"/>',
        '<bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="ask"/>'
        '<bpmn:sequenceFlow id="f4" sourceRef="count" targetRef="gw"/>'
        '<bpmn:exclusiveGateway id="gw" default="f3"><bpmn:incoming>f4</bpmn:incoming>'
        "<bpmn:outgoing>f3</bpmn:outgoing><bpmn:outgoing>f5</bpmn:outgoing></bpmn:exclusiveGateway>"
        '<bpmn:sequenceFlow id="f5" sourceRef="gw" targetRef="end">'
        "<bpmn:conditionExpression>n &gt; 5</bpmn:conditionExpression></bpmn:sequenceFlow>"
        '<bpmn:endEvent id="end"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>',
    ).replace(
        "<bpmn:outgoing>f3</bpmn:outgoing></bpmn:scriptTask>",
        "<bpmn:outgoing>f4</bpmn:outgoing></bpmn:scriptTask>",
    )
    assert validate_bundle(Bundle({"loop.bpmn": with_gateway.encode()})) == []


def test_choice_steps_and_every_choice_field_carry_their_options() -> None:
    compiled = compile_bundle(bundle_from_path(SAMPLES / "internet_outage"))
    steps = {spec.id: spec for spec in compiled.steps.values()}
    symptom = steps["ask_symptom"]
    assert (symptom.kind, symptom.field) == ("choice", "symptom")
    assert symptom.options[0] == Option(
        "no_connection",
        "Интернета нет совсем",
        ("нет интернета", "не работает", "пропал интернет", "нет доступа"),
    )
    assert symptom.field_options == {"symptom": symptom.options}
    visit = steps["book_visit"]
    assert visit.kind == "form" and visit.options == ()
    assert list(visit.field_options) == ["visit_slot"]
    assert [o.label for o in visit.field_options["visit_slot"]][:2] == [
        "09:00–12:00",
        "12:00–15:00",
    ]
    assert steps["identify"].field_options == {}
