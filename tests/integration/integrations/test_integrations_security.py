"""The allow-list, redirects, secrets and their masking, against a real server.

Every address these tests expect the guard to refuse is a loopback address off the allow-list
(127.0.0.2, ::1): a broken guard would reach this machine only, never a private network, a
link-local address or a cloud metadata service."""

from __future__ import annotations

import json
import logging
import socket
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from prometheus_client import CollectorRegistry

from integrations import AllowList, CallFailed, Invoker, InvokerConfig, parse_function
from integrations.secret_store import SecretStore

SECRET_VALUE = "s3cr3t-Tok/en&42"
SECRET_FORMS = [SECRET_VALUE, "s3cr3t-Tok%2Fen%2642", "s3cr3t-Tok/en%2642", "s3cr3t-Tok"]


@pytest.fixture(autouse=True)
def _same_secret(secrets: SecretStore) -> None:
    assert secrets.get("API_KEY") == SECRET_VALUE


def assert_no_secret(text: str) -> None:
    for form in SECRET_FORMS:
        assert form not in text


def secret_spec(url: str, **extra: Any) -> Any:
    return parse_function(
        {
            "name": extra.pop("name", "crm"),
            "parameters": [{"name": "customer", "type": "string"}],
            "secrets": ["API_KEY"],
            "request": {
                "url": url + "/{{ customer }}/{{ secrets.API_KEY }}",
                "headers": {"X-Api-Key": "{{ secrets.API_KEY }}", "X-Trace": "t-{{ customer }}"},
                "query": {"token": "{{ secrets.API_KEY }}", "who": "{{ customer }}"},
                **extra.pop("request", {}),
            },
            "response": {"results": {"received": "received"}},
            "timeout_s": 1,
            **extra,
        }
    )


