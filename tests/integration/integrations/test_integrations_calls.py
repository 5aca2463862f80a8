"""Calls against a real local server: arguments, templates, bodies, results."""

from __future__ import annotations

import json
from typing import Any

import pytest

from integrations import ArgumentsInvalid, CallFailed, Invoker, parse_function
from tests.support.waiting import join_all


def echo_spec(server: Any, **request: Any) -> Any:
    data: dict[str, Any] = {
        "name": request.pop("name", "echo"),
        "parameters": request.pop(
            "parameters",
            [
                {"name": "customer", "type": "string"},
                {"name": "region", "type": "string", "default": "north"},
                {"name": "limit", "type": "integer", "default": 10},
            ],
        ),
        "request": {
            "url": server.base + "/echo/{{ customer }}",
            "query": {"region": "{{ region }}", "limit": "{{ limit }}"},
            **request,
        },
        "response": {"results": {"received": "received", "status": "data.items[0].status"}},
        "timeout_s": 2,
    }
    return parse_function(data)


def test_positional_arguments_follow_parameter_order_and_defaults(
    server: Any, invoker: Invoker
) -> None:
    spec = echo_spec(server)
    result = invoker.call(spec, ["c-1"])
    received = result.results["received"]
    assert received["segments"] == ["echo", "c-1"]
    assert received["query"] == {"region": ["north"], "limit": ["10"]}
    assert result.results["status"] == "ok"
    assert result.status == 200 and result.attempts == 1 and not result.cached

    result = invoker.call(spec, ["c-2", "south", "3"])
    assert result.results["received"]["query"] == {"region": ["south"], "limit": ["3"]}


def test_arguments_by_name(server: Any, invoker: Invoker) -> None:
    spec = echo_spec(server)
    result = invoker.call(spec, {"limit": 7, "customer": "c-9"})
    received = result.results["received"]
    assert received["segments"][1] == "c-9"
    assert received["query"]["limit"] == ["7"]
    assert received["query"]["region"] == ["north"]


def test_bad_arguments_are_refused_before_any_request(server: Any, invoker: Invoker) -> None:
    spec = echo_spec(server)
    before = server.state.seen("echo")
    with pytest.raises(ArgumentsInvalid) as caught:
        invoker.call(spec, {"limit": "many"})
    assert caught.value.kind == "bad_arguments"
    assert dict(caught.value.problems) == {
        "customer": "required parameter is missing",
        "limit": "expected integer, got string",
    }
    assert server.state.seen("echo") == before


TRICKY = [
    "Иван Петров",
    "a&b=c",
    "x/y?z#frag",
    "quote \" and ' apostrophe",
    "100% + plus",
]


@pytest.mark.parametrize("value", TRICKY)
def test_special_characters_reach_the_server_intact(
    server: Any, invoker: Invoker, value: str
) -> None:
    spec = echo_spec(
        server,
        name="tricky",
        headers={"X-Customer": "{{ customer }}"},
        method="POST",
        body={"name": "{{ customer }}", "note": "said: {{ customer }}", "limit": "{{ limit }}"},
    )
    result = invoker.call(spec, [value, value])
    received = result.results["received"]
    assert received["segments"] == ["echo", value]
    assert received["query"]["region"] == [value]
    assert json.loads(received["body"]) == {"name": value, "note": f"said: {value}", "limit": 10}
    if value.isascii():
        assert received["headers"]["x-customer"] == value


def test_urlencode_filter_and_raw_filter(server: Any, invoker: Invoker) -> None:
    spec = parse_function(
        {
            "name": "filters",
            "parameters": [{"name": "q", "type": "string"}],
            "secrets": ["OTHER"],
            "request": {"url": server.base + "/echo/{{ q | urlencode }}/{{ 'a/b' | raw }}"},
            "response": {"results": {"received": "received"}},
        }
    )
    received = invoker.call(spec, ["a b/c"]).results["received"]
    assert received["raw_path"] == "/echo/a%20b%2Fc/a/b"
    assert received["segments"] == ["echo", "a b/c", "a", "b"]


