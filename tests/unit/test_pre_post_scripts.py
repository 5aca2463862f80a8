"""SpiffArena's pre/post scripts run on every element SpiffWorkflow runs them on, and a
script where SpiffWorkflow would ignore it is refused at deploy."""

from __future__ import annotations

from typing import Any

import pytest

from engine.bpmn.bundle import Bundle
from engine.bpmn.compiler import compile_bundle, validate_bundle
from engine.bpmn.runner import Runner
from engine.bpmn.sandbox import make_script_engine
from engine.templates import TemplateRenderer

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
"""


def _scripts(name: str) -> str:
    return (
        "<bpmn:extensionElements>"
        f'<spiffworkflow:preScript>trail = trail + ["{name}_pre"]</spiffworkflow:preScript>'
        f'<spiffworkflow:postScript>trail = trail + ["{name}_post"]</spiffworkflow:postScript>'
        f"<spiffworkflow:instructionsForEndUser>{name}: {{{{ trail|join(',') }}}}"
        "</spiffworkflow:instructionsForEndUser>"
        "</bpmn:extensionElements>"
    )


def _node(tag: str, ident: str, before: str, after: str, extra: str = "") -> str:
    return (
        f'<bpmn:{tag} id="{ident}" {extra}>{_scripts(ident)}'
        f"<bpmn:incoming>{before}</bpmn:incoming><bpmn:outgoing>{after}</bpmn:outgoing>"
        f"</bpmn:{tag}>"
    )


def _flows(*pairs: tuple[str, str, str]) -> str:
    return "".join(
        f'<bpmn:sequenceFlow id="{i}" sourceRef="{a}" targetRef="{b}"/>' for i, a, b in pairs
    )


WALK = (
    HEAD
    + '<bpmn:process id="main" isExecutable="true">'
    + '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
    + '<bpmn:scriptTask id="init"><bpmn:incoming>f1</bpmn:incoming>'
    + "<bpmn:outgoing>f2</bpmn:outgoing>"
    + "<bpmn:script>trail = []</bpmn:script></bpmn:scriptTask>"
    + _node("task", "plain", "f2", "f3")
    + _node("manualTask", "manual", "f3", "f4")
    + _node("callActivity", "call", "f4", "f5", 'calledElement="sub"')
    + _node("userTask", "user", "f5", "f6")
    + '<bpmn:endEvent id="end"><bpmn:extensionElements><spiffworkflow:instructionsForEndUser>'
    + "{{ trail|join(',') }}</spiffworkflow:instructionsForEndUser></bpmn:extensionElements>"
    + "<bpmn:incoming>f6</bpmn:incoming></bpmn:endEvent>"
    + _flows(
        ("f1", "start", "init"),
        ("f2", "init", "plain"),
        ("f3", "plain", "manual"),
        ("f4", "manual", "call"),
        ("f5", "call", "user"),
        ("f6", "user", "end"),
    )
    + "</bpmn:process>"
    + '<bpmn:process id="sub" isExecutable="true">'
    + '<bpmn:startEvent id="s_start"><bpmn:outgoing>s1</bpmn:outgoing></bpmn:startEvent>'
    + '<bpmn:scriptTask id="s_script"><bpmn:incoming>s1</bpmn:incoming>'
    + "<bpmn:outgoing>s2</bpmn:outgoing>"
    + '<bpmn:script>trail = trail + ["called"]</bpmn:script></bpmn:scriptTask>'
    + '<bpmn:endEvent id="s_end"><bpmn:incoming>s2</bpmn:incoming></bpmn:endEvent>'
    + _flows(("s1", "s_start", "s_script"), ("s2", "s_script", "s_end"))
    + "</bpmn:process></bpmn:definitions>"
)


def _bundle(xml: str) -> Bundle:
    return Bundle({"walk.bpmn": xml.encode(), "cuebook.json": b'{"primary_process_id": "main"}'})


def test_pre_and_post_scripts_run_around_every_task_a_person_waits_at_and_a_call() -> None:
    compiled = compile_bundle(_bundle(WALK))
    runner = Runner(make_script_engine, TemplateRenderer())
    workflow = runner.start(compiled, {})
    runner.advance(workflow, [])
    shown: list[str] = []
    for _ in range(5):
        position = runner.position(compiled, workflow)
        if position.task is None:
            break
        step = runner.describe(compiled, position, runner.data_of(workflow, position))
        shown.append(step.text)
        runner.complete(workflow, position.task, {}, [])
    assert shown == [
        "plain: plain_pre",
        "manual: plain_pre,plain_post,manual_pre",
        "user: plain_pre,plain_post,manual_pre,manual_post,call_pre,called,call_post,user_pre",
    ]
    end = runner.position(compiled, workflow)
    assert end.status == "completed"
    assert runner.describe(compiled, end, runner.data_of(workflow, end)).text.endswith(
        "call_post,user_pre,user_post"
    )


@pytest.mark.parametrize(
    ("tag", "extra", "where"),
    [
        ("scriptTask", "<bpmn:script>x = 1</bpmn:script>", "into its script"),
        ("intermediateThrowEvent", "", "on a task before or after it"),
    ],
)
def test_a_script_where_spiffworkflow_would_ignore_it_is_refused(
    tag: str, extra: str, where: str
) -> None:
    xml = (
        HEAD
        + '<bpmn:process id="main" isExecutable="true">'
        + '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'
        + f'<bpmn:{tag} id="odd">{_scripts("odd")}<bpmn:incoming>f1</bpmn:incoming>'
        + f"<bpmn:outgoing>f2</bpmn:outgoing>{extra}</bpmn:{tag}>"
        + '<bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>'
        + _flows(("f1", "start", "odd"), ("f2", "odd", "end"))
        + "</bpmn:process></bpmn:definitions>"
    )
    problems: list[Any] = [str(p) for p in validate_bundle(_bundle(xml))]
    assert (
        f"walk.bpmn: odd: preScript: SpiffWorkflow never runs it on a bpmn:{tag}; " in (problems[0])
    )
    assert problems[0].endswith(where)
    assert any("postScript" in p for p in problems)
