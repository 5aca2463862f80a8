"""camunda:formData as JSON Schema, and FEEL cells as SpiffWorkflow's Python cells."""

from __future__ import annotations

import pytest
from lxml import etree

from engine.bpmn.compiler import form_validator
from importers.camunda.dmn import unary_tests
from importers.camunda.expressions import Untranslatable
from importers.camunda.forms import read_form

FORM = """<camunda:formData xmlns:camunda="http://camunda.org/schema/1.0/bpmn">
  <camunda:formField id="name" label="Name" type="string">
    <camunda:validation>
      <camunda:constraint name="required" />
      <camunda:constraint name="minlength" config="2" />
      <camunda:constraint name="maxlength" config="10" />
    </camunda:validation>
  </camunda:formField>
  <camunda:formField id="age" label="Age" type="long" defaultValue="30">
    <camunda:validation>
      <camunda:constraint name="min" config="18" />
      <camunda:constraint name="max" config="99" />
    </camunda:validation>
  </camunda:formField>
  <camunda:formField id="vip" type="boolean" defaultValue="false" />
  <camunda:formField id="born" label="Born" type="date" defaultValue="31/12/1990" />
  <camunda:formField id="plan" label="Plan" type="enum" defaultValue="b">
    <camunda:value id="a" name="Plan A" />
    <camunda:value id="b" name="Plan B" />
  </camunda:formField>
  <camunda:formField id="code" type="string" defaultValue="X1">
    <camunda:validation><camunda:constraint name="readonly" /></camunda:validation>
  </camunda:formField>
  <camunda:formField id="color" type="customColor" defaultValue="${favourite}">
    <camunda:validation>
      <camunda:constraint name="validator" config="com.example.V" />
    </camunda:validation>
  </camunda:formField>
</camunda:formData>"""


def test_form_fields_become_a_json_schema_and_a_ui_schema() -> None:
    form = read_form(etree.fromstring(FORM), "Profile")
    props = form.schema["properties"]
    assert form.schema["title"] == "Profile" and form.schema["required"] == ["name"]
    assert props["name"] == {"type": "string", "title": "Name", "minLength": 2, "maxLength": 10}
    assert props["age"] == {
        "type": "integer", "title": "Age", "minimum": 18, "maximum": 99, "default": 30,
    }  # fmt: skip
    assert props["vip"] == {"type": "boolean", "default": False}
    assert props["born"] == {
        "type": "string",
        "format": "date",
        "title": "Born",
        "default": "1990-12-31",
    }
    assert props["plan"]["oneOf"] == [
        {"const": "a", "title": "Plan A"},
        {"const": "b", "title": "Plan B"},
    ]
    assert props["plan"]["default"] == "b"
    assert props["code"]["readOnly"] is True and form.ui_schema["code"] == {"ui:readonly": True}
    assert form.ui_schema["born"] == {"ui:widget": "date"}
    assert form.ui_schema["ui:order"] == ["name", "age", "vip", "born", "plan", "code", "color"]
    form_validator(form.schema)  # a valid JSON Schema
    problems = " | ".join(form.problems)
    assert "customColor" in problems and "validator" in problems and "expression" in problems


@pytest.mark.parametrize(
    ("feel", "cell"),
    [
        ("", "-"),
        ("-", "-"),
        ('"fiber"', "'fiber'"),
        ("42", "42"),
        ("true", "True"),
        ("< 10", "< 10"),
        (">= limit", ">= limit"),
        ('"a","b"', "? in ('a', 'b',)"),
        ('not("a")', "? not in ('a',)"),
        ('not("a", "b")', "? not in ('a', 'b',)"),
        ("[1..5]", "1 <= ? <= 5"),
        ("]1..5[", "1 < ? < 5"),
        ("[1..5)", "1 <= ? < 5"),
        ("< 3, > 7", "(? < 3) or (? > 7)"),
        ('"x, y"', "'x, y'"),
    ],
)
def test_feel_unary_tests_become_python_cells(feel: str, cell: str) -> None:
    assert unary_tests(feel) == cell


def test_feel_functions_do_not_map() -> None:
    with pytest.raises(Untranslatable, match="date and time"):
        unary_tests('date and time("2020-01-01T00:00:00")')