def test_form_and_text_bodies(server: Any, invoker: Invoker) -> None:
    form = parse_function(
        {
            "name": "form",
            "parameters": [{"name": "q", "type": "string"}],
            "request": {
                "method": "POST",
                "url": server.base + "/echo/form",
                "body": {"q": "{{ q }}", "fixed": "1"},
                "body_type": "form",
            },
            "response": {"results": {"received": "received"}},
        }
    )
    received = invoker.call(form, ["Мир & co"]).results["received"]
    assert received["headers"]["content-type"] == "application/x-www-form-urlencoded"
    from urllib.parse import parse_qs

    assert parse_qs(received["body"]) == {"q": ["Мир & co"], "fixed": ["1"]}

    text = parse_function(
        {
            "name": "text",
            "parameters": [{"name": "q", "type": "string"}],
            "request": {
                "method": "PUT",
                "url": server.base + "/echo/text",
                "body": "hello {{ q }}",
                "body_type": "text",
            },
            "response": {"results": {"received": "received"}},
        }
    )
    received = invoker.call(text, ["world"]).results["received"]
    assert received["body"] == "hello world"
    assert received["headers"]["content-type"].startswith("text/plain")


def test_results_whole_body_defaults_and_required(server: Any, invoker: Invoker) -> None:
    base = {
        "name": "results",
        "request": {"url": server.base + "/echo/r"},
    }
    spec = parse_function(
        {
            **base,
            "response": {
                "results": {
                    "all": "$",
                    "missing": {"path": "data.items[5].status", "default": "none"},
                    "absent": "nothing.here",
                }
            },
        }
    )
    results = invoker.call(spec).results
    assert results["all"]["data"] == {"items": [{"status": "ok"}]}
    assert results["missing"] == "none"
    assert results["absent"] is None

    strict = parse_function(
        {**base, "response": {"results": {"x": {"path": "data.x", "required": True}}}}
    )
    with pytest.raises(CallFailed) as caught:
        invoker.call(strict)
    assert caught.value.kind == "bad_response"
    assert "data.x" in caught.value.message


def test_non_json_response_is_a_clear_error_only_when_results_are_mapped(
    server: Any, invoker: Invoker
) -> None:
    mapped = parse_function(
        {
            "name": "text_mapped",
            "request": {"url": server.base + "/text"},
            "response": {"results": {"x": "$"}},
        }
    )
    with pytest.raises(CallFailed) as caught:
        invoker.call(mapped)
    assert caught.value.kind == "bad_response"
    assert "not JSON" in caught.value.message and "text/plain" in caught.value.message

    unmapped = parse_function({"name": "text_plain", "request": {"url": server.base + "/text"}})
    assert invoker.call(unmapped).results == {}


def test_error_status_and_custom_success_statuses(server: Any, invoker: Invoker) -> None:
    failing = parse_function({"name": "fail500", "request": {"url": server.base + "/status/500"}})
    with pytest.raises(CallFailed) as caught:
        invoker.call(failing)
    assert (caught.value.kind, caught.value.status) == ("http_status", 500)

    not_found_ok = parse_function(
        {
            "name": "lookup",
            "request": {"url": server.base + "/status/404"},
            "response": {"success_status": [200, 404], "results": {"status": "status"}},
        }
    )
    result = invoker.call(not_found_ok)
    assert (result.status, result.results) == (404, {"status": 404})


def test_many_threads_share_one_invoker(server: Any, invoker: Invoker) -> None:
    import threading

    spec = echo_spec(server, name="threads")
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(10):
                got = invoker.call(spec, [f"t{n}-{i}"]).results["received"]["segments"][1]
                assert got == f"t{n}-{i}"
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    join_all(threads, "twenty threads calling through one invoker")
    assert failures == []
    assert invoker.stats("threads")["calls"] == 200
