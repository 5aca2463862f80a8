"""Binding arguments to parameters: order, names, defaults, coercion, errors."""

from __future__ import annotations

from typing import Any

import pytest

from integrations import ArgumentsInvalid, bind_arguments, parse_function
from integrations.binding import coerce

SPEC = parse_function(
    {
        "name": "tariff",
        "parameters": [
            {"name": "customer", "type": "string"},
            {"name": "months", "type": "integer", "default": 3},
            {"name": "ratio", "type": "number", "required": False},
            {"name": "active", "type": "boolean", "default": True},
            {"name": "tags", "type": "array", "default": ["a"]},
            {"name": "extra", "type": "object", "required": False},
        ],
        "request": {"url": "http://h/{{ customer }}"},
    }
)


def problems(args: Any) -> dict[str, str]:
    with pytest.raises(ArgumentsInvalid) as caught:
        bind_arguments(SPEC, args)
    assert caught.value.kind == "bad_arguments"
    assert caught.value.function == "tariff"
    return dict(caught.value.problems)


def test_positional_arguments_follow_declared_order() -> None:
    bound = bind_arguments(SPEC, ["c1", 12, 0.5, False])
    assert bound == {
        "customer": "c1",
        "months": 12,
        "ratio": 0.5,
        "active": False,
        "tags": ["a"],
        "extra": None,
    }


def test_named_arguments_and_defaults() -> None:
    bound = bind_arguments(SPEC, {"customer": "c1", "extra": {"k": 1}})
    assert bound["months"] == 3 and bound["active"] is True and bound["ratio"] is None
    assert bound["extra"] == {"k": 1}


def test_defaults_are_fresh_copies() -> None:
    first = bind_arguments(SPEC, ["c1"])
    first["tags"].append("mutated")
    assert bind_arguments(SPEC, ["c1"])["tags"] == ["a"]


def test_none_counts_as_missing() -> None:
    assert bind_arguments(SPEC, ["c1", None])["months"] == 3
    assert problems([None]) == {"customer": "required parameter is missing"}


@pytest.mark.parametrize(
    ("value", "json_type", "expected"),
    [
        ("5", "integer", 5),
        (" -12 ", "integer", -12),
        (5.0, "integer", 5),
        ("2.5", "number", 2.5),
        ("7", "number", 7),
        ("1e3", "number", 1000.0),
        ("true", "boolean", True),
        ("False", "boolean", False),
        (42, "string", "42"),
        ("text", "string", "text"),
        ((1, 2), "array", [1, 2]),
    ],
)
def test_unambiguous_values_are_coerced(value: Any, json_type: str, expected: Any) -> None:
    result = coerce(value, json_type)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(
    ("value", "json_type"),
    [
        ("5.5", "integer"),
        ("five", "integer"),
        (True, "integer"),
        (2.5, "integer"),
        ("nan", "number"),
        (float("inf"), "number"),
        ("yes", "boolean"),
        (1, "boolean"),
        (True, "string"),
        ("abc", "array"),
        ([1], "object"),
    ],
)
def test_ambiguous_values_are_refused(value: Any, json_type: str) -> None:
    with pytest.raises(ValueError, match=f"expected {json_type}"):
        coerce(value, json_type)


def test_errors_name_every_parameter() -> None:
    assert problems({"months": "many", "active": "maybe", "color": "red"}) == {
        "customer": "required parameter is missing",
        "months": "expected integer, got string",
        "active": "expected boolean, got string",
        "color": "unknown parameter",
    }


def test_too_many_positional_values() -> None:
    found = problems(["c", 1, 1.0, True, [], {}, "one too many"])
    assert found == {"[6]": "7 values given, the function takes 6"}


def test_arguments_must_be_a_list_or_an_object() -> None:
    assert problems("c1") == {"": "arguments must be a list or an object"}
