"""The properties panel's questions answered by the engine: code checks with columns and the
variables code reads and writes, a step built from a form, the variables upstream of an
element."""

from __future__ import annotations

import json

import pytest

from engine.authoring.expressions import check_source
from engine.authoring.previews import StepDraft, step_spec
from engine.authoring.variables import variables_at
from engine.errors import ValidationFailed

SPIFF = 'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"'
BPMN = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'


def diagram(body: str) -> str:
    process = f'<bpmn:process id="p">{body}</bpmn:process>'
    return f'<bpmn:definitions {BPMN} {SPIFF} id="d">{process}</bpmn:definitions>'


def flow(ident: str, source: str, target: str) -> str:
    return f'<bpmn:sequenceFlow id="{ident}" sourceRef="{source}" targetRef="{target}"/>'


def form_task(ident: str, schema: str) -> str:
    return (
        f'<bpmn:userTask id="{ident}"><bpmn:extensionElements><spiffworkflow:properties>'
        f'<spiffworkflow:property name="formJsonSchemaFilename" value="{schema}"/>'
        "</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>"
    )


def form(*names: str) -> str:
    return json.dumps({"type": "object", "properties": {n: {"type": "string"} for n in names}})


def test_names_local_to_comprehensions_lambdas_and_handlers_are_not_variables() -> None:
    source = "[x for x in items if x > limit] and sorted(rows, key=lambda r: r[k])"
    found = check_source(source, "expression")
    assert found.ok and found.reads == ("items", "limit", "rows", "k")
    script = "try:\n    n = int(raw)\nexcept ValueError as err:\n    n = len(str(err))\n"
    assert check_source(script, "script").reads == ("raw",)
    assert check_source(script, "script").writes == ("n",)


def test_a_script_reads_what_it_updates_and_leaves_no_functions() -> None:
    found = check_source("count += 1\ndef f(a):\n    return a * rate\ntotal = f(count)", "script")
    assert found.reads == ("count", "rate") and found.writes == ("count", "total")
    assert check_source("import json\ndata = json.loads(raw)", "script").writes == ("data",)


def test_problems_carry_line_and_column() -> None:
    broken = check_source("a and (b or", "expression")
    assert not broken.ok and broken.problems[0].line == 1 and broken.problems[0].column
    refused = check_source("ok = 1\nx = y.__dict__", "script")
    assert [(p.line, p.column) for p in refused.problems] == [(2, 5)]
    assert check_source("   ", "expression").problems[0].message == "the condition is empty"


def test_a_single_choice_is_a_choice_step_and_an_operator_lane_needs_a_person() -> None:
    schema = {
        "type": "object",
        "properties": {"pick": {"type": "string", "oneOf": [{"const": "a", "title": "A"}]}},
    }
    spec = step_spec(StepDraft(element="s", schema=schema, lane="Оператор"))
    assert spec.kind == "choice" and spec.field == "pick" and spec.needs_person
    assert step_spec(StepDraft(element="s")).kind == "message"


def test_a_bad_schema_names_its_path() -> None:
    bad = {"type": "object", "properties": {"n": {"type": "object", "minProperties": -1}}}
    with pytest.raises(ValidationFailed) as caught:
        step_spec(StepDraft(element="s", schema=bad))
    assert caught.value.details[0].path == "schema/properties/n/minProperties"


def test_a_boundary_event_follows_its_task_and_a_sub_process_hands_back_what_it_sets() -> None:
    body = (
        '<bpmn:startEvent id="start"/>'
        + form_task("ask", "ask.json")
        + '<bpmn:boundaryEvent id="late" attachedToRef="ask"/>'
        + '<bpmn:subProcess id="sub"><bpmn:startEvent id="sub_start"/>'
        + '<bpmn:scriptTask id="calc"><bpmn:script>score = len(answer)</bpmn:script>'
        + "</bpmn:scriptTask>"
        + flow("s1", "sub_start", "calc")
        + "</bpmn:subProcess>"
        + '<bpmn:endEvent id="end"/><bpmn:endEvent id="late_end"/>'
        + flow("f1", "start", "ask")
        + flow("f2", "ask", "sub")
        + flow("f3", "sub", "end")
        + flow("f4", "late", "late_end")
    )
    files = {"ask.json": form("answer"), "cuebook.json": json.dumps({"defaults": {"crm": 1}})}
    names = lambda element: [v.name for v in variables_at(diagram(body), files, element)]  # noqa: E731
    assert names("f4") == ["answer", "crm"]  # the boundary event runs after the task started
    assert names("calc") == ["answer", "crm"]  # inside the sub-process: what came before it
    assert names("f3") == ["score", "answer", "crm"]  # after it: what it set, nearest first
    assert names("ask") == ["crm"]


def test_an_unknown_element_and_bad_xml_are_refused_by_field() -> None:
    with pytest.raises(ValidationFailed) as unknown:
        variables_at(diagram('<bpmn:startEvent id="s"/>'), {}, "nope")
    assert unknown.value.details[0].path == "element"
    with pytest.raises(ValidationFailed) as broken:
        variables_at("<bpmn:definitions", {}, "s")
    assert broken.value.details[0].path == "bpmn"
