"""Forms whose options come from task data (SpiffArena's options_from_task_data_var)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine.bpmn.bundle import Bundle
from engine.bpmn.compiler import compile_bundle, validate_bundle
from engine.bpmn.runner import Position, Runner
from engine.errors import InvalidAnswer, ScriptFailed
from engine.sessions.answers import checked_answer
from engine.task_data_forms import (
    hidden_ui,
    option_vars,
    resolve_options,
    without_markers,
)
from engine.templates import TemplateRenderer

FRUIT = {
    "title": "Fruit",
    "type": "object",
    "required": ["favorite"],
    "properties": {
        "favorite": {
            "type": "string",
            "title": "Favourite fruit",
            "anyOf": ["options_from_task_data_var:fruits"],
        }
    },
}
BASKET = {
    "type": "object",
    "properties": {
        "note": {"type": "string"},
        "basket": {
            "type": "array",
            "uniqueItems": True,
            "items": {"type": "string", "anyOf": ["options_from_task_data_var:fruits"]},
        },
        "size": {"type": "string", "enum": ["options_from_task_data_var:sizes"]},
    },
}
FRUITS = [{"value": "apples", "label": "Apples"}, {"value": "pears", "label": "Pears"}]


def test_markers_are_found_and_taken_out_for_compiling() -> None:
    assert option_vars(FRUIT) == ("fruits",)
    assert option_vars(BASKET) == ("fruits", "sizes")
    plain = without_markers(BASKET)
    assert "anyOf" not in plain["properties"]["basket"]["items"]
    assert "enum" not in plain["properties"]["size"]
    assert option_vars(plain) == ()
    assert without_markers({"type": "object"}) == {"type": "object"}


def test_options_are_read_from_dicts_or_plain_values() -> None:
    shown = resolve_options(BASKET, {"fruits": FRUITS, "sizes": ["S", "M"]}, "pick")
    assert shown["properties"]["basket"]["items"]["anyOf"] == [
        {"const": "apples", "title": "Apples"},
        {"const": "pears", "title": "Pears"},
    ]
    assert shown["properties"]["size"]["oneOf"] == [
        {"const": "S", "title": "S"},
        {"const": "M", "title": "M"},
    ]
    assert option_vars(BASKET) == ("fruits", "sizes")  # the compiled form is left as it is


def test_items_listing_schemas_become_the_array_positions() -> None:
    schema = {
        "type": "object",
        "properties": {"parcel": {"type": "array", "items": ["options_from_task_data_var:parts"]}},
    }
    parts = [{"type": "string", "title": "Ward"}, {"type": "string", "title": "Lot"}]
    shown = resolve_options(schema, {"parts": parts}, "parcel_step")
    assert shown["properties"]["parcel"]["prefixItems"] == parts


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ({}, "'fruits', which is not set"),
        ({"fruits": "apples"}, "it is str"),
        ({"fruits": []}, "empty"),
        ({"fruits": [{"label": "no value"}]}, "must each have a 'value'"),
        ({"fruits": [None]}, "cannot be NoneType"),
    ],
)
def test_a_missing_or_ill_typed_variable_names_the_step_and_the_variable(
    data: dict[str, Any], said: str
) -> None:
    with pytest.raises(ScriptFailed) as caught:
        resolve_options(FRUIT, data, "choose_fruit")
    assert caught.value.message.startswith("choose_fruit: ")
    assert said in caught.value.message
    assert caught.value.extra == {"element": "choose_fruit", "variable": "fruits"}


def test_hidden_fields_from_task_data() -> None:
    ui = hidden_ui({"a": {"ui:help": "x"}}, {"form_ui_hidden_fields": ["a", "b.c"]})
    assert ui == {"a": {"ui:help": "x", "ui:widget": "hidden"}, "b": {"c": {"ui:widget": "hidden"}}}
    assert hidden_ui(None, {}) is None


BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="fruit" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="choose_fruit" name="Choose">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formJsonSchemaFilename" value="fruit-schema.json" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="choose_fruit" />
    <bpmn:sequenceFlow id="f2" sourceRef="choose_fruit" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def _compiled() -> Any:
    return compile_bundle(
        Bundle({"fruit.bpmn": BPMN.encode(), "fruit-schema.json": json.dumps(FRUIT).encode()})
    )


def test_a_dynamic_form_compiles_and_becomes_a_choice_when_shown() -> None:
    compiled = _compiled()
    spec = compiled.steps["choose_fruit"]
    assert spec.option_vars == ("fruits",)
    assert spec.kind == "form"  # the options are not known before the step is shown
    runner = Runner(lambda: None, TemplateRenderer())
    step = runner.describe(compiled, Position("waiting", step_spec=spec), {"fruits": FRUITS})
    assert step.kind == "choice"
    assert step.field == "favorite"
    assert [(o.value, o.label) for o in step.options] == [("apples", "Apples"), ("pears", "Pears")]
    assert step.schema is not None
    assert step.schema["properties"]["favorite"]["anyOf"][0] == {
        "const": "apples",
        "title": "Apples",
    }
    assert spec.schema is not None and option_vars(spec.schema) == ("fruits",)


def test_an_answer_is_checked_against_the_options_in_task_data() -> None:
    spec = _compiled().steps["choose_fruit"]
    data = {"fruits": FRUITS}
    assert checked_answer(spec, {"favorite": "pears"}, data) == {"favorite": "pears"}
    with pytest.raises(InvalidAnswer) as caught:
        checked_answer(spec, {"favorite": "plums"}, data)
    assert caught.value.details[0].path == "favorite"
    with pytest.raises(ScriptFailed, match=r"choose_fruit: .*'fruits', which is not set"):
        checked_answer(spec, {"favorite": "pears"}, {})


def test_strings_of_a_form_are_jinja_templates_rendered_with_the_task_data() -> None:
    templated = {
        "title": "Hello {{ name }}",
        "type": "object",
        "properties": {
            "favorite": {
                "type": "string",
                "title": "Fruit for {{ name }}",
                "anyOf": ["options_from_task_data_var:fruits"],
            },
            "note": {"type": "string", "default": "{% if vip %}VIP{% endif %}"},
        },
    }
    ui = {"note": {"ui:help": "Ask {{ name }} for details"}}
    files = {
        "fruit.bpmn": BPMN.replace(
            'value="fruit-schema.json" />',
            'value="fruit-schema.json" />'
            '<spiffworkflow:property name="formUiSchemaFilename" value="fruit-uischema.json" />',
        ).encode(),
        "fruit-schema.json": json.dumps(templated).encode(),
        "fruit-uischema.json": json.dumps(ui).encode(),
    }
    compiled = compile_bundle(Bundle(files))
    spec = compiled.steps["choose_fruit"]
    assert spec.templated
    runner = Runner(lambda: None, TemplateRenderer())
    data = {"fruits": FRUITS, "name": "Anna", "vip": True}
    step = runner.describe(compiled, Position("waiting", step_spec=spec), data)
    assert step.schema is not None and step.ui_schema is not None
    assert step.schema["title"] == "Hello Anna"
    assert step.schema["properties"]["favorite"]["title"] == "Fruit for Anna"
    assert step.schema["properties"]["note"]["default"] == "VIP"
    assert step.ui_schema["note"]["ui:help"] == "Ask Anna for details"
    assert spec.schema is not None and spec.schema["title"] == "Hello {{ name }}"


def test_a_broken_template_in_a_form_is_refused_at_deploy() -> None:
    broken = {**FRUIT, "title": "Hello {{ name "}
    files = {"fruit.bpmn": BPMN.encode(), "fruit-schema.json": json.dumps(broken).encode()}
    problems = [str(p) for p in validate_bundle(Bundle(files))]
    assert problems and problems[0].startswith("fruit-schema.json: choose_fruit: template ")
