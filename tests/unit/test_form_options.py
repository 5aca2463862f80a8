"""The options of a form field, from its JSON Schema and UI schema: one rule for every channel."""

from __future__ import annotations

from typing import Any

from engine.form_options import field_options, form_options, value_label
from engine.model import Option, Step
from engine.replies import single_field
from player.forms import fields

FORM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "plan": {"type": "string", "enum": ["basic", "premium"], "enumNames": ["Basic", "Premium"]},
        "slot": {
            "type": "string",
            "oneOf": [
                {"const": "am", "title": "Morning", "x-synonyms": ["утро", "early"]},
                {"const": "pm", "title": "Afternoon"},
            ],
        },
        "size": {"type": "integer", "enum": [1, 2, 3]},
        "extras": {"type": "array", "items": {"enum": ["tv", "phone"]}},
        "agree": {"const": True, "title": "I agree"},
        "note": {"type": "string"},
        "count": {"type": "integer", "minimum": 1},
        "answer": {"type": "boolean"},
    },
}
UI: dict[str, Any] = {
    "plan": {"ui:enumNames": ["Базовый", "Премиум"]},
    "size": {"ui:enumNames": ["Small", "Medium"]},
    "extras": {"ui:enumNames": ["TV", "Phone"]},
}


def test_every_choice_field_of_a_form_has_its_options_in_property_order() -> None:
    found = form_options(FORM, UI)
    assert list(found) == ["plan", "slot", "size", "extras", "agree"]
    assert found["slot"] == (
        Option("am", "Morning", ("утро", "early")),
        Option("pm", "Afternoon"),
    )
    assert found["agree"] == (Option(True, "I agree"),)
    assert form_options(None) == {} and form_options({"properties": []}) == {}


def test_ui_enum_names_win_over_the_schemas_and_missing_names_fall_back_to_the_value() -> None:
    found = form_options(FORM, UI)
    assert [o.label for o in found["plan"]] == ["Базовый", "Премиум"]
    assert [o.label for o in form_options(FORM)["plan"]] == ["Basic", "Premium"]
    assert [(o.value, o.label) for o in found["size"]] == [(1, "Small"), (2, "Medium"), (3, "3")]


def test_an_arrays_options_are_its_items_labelled_by_the_fields_ui() -> None:
    assert field_options(FORM["properties"]["extras"], UI["extras"]) == (
        Option("tv", "TV"),
        Option("phone", "Phone"),
    )
    assert field_options({"type": ["array", "null"], "items": {"type": "string"}}) is None


def test_any_of_consts_titles_and_synonyms() -> None:
    prop = {"anyOf": [{"const": 1, "title": "One", "x-synonyms": ["один", 5, ""]}, {"const": 2}]}
    assert field_options(prop) == (Option(1, "One", ("один",)), Option(2, "2"))
    mixed = {"oneOf": [{"const": "a"}, {"type": "string"}]}
    assert field_options(mixed) is None
    assert field_options({"type": "string"}) is None
    assert field_options({"enum": ["a"]}, {"ui:enumNames": "not a list"}) == (Option("a", "a"),)


def test_values_without_a_title_are_labelled_as_json_spells_them() -> None:
    assert [value_label(v) for v in ("x", True, False, None, 2, 2.0, 2.5)] == [
        "x",
        "true",
        "false",
        "null",
        "2",
        "2",
        "2.5",
    ]


def test_replies_and_the_web_form_label_a_field_alike() -> None:
    schema = {"type": "object", "properties": {"plan": FORM["properties"]["plan"]}}
    ui = {"plan": UI["plan"]}
    spec = single_field(Step(id="s", kind="form", schema=schema, ui_schema=ui))
    assert spec is not None and spec.kind == "choice"
    (view,) = fields(schema, ui)
    assert [o.label for o in spec.options] == [c.label for c in view.choices]
    assert [o.label for o in spec.options] == ["Базовый", "Премиум"]


def test_replies_use_the_options_the_step_carries() -> None:
    schema = {"type": "object", "properties": {"plan": {"type": "string", "enum": ["b", "p"]}}}
    carried = {"plan": (Option("b", "Basic", ("cheap",)), Option("p", "Premium"))}
    spec = single_field(Step(id="s", kind="form", schema=schema, field_options=carried))
    assert spec is not None and spec.options == carried["plan"]
