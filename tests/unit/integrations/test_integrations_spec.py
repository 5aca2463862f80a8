"""Spec validation: every problem is reported with its path."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from integrations import FunctionSpec, SpecInvalid, parse_function


def valid() -> dict[str, Any]:
    return {
        "name": "outage_check",
        "description": "Is there an outage at the customer's address?",
        "version": 3,
        "parameters": [
            {"name": "customer_id", "type": "string"},
            {"name": "region", "type": "string", "default": "north"},
            {"name": "limit", "type": "integer", "required": False},
        ],
        "request": {
            "method": "GET",
            "url": "https://api.example.com/outages/{{ customer_id }}",
            "headers": {"Authorization": "Bearer {{ secrets.CRM_TOKEN }}"},
            "query": {"region": "{{ region }}", "limit": "{{ limit }}"},
        },
        "response": {
            "success_status": [200, 404],
            "results": {
                "status": "data.items[0].status",
                "raw": "$",
                "count": {"path": "meta.count", "required": True},
            },
        },
        "timeout_s": 2,
        "retries": {"count": 2, "backoff_s": 0.05},
        "cache": {"ttl_s": 60},
        "circuit_breaker": {"failure_threshold": 3, "reset_s": 10},
        "secrets": ["CRM_TOKEN"],
    }


def problems_of(data: Any) -> dict[str, str]:
    with pytest.raises(SpecInvalid) as caught:
        parse_function(data)
    return dict(caught.value.problems)


def test_a_valid_spec_parses_with_defaults_filled() -> None:
    spec = parse_function(valid())
    assert isinstance(spec, FunctionSpec)
    assert [p.name for p in spec.parameters] == ["customer_id", "region", "limit"]
    assert spec.parameters[0].required and not spec.parameters[1].required
    assert spec.parameters[1].default == "north"
    assert spec.response.success_codes == frozenset({200, 404})
    assert spec.cacheable and spec.retryable and spec.idempotent
    assert spec.request.body_type == "json"


def test_round_trip_through_to_dict() -> None:
    spec = parse_function(valid())
    again = parse_function(spec.to_dict())
    assert again == spec
    assert again.to_dict() == spec.to_dict()


def test_minimal_spec_defaults() -> None:
    spec = parse_function({"name": "ping", "request": {"url": "http://h/ping"}})
    assert spec.request.method == "GET"
    assert spec.timeout_s == 5.0
    assert spec.retries.count == 0
    assert spec.cache is None and not spec.cacheable
    assert spec.response.success_codes == frozenset(range(200, 300))
    assert spec.circuit_breaker.failure_threshold == 5


def test_schema_problems_name_their_paths() -> None:
    data = valid()
    data["parameters"].append({"name": "bad", "type": "strin"})
    data["parameters"].append({"type": "string"})
    data["request"]["verb"] = "GET"
    data["timeout_s"] = 0
    data["response"]["results"]["count"] = {"path": "x", "requred": True}
    del data["request"]["url"]
    problems = problems_of(data)
    assert "parameters[3].type" in problems and "strin" in problems["parameters[3].type"]
    assert problems["parameters[4].name"] == "required field is missing"
    assert problems["request.verb"] == "unknown field"
    assert problems["request.url"] == "required field is missing"
    assert "timeout_s" in problems
    assert problems["response.results.count.requred"] == "unknown field"


def test_bad_names_and_shapes() -> None:
    problems = problems_of(
        {
            "name": "has space",
            "request": {"url": "http://h", "method": "FETCH", "headers": {"Bad Header": "x"}},
            "secrets": ["lower"],
        }
    )
    assert set(problems) >= {"name", "request.method", "request.headers", "secrets[0]"}
    assert problems_of([1, 2]) == {"": "an integration function must be an object"}


def test_template_problems_name_the_field() -> None:
    data = valid()
    data["request"]["url"] = "https://api.example.com/{{ customer }}"
    data["request"]["headers"]["X-Key"] = "{{ secrets.OTHER }}"
    data["request"]["query"]["broken"] = "{{ region "
    data["request"]["query"]["filter"] = "{{ region | nosuchfilter }}"
    data["request"]["query"]["all"] = "{{ secrets }}"
    problems = problems_of(data)
    assert problems["request.url"] == "unknown name 'customer': not a declared parameter"
    assert "secrets.OTHER" in problems["request.headers.X-Key"]
    assert "does not compile" in problems["request.query.broken"]
    assert "nosuchfilter" in problems["request.query.filter"]
    assert "secrets.NAME" in problems["request.query.all"]


def test_body_leaves_are_checked_with_their_paths() -> None:
    data = valid()
    data["request"]["method"] = "POST"
    data["request"]["body"] = {"items": [{"id": "{{ customer_id }}"}, {"id": "{{ nobody }}"}]}
    data["cache"] = None
    assert problems_of(data) == {
        "request.body.items[1].id": "unknown name 'nobody': not a declared parameter"
    }


def test_semantic_rules() -> None:
    data = valid()
    data["parameters"].append({"name": "region", "type": "string"})
    data["parameters"].append({"name": "secrets", "type": "string"})
    data["parameters"].append({"name": "size", "type": "integer", "default": "big"})
    data["response"]["results"]["bad"] = "items..x"
    data["request"]["body"] = {"a": 1}
    data["request"]["url"] = "ftp://files.example.com/x"
    problems = problems_of(data)
    assert "duplicate" in problems["parameters[3].name"]
    assert "reserved" in problems["parameters[4].name"]
    assert problems["parameters[5].default"] == "expected integer, got string"
    assert "bad path expression" in problems["response.results.bad"]
    assert problems["request.body"] == "a GET request cannot have a body"
    assert "http://" in problems["request.url"]


def test_caching_a_post_needs_an_explicit_opt_in() -> None:
    data = valid()
    data["request"]["method"] = "POST"
    assert "cache.non_get" in problems_of(data)
    data["cache"]["non_get"] = True
    assert parse_function(data).cacheable


def test_body_type_must_fit_the_body() -> None:
    data = valid()
    data["cache"] = None
    data["request"].update(method="POST", body={"a": "b"}, body_type="text")
    assert problems_of(data) == {"request.body": "body_type text needs a template string"}
    data["request"].update(body="x", body_type="form")
    assert problems_of(data) == {"request.body": "body_type form needs an object of fields"}


def test_message_lists_problems_and_is_short() -> None:
    data = valid()
    data["parameters"] = [{"name": f"p{i}", "type": "nope"} for i in range(9)]
    with pytest.raises(SpecInvalid) as caught:
        parse_function(data)
    assert len(caught.value.problems) == 9
    assert "parameters[0].type" in str(caught.value)
    assert "and 4 more" in str(caught.value)


def test_parsing_is_cached_by_content_and_input_is_not_shared() -> None:
    data = valid()
    first = parse_function(data)
    assert parse_function(copy.deepcopy(data)) is first
    data["request"]["headers"]["X-New"] = "1"
    second = parse_function(data)
    assert second is not first
    assert "X-New" not in first.request.headers