def test_secrets_reach_the_server_but_are_masked_in_results_and_logs(
    server: Any, invoker: Invoker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="cuebook.integrations")
    spec = secret_spec(server.base + "/echo")
    result = invoker.call(spec, ["c-1"])
    received = result.results["received"]
    assert received["headers"]["x-api-key"] == SECRET_VALUE
    assert received["query"]["token"] == [SECRET_VALUE]
    assert received["segments"] == ["echo", "c-1", SECRET_VALUE]

    shown = result.request
    assert shown["headers"]["X-Api-Key"] == "***"
    assert shown["headers"]["X-Trace"] == "t-c-1"
    assert shown["query"] == {"token": "***", "who": "c-1"}
    assert shown["url"].endswith("/echo/c-1/***")
    assert_no_secret(json.dumps(shown))

    preview = invoker.preview(spec, ["c-1"])
    assert preview == shown

    assert any("crm" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        assert_no_secret(record.getMessage())
    assert_no_secret(caplog.text)
    assert_no_secret(json.dumps(invoker.stats("crm")))


def test_secret_values_never_appear_in_failures(
    server: Any, invoker: Invoker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="cuebook.integrations")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    cases = [
        (secret_spec(server.base + "/status/500", name="s500"), "http_status"),
        (secret_spec(server.base + "/slow", name="sslow", timeout_s=0.05), "timeout"),
        (secret_spec(f"http://127.0.0.1:{closed_port}", name="sdown"), "network"),
        (secret_spec("http://127.0.0.2", name="sprivate"), "refused"),
        (secret_spec(server.base + "/text", name="stext"), "bad_response"),
        (
            secret_spec(
                server.base + "/echo",
                name="sheader",
                request={"headers": {"X-Bad": "{{ secrets.API_KEY }}\n{{ customer }}"}},
            ),
            "bad_arguments",
        ),
    ]
    for spec, kind in cases:
        with pytest.raises(CallFailed) as caught:
            invoker.call(spec, ["c-1"])
        error = caught.value
        assert error.kind == kind, (spec.name, error)
        for text in (str(error), repr(error), error.message, *map(str, error.args)):
            assert_no_secret(text)
        assert_no_secret(json.dumps(error.request))
        if kind != "bad_arguments":
            assert error.request is not None
            assert error.request["headers"]["X-Api-Key"] == "***"
    assert caplog.records
    assert_no_secret(caplog.text)
    for record in caplog.records:
        assert_no_secret(record.getMessage())
        assert_no_secret(repr(record.args))


def test_missing_secret_is_named(server: Any, registry: CollectorRegistry) -> None:
    spec = secret_spec(server.base + "/echo", name="nosecret")
    with (
        Invoker(
            InvokerConfig(), SecretStore({}), AllowList.parse("127.0.0.1"), registry=registry
        ) as invoker,
        pytest.raises(CallFailed) as caught,
    ):
        invoker.call(spec, ["c"])
    assert caught.value.kind == "refused"
    assert "API_KEY" in caught.value.message
    assert "CUEBOOK_SECRET_API_KEY" in caught.value.message


def test_loopback_is_refused_unless_listed(server: Any, registry: CollectorRegistry) -> None:
    before = server.state.seen("echo")
    for setting in ("example.com", "*", "10.0.0.0/8", "127.0.0.1:1"):
        spec = parse_function({"name": "local", "request": {"url": server.base + "/echo/x"}})
        with (
            Invoker(
                InvokerConfig(),
                SecretStore({}),
                AllowList.parse(setting),
                registry=CollectorRegistry(),
            ) as invoker,
            pytest.raises(CallFailed) as caught,
        ):
            invoker.call(spec)
        assert caught.value.kind == "refused", setting
        assert "127.0.0.1" in caught.value.message
    named = parse_function(
        {"name": "named", "request": {"url": f"http://localhost:{server.port}/echo/x"}}
    )
    with (
        Invoker(
            InvokerConfig(), SecretStore({}), AllowList.parse("*"), registry=registry
        ) as invoker,
        pytest.raises(CallFailed) as caught,
    ):
        invoker.call(named)
    assert caught.value.kind == "refused"
    assert "loopback" in caught.value.message
    assert server.state.seen("echo") == before


@pytest.mark.parametrize(
    "target", ["http://127.0.0.2/latest/meta-data/", "http://[::1]:8080/admin"]
)
def test_redirect_to_a_forbidden_host_is_refused(
    server: Any, invoker: Invoker, target: str
) -> None:
    # Loopback addresses off the allow-list stand in for a metadata or private host: if the
    # guard ever broke, the redirect would reach this machine, never another one.
    spec = parse_function(
        {
            "name": "hop",
            "parameters": [{"name": "to", "type": "string"}],
            "request": {"url": server.base + "/redirect", "query": {"to": "{{ to }}"}},
            "retries": {"count": 2, "backoff_s": 0},
        }
    )
    with pytest.raises(CallFailed) as caught:
        invoker.call(spec, [target])
    assert caught.value.kind == "refused"
    assert caught.value.attempts == 1
    assert httpx.URL(target).host in caught.value.message


def test_redirects_within_the_allow_list_are_followed(server: Any, invoker: Invoker) -> None:
    spec = parse_function(
        {
            "name": "moved",
            "parameters": [{"name": "code", "type": "string"}],
            "request": {
                "method": "POST",
                "url": server.base + "/redirect",
                "query": {"to": "/echo/moved", "code": "{{ code }}"},
                "body": {"a": 1},
            },
            "response": {"results": {"method": "received.method", "body": "received.body"}},
        }
    )
    assert invoker.call(spec, ["303"]).results == {"method": "GET", "body": ""}
    assert invoker.call(spec, ["307"]).results == {"method": "POST", "body": '{"a":1}'}


def test_redirect_loop_stops(server: Any, invoker: Invoker) -> None:
    inner = "/redirect?" + urlencode({"to": "/echo/x"})
    loop = server.base + "/redirect?" + urlencode({"to": inner})
    spec = parse_function({"name": "loop", "request": {"url": loop}})
    with (
        Invoker(
            InvokerConfig(max_redirects=1),
            SecretStore({}),
            AllowList.parse("127.0.0.1"),
            registry=CollectorRegistry(),
        ) as short,
        pytest.raises(CallFailed) as caught,
    ):
        short.call(spec)
    assert caught.value.kind == "bad_response"
    assert "redirects" in caught.value.message
    assert invoker.call(spec).status == 200


def test_cross_origin_redirect_drops_secret_headers(
    server: Any, secrets: SecretStore, registry: CollectorRegistry
) -> None:
    spec = secret_spec(
        server.base + "/redirect",
        name="cross",
        request={
            "url": server.base + "/redirect",
            "query": {"to": f"http://localhost:{server.port}/echo/landed"},
        },
    )
    allow = AllowList.parse(f"127.0.0.1, localhost:{server.port}")
    with Invoker(InvokerConfig(), secrets, allow, registry=registry) as invoker:
        received = invoker.call(spec, ["c"]).results["received"]
    assert received["path"] == "/echo/landed"
    assert "x-api-key" not in received["headers"]
    assert received["headers"]["x-trace"] == "t-c"


def test_stats_and_prometheus_metrics(
    server: Any, invoker: Invoker, registry: CollectorRegistry
) -> None:
    ok = parse_function({"name": "metered", "request": {"url": server.base + "/echo/m"}})
    bad = parse_function({"name": "metered", "request": {"url": server.base + "/status/502"}})
    for _ in range(3):
        invoker.call(ok)
    with pytest.raises(CallFailed):
        invoker.call(bad)
    stats = invoker.stats("metered")
    assert stats["calls"] == 4
    assert stats["errors"] == 1
    assert stats["errors_by_kind"] == {"http_status": 1}
    assert stats["error_rate"] == 0.25
    assert stats["breaker"] == "closed"
    assert 0 < stats["p50_ms"] <= stats["p95_ms"] < 1000
    json.dumps(stats)

    sample = registry.get_sample_value
    assert sample("cuebook_integration_calls_total", {"function": "metered"}) == 4
    assert (
        sample("cuebook_integration_errors_total", {"function": "metered", "kind": "http_status"})
        == 1
    )
    assert sample("cuebook_integration_call_seconds_count", {"function": "metered"}) == 4
    assert sample("cuebook_integration_breaker_state", {"function": "metered"}) == 0
    assert invoker.stats("never_called")["calls"] == 0


def test_a_cookie_one_call_receives_never_goes_out_on_another(
    server: Any, invoker: Invoker
) -> None:
    def spec(route: str) -> Any:
        return parse_function(
            {
                "name": f"crm_{route}",
                "request": {"url": f"{server.base}/{route}"},
                "response": {"results": {"headers": "received.headers"}},
            }
        )

    invoker.call(spec("cookie"))
    later = invoker.call(spec("echo"))
    assert "cookie" not in later.results["headers"]
    assert later.results["headers"]["host"].startswith("127.0.0.1")
