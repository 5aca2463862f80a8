"""Form fields from JSON Schema + UI schema, and posted forms read back as typed answers."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator
from werkzeug.datastructures import MultiDict

from engine.errors import Detail
from player.forms import (
    FieldView,
    answer_from_form,
    field_errors,
    fields,
    html_pattern,
    ordered,
    plain_message,
)


def one(prop: dict[str, Any], ui: dict[str, Any] | None = None, **kw: Any) -> FieldView:
    schema = {"type": "object", "properties": {"x": prop}, **kw}
    (field,) = fields(schema, {"x": ui} if ui else None)
    return field


def form(*pairs: tuple[str, str]) -> MultiDict[str, str]:
    return MultiDict(list(pairs))


# -- widgets -----------------------------------------------------------------------------


def test_a_string_is_a_text_input_labelled_by_its_title() -> None:
    f = one({"type": "string", "title": "Name"})
    assert (f.widget, f.input_type, f.label, f.value) == ("text", "text", "Name", "")
    assert f.id == "f-x" and f.focus_id == "f-x"
    assert one({"type": "string"}).label == "x"
    assert one({"type": "string", "title": "T"}, {"ui:title": "Shown"}).label == "Shown"


def test_textarea_and_its_rows_come_from_the_ui_schema() -> None:
    f = one(
        {"type": "string", "maxLength": 500}, {"ui:widget": "textarea", "ui:options": {"rows": 3}}
    )
    assert f.widget == "textarea"
    assert dict(f.attrs) == {"maxlength": "500", "rows": "3"}


def test_numbers_carry_their_bounds_and_step() -> None:
    whole = one({"type": "integer", "minimum": 1, "maximum": 20, "default": 1})
    assert (whole.widget, whole.input_type, whole.value) == ("number", "number", "1")
    assert dict(whole.attrs) == {"min": "1", "max": "20", "step": "1"}
    real = one({"type": "number", "minimum": 0.5})
    assert dict(real.attrs) == {"min": "0.5", "step": "any"}
    assert dict(one({"type": "number", "multipleOf": 0.25}).attrs) == {"step": "0.25"}


def test_a_boolean_is_a_checkbox_or_yes_no_radios() -> None:
    box = one({"type": "boolean", "default": True})
    assert (box.widget, box.checked, box.value) == ("checkbox", True, "true")
    assert one({"type": "boolean"}).checked is False
    radios = one({"type": "boolean", "default": False}, {"ui:widget": "radio"})
    assert radios.widget == "radio" and radios.is_group
    assert [(c.value, c.label, c.checked) for c in radios.choices] == [
        ("true", "Yes", False),
        ("false", "No", True),
    ]
    assert radios.focus_id == "f-x-0"


def test_enums_are_radios_up_to_five_options_and_a_select_above() -> None:
    five = one({"type": "string", "enum": list("abcde")})
    six = one({"type": "string", "enum": list("abcdef")})
    assert five.widget == "radio" and six.widget == "select"
    assert one({"type": "string", "enum": list("abcdef")}, {"ui:widget": "radio"}).widget == "radio"
    assert one({"type": "string", "enum": ["a", "b"]}, {"ui:widget": "select"}).widget == "select"


def test_one_of_consts_give_values_and_titles() -> None:
    f = one(
        {
            "type": "string",
            "default": "12-15",
            "oneOf": [
                {"const": "09-12", "title": "09:00–12:00"},
                {"const": "12-15", "title": "noon"},
            ],
        }
    )
    assert [(c.value, c.label, c.checked) for c in f.choices] == [
        ("09-12", "09:00–12:00", False),
        ("12-15", "noon", True),
    ]
    assert f.value == "12-15"


def test_enum_names_label_enum_values() -> None:
    f = one({"type": "integer", "enum": [1, 2]}, {"ui:enumNames": ["One", "Two"]})
    assert [(c.value, c.label) for c in f.choices] == [("1", "One"), ("2", "Two")]
    assert [c.label for c in one({"enum": ["a", "b"], "enumNames": ["A"]}).choices] == ["A", "b"]


def test_an_array_of_enums_is_a_checkbox_group() -> None:
    f = one({"type": "array", "items": {"enum": ["tv", "phone", "pc"]}, "default": ["pc", "tv"]})
    assert f.widget == "checkboxes" and f.is_group
    assert f.checked_values == ("tv", "pc")


def test_formats_pick_the_input_type() -> None:
    assert one({"type": "string", "format": "date"}).input_type == "date"
    assert one({"type": "string"}, {"ui:widget": "date"}).widget == "date"
    assert one({"type": "string", "format": "email"}).input_type == "email"
    assert one({"type": "string"}, {"ui:widget": "password"}).input_type == "password"
    assert one({"type": "string"}, {"ui:widget": "hidden"}).widget == "hidden"


def test_string_constraints_become_html_attributes() -> None:
    f = one({"type": "string", "minLength": 9, "maxLength": 12, "pattern": "^[0-9]{9}$"})
    assert dict(f.attrs) == {"minlength": "9", "maxlength": "12", "pattern": "[0-9]{9}"}


@pytest.mark.parametrize(
    ("pattern", "html"),
    [
        ("^\\+7[0-9]{10}$", "\\+7[0-9]{10}"),
        ("[0-9]+", ".*(?:[0-9]+).*"),
        ("^ab", ".*(?:^ab).*"),
        ("^cost\\$", ".*(?:^cost\\$).*"),
    ],
)
def test_html_patterns_match_what_json_schema_matches(pattern: str, html: str) -> None:
    assert html_pattern(pattern) == html


def test_required_readonly_help_and_placeholder() -> None:
    schema = {
        "type": "object",
        "required": ["a"],
        "properties": {"a": {"type": "string"}, "b": {"type": "string", "readOnly": True}},
    }
    a, b = fields(schema, {"a": {"ui:help": "Say it", "ui:placeholder": "+7..."}})
    assert (a.required, a.readonly, a.help, a.placeholder) == (True, False, "Say it", "+7...")
    assert (b.required, b.readonly) == (False, True)
    assert one({"type": "string"}, {"ui:readonly": True}).readonly
    assert one({"type": "string", "description": "From the schema"}).help == "From the schema"


def test_a_read_only_choice_shows_its_label_as_text() -> None:
    f = one(
        {"type": "string", "oneOf": [{"const": "a", "title": "A"}], "default": "a"},
        {"ui:readonly": True},
    )
    assert f.shows_text and not f.is_group
    assert (f.checked_labels, f.checked_values) == ("A", ("a",))
    assert not one({"type": "string", "readOnly": True}).shows_text


def test_help_and_error_describe_the_input() -> None:
    schema = {"type": "object", "properties": {"a b": {"type": "string"}}}
    (f,) = fields(schema, {"a b": {"ui:help": "h"}}, errors={"a b": "Fill this in."})
    assert f.id == "f-a-b"
    assert f.described_by == "f-a-b-help f-a-b-error"
    assert f.error == "Fill this in."
    (bare,) = fields(schema, None)
    assert bare.described_by == ""


def test_ui_order_with_and_without_a_star() -> None:
    props = {"a": {}, "b": {}, "c": {}, "d": {}}
    assert ordered(props, None) == ["a", "b", "c", "d"]
    assert ordered(props, ["c", "a"]) == ["c", "a", "b", "d"]
    assert ordered(props, ["d", "*", "a"]) == ["d", "b", "c", "a"]
    assert ordered(props, ["zzz", "b"]) == ["b", "a", "c", "d"]
    schema = {"type": "object", "properties": props}
    assert [f.name for f in fields(schema, {"ui:order": ["c", "*"]})] == ["c", "a", "b", "d"]


def test_values_replace_defaults_once_given() -> None:
    schema = {
        "type": "object",
        "properties": {
            "n": {"type": "integer", "default": 1},
            "s": {"type": "string", "default": "x"},
            "ok": {"type": "boolean", "default": True},
        },
    }
    shown = {f.name: (f.value, f.checked) for f in fields(schema, None)}
    assert shown == {"n": ("1", False), "s": ("x", False), "ok": ("true", True)}
    kept = {f.name: (f.value, f.checked) for f in fields(schema, None, {"n": "abc", "ok": False})}
    assert kept == {"n": ("abc", False), "s": ("", False), "ok": ("true", False)}


def test_no_schema_or_no_properties_gives_no_fields() -> None:
    assert fields(None, None) == []
    assert fields({"type": "object"}, None) == []


# -- errors ------------------------------------------------------------------------------


def test_errors_go_to_their_field_and_the_rest_stays_apart() -> None:
    details = [
        Detail("tags/0", "'x' is not one of ['a']"),
        Detail("name", "'name' is a required property"),
        Detail("name", "'A' is too short"),
        Detail("", "the answer is odd"),
        Detail("other", "unknown"),
    ]
    per_field, rest = field_errors(details, ["name", "tags"])
    assert per_field == {
        "tags": "'x' is not one of ['a']",
        "name": "Fill this in.; 'A' is too short",
    }
    assert rest == ["the answer is odd", "other: unknown"]


def test_plain_messages_for_required_and_pattern() -> None:
    assert plain_message("'ticket' is a required property") == "Fill this in."
    assert plain_message("'12' does not match '^\\\\+7[0-9]{10}$'") == (
        "This does not have the expected format."
    )
    assert plain_message("200 is greater than the maximum of 150") == (
        "200 is greater than the maximum of 150"
    )


# -- answers -----------------------------------------------------------------------------

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 2},
        "age": {"type": "integer", "minimum": 0},
        "ratio": {"type": "number"},
        "vip": {"type": "boolean"},
        "sms": {"type": "boolean"},
        "level": {"type": "integer", "enum": [1, 2, 3]},
        "slot": {"type": "string", "oneOf": [{"const": "am"}, {"const": "pm"}]},
        "devices": {"type": "array", "items": {"type": "string", "enum": ["tv", "pc"]}},
        "when": {"type": "string", "format": "date"},
    },
}


def test_strings_become_the_schema_types() -> None:
    posted = form(
        ("name", "  Anna "),
        ("age", "42"),
        ("ratio", "2.5"),
        ("vip", "false"),
        ("vip", "true"),
        ("sms", "false"),
        ("level", "2"),
        ("slot", "pm"),
        ("devices", "tv"),
        ("devices", "pc"),
        ("when", "2030-05-14"),
        ("csrf_token", "abc"),
        ("step_token", "1.x"),
    )
    answer = answer_from_form(SCHEMA, posted)
    assert answer == {
        "name": "Anna",
        "age": 42,
        "ratio": 2.5,
        "vip": True,
        "sms": False,
        "level": 2,
        "slot": "pm",
        "devices": ["tv", "pc"],
        "when": "2030-05-14",
    }
    assert not list(Draft202012Validator(SCHEMA).iter_errors(answer))


def test_empty_fields_are_left_out_so_validation_names_them() -> None:
    answer = answer_from_form(SCHEMA, form(("name", " "), ("age", ""), ("devices", "")))
    assert answer == {}
    errors = list(Draft202012Validator(SCHEMA).iter_errors(answer))
    assert [e.message for e in errors] == ["'name' is a required property"]


def test_text_that_is_not_a_number_stays_text_for_validation_to_refuse() -> None:
    answer = answer_from_form(SCHEMA, form(("name", "Al"), ("age", "forty"), ("ratio", "nan")))
    assert answer == {"name": "Al", "age": "forty", "ratio": "nan"}
    paths = sorted(
        "/".join(map(str, e.path)) for e in Draft202012Validator(SCHEMA).iter_errors(answer)
    )
    assert paths == ["age", "ratio"]


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("3", "integer", 3),
        ("3.0", "integer", 3),
        ("3.5", "integer", 3.5),
        ("3", "number", 3),
        ("-0.25", "number", -0.25),
        ("1e3", "number", 1000.0),
        ("inf", "number", "inf"),
    ],
)
def test_numbers(text: str, kind: str, value: Any) -> None:
    schema = {"type": "object", "properties": {"v": {"type": kind}}}
    got = answer_from_form(schema, form(("v", text)))["v"]
    assert got == value and type(got) is type(value)


def test_yes_no_radios_and_unknown_enum_text() -> None:
    schema = {
        "type": "object",
        "properties": {"ok": {"type": ["boolean", "null"]}, "level": SCHEMA["properties"]["level"]},
    }
    assert answer_from_form(schema, form(("ok", "true"), ("level", "9"))) == {
        "ok": True,
        "level": "9",
    }
    assert answer_from_form(schema, form(("ok", "maybe"))) == {"ok": "maybe"}


def test_no_schema_means_no_answer() -> None:
    assert answer_from_form(None, form(("a", "1"))) == {}
    assert answer_from_form({"type": "object"}, form(("a", "1"))) == {}


def test_an_answer_shows_again_as_it_was_entered() -> None:
    posted = form(("name", "Al"), ("age", "7"), ("vip", "false"), ("devices", "pc"), ("slot", "am"))
    answer = answer_from_form(SCHEMA, posted)
    shown = {f.name: f for f in fields(SCHEMA, None, answer)}
    assert shown["name"].value == "Al" and shown["age"].value == "7"
    assert shown["vip"].checked is False
    assert shown["devices"].checked_values == ("pc",)
    assert [c.checked for c in shown["slot"].choices] == [True, False]
    assert shown["when"].value == ""
