"""The benchmark script of the step targets: ten forms in a row, a script task after each.

    linear_bundle(folder) -> folder

Each form has a few typed fields (text, number, a choice), Markdown instructions (every
other one with a template variable) and Markdown hints for the operator; each script task
updates a counter and a summary, as a real script keeps score of the conversation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FORMS = 10
NS = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"'
)


def _schema(i: int) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [f"answer{i}", f"mood{i}"],
        "properties": {
            f"answer{i}": {"type": "string", "title": f"Answer {i}", "minLength": 1},
            f"count{i}": {"type": "integer", "title": "How many", "minimum": 0},
            f"mood{i}": {
                "type": "string",
                "title": "Mood",
                "oneOf": [
                    {"const": "calm", "title": "Calm"},
                    {"const": "upset", "title": "Upset"},
                ],
            },
        },
    }


def _form(i: int) -> str:
    text = (
        f"**Step {i}.** Ask the customer about point {i}; {{{{ name }}}} answered "
        f"{{{{ turns }}}} questions so far."
        if i % 2
        else f"**Step {i}.** Ask the customer about point {i} and note the *mood*."
    )
    return f"""
    <bpmn:userTask id="form{i}" name="Form {i}">
      <bpmn:documentation>Say it *slowly*; see [the guide](https://example.org/guide#{i}).
- check the account
- confirm the address</bpmn:documentation>
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="form{i}.schema.json"/>
      </spiffworkflow:properties>
      <spiffworkflow:instructionsForEndUser>{text}</spiffworkflow:instructionsForEndUser>
      </bpmn:extensionElements>
      <bpmn:incoming>in{i}</bpmn:incoming><bpmn:outgoing>out{i}</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="out{i}" sourceRef="form{i}" targetRef="note{i}"/>
    <bpmn:scriptTask id="note{i}" name="Note {i}">
      <bpmn:incoming>out{i}</bpmn:incoming><bpmn:outgoing>in{i + 1}</bpmn:outgoing>
      <bpmn:script>turns = turns + 1
last = answer{i}
upset = upset + (1 if mood{i} == 'upset' else 0)</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="in{i + 1}" sourceRef="note{i}" targetRef="{_next(i)}"/>"""


def _next(i: int) -> str:
    return f"form{i + 1}" if i < FORMS else "end"


def linear_bundle(folder: Path) -> Path:
    """Write the ten-form script into ``folder`` (created) and return it."""
    body = "".join(_form(i) for i in range(1, FORMS + 1))
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {NS} id="linear_defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="linear" name="Ten forms" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="init"/>
    <bpmn:scriptTask id="init" name="Init"><bpmn:incoming>f0</bpmn:incoming>
      <bpmn:outgoing>in1</bpmn:outgoing><bpmn:script>turns = 0
upset = 0</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="in1" sourceRef="init" targetRef="form1"/>{body}
    <bpmn:endEvent id="end" name="Done">
      <bpmn:extensionElements><spiffworkflow:instructionsForEndUser>Thank you, {{{{ name }}}}.
      </spiffworkflow:instructionsForEndUser></bpmn:extensionElements>
      <bpmn:incoming>in{FORMS + 1}</bpmn:incoming>
    </bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "linear.bpmn").write_text(xml)
    for i in range(1, FORMS + 1):
        (folder / f"form{i}.schema.json").write_text(json.dumps(_schema(i)))
    manifest = {"primary_process_id": "linear", "title": "Ten forms", "defaults": {"name": "Ann"}}
    (folder / "cuebook.json").write_text(json.dumps(manifest))
    return folder


def answer_for(step_id: str, i: int) -> dict[str, Any]:
    """A valid answer to form ``step_id`` (``formN``)."""
    n = step_id.removeprefix("form")
    return {
        f"answer{n}": f"reply {i}",
        f"count{n}": i % 7,
        f"mood{n}": "upset" if i % 5 else "calm",
    }
