"""The invoker over an in-memory transport: what is (and is not) sent. No test here opens a
socket, whatever address a request or a redirect names."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import httpx
import pytest
from prometheus_client import CollectorRegistry

from integrations import (
    AllowList,
    CallFailed,
    Invoker,
    InvokerConfig,
    SecretStore,
    parse_function,
)

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)


@pytest.fixture()
def make_invoker() -> Iterator[Callable[[Handler], tuple[Invoker, Recorder]]]:
    made: list[Invoker] = []

    def build(handler: Handler) -> tuple[Invoker, Recorder]:
        recorder = Recorder(handler)
        invoker = Invoker(
            InvokerConfig(),
            SecretStore({"CUEBOOK_SECRET_TOKEN": "tok-123"}),
            AllowList.parse("api.example.com"),
            httpx.MockTransport(recorder),
            registry=CollectorRegistry(),
        )
        made.append(invoker)
        return invoker, recorder

    yield build
    for invoker in made:
        invoker.close()


def test_request_is_built_from_the_spec(
    make_invoker: Callable[..., tuple[Invoker, Recorder]],
) -> None:
    invoker, recorder = make_invoker(lambda r: httpx.Response(201, json={"ticket": {"id": 9}}))
    spec = parse_function(
        {
            "name": "open_ticket",
            "parameters": [
                {"name": "customer", "type": "string"},
                {"name": "priority", "type": "integer", "default": 2},
            ],
            "secrets": ["TOKEN"],
            "request": {
                "method": "POST",
                "url": "https://api.example.com/tickets",
                "headers": {"Authorization": "Bearer {{ secrets.TOKEN }}"},
                "body": {"customer": "{{ customer }}", "priority": "{{ priority }}"},
            },
            "response": {"results": {"id": "ticket.id"}},
        }
    )
    result = invoker.call(spec, ["Анна"])
    assert result.results == {"id": 9}
    assert result.status == 201
    sent = recorder.requests[0]
    assert sent.method == "POST"
    assert sent.headers["authorization"] == "Bearer tok-123"
    assert sent.headers["content-type"] == "application/json"
    assert json.loads(sent.content) == {"customer": "Анна", "priority": 2}
    assert result.request["headers"] == {"Authorization": "***"}
    assert result.request["body"] == {"customer": "Анна", "priority": 2}


def test_redirect_to_metadata_address_is_never_sent(
    make_invoker: Callable[..., tuple[Invoker, Recorder]],
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/"})

    invoker, recorder = make_invoker(handler)
    spec = parse_function({"name": "hop", "request": {"url": "https://api.example.com/start"}})
    with pytest.raises(CallFailed) as caught:
        invoker.call(spec)
    assert caught.value.kind == "refused"
    assert [str(r.url) for r in recorder.requests] == ["https://api.example.com/start"]


def test_redirect_to_a_name_for_a_metadata_address_is_never_sent() -> None:
    def resolver(host: str, port: int) -> list[str]:
        return {"api.example.com": ["93.184.216.34"], "meta.example.com": ["169.254.169.254"]}[host]

    recorder = Recorder(
        lambda r: httpx.Response(302, headers={"Location": "http://meta.example.com/latest/"})
    )
    with Invoker(
        InvokerConfig(),
        SecretStore({}),
        AllowList.parse("*.example.com", resolver=resolver),
        httpx.MockTransport(recorder),
        registry=CollectorRegistry(),
    ) as invoker:
        spec = parse_function({"name": "hop", "request": {"url": "https://api.example.com/a"}})
        with pytest.raises(CallFailed) as caught:
            invoker.call(spec)
    assert caught.value.kind == "refused"
    assert "169.254.169.254" in caught.value.message
    assert [str(r.url) for r in recorder.requests] == ["https://api.example.com/a"]


def test_host_off_the_list_is_never_sent(
    make_invoker: Callable[..., tuple[Invoker, Recorder]],
) -> None:
    invoker, recorder = make_invoker(lambda r: httpx.Response(200))
    spec = parse_function(
        {
            "name": "elsewhere",
            "parameters": [{"name": "host", "type": "string"}],
            "request": {"url": "https://{{ host | raw }}/x"},
        }
    )
    with pytest.raises(CallFailed) as caught:
        invoker.call(spec, ["evil.example.org"])
    assert caught.value.kind == "refused"
    assert recorder.requests == []


def test_breaker_open_fails_fast_without_sending(
    make_invoker: Callable[..., tuple[Invoker, Recorder]],
) -> None:
    invoker, recorder = make_invoker(lambda r: httpx.Response(503))
    spec = parse_function(
        {
            "name": "down",
            "request": {"url": "https://api.example.com/x"},
            "circuit_breaker": {"failure_threshold": 2, "reset_s": 60},
        }
    )
    kinds = []
    for _ in range(4):
        with pytest.raises(CallFailed) as caught:
            invoker.call(spec)
        kinds.append(caught.value.kind)
    assert kinds == ["http_status", "http_status", "breaker_open", "breaker_open"]
    assert len(recorder.requests) == 2
    assert invoker.stats("down")["breaker"] == "open"
    assert invoker.stats("down")["errors_by_kind"] == {"http_status": 2, "breaker_open": 2}


def test_network_errors_are_retried_for_get(
    make_invoker: Callable[..., tuple[Invoker, Recorder]],
) -> None:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] < 3:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, json={"ok": True})

    invoker, _recorder = make_invoker(handler)
    spec = parse_function(
        {
            "name": "shaky",
            "request": {"url": "https://api.example.com/x"},
            "retries": {"count": 2, "backoff_s": 0},
            "response": {"results": {"ok": "ok"}},
        }
    )
    result = invoker.call(spec)
    assert (result.results, result.attempts) == ({"ok": True}, 3)
