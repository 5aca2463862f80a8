"""Caching, retries, timeouts, the circuit breaker and the size cap, against a real server."""

from __future__ import annotations

import time
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from integrations import CallFailed, Invoker, InvokerConfig, parse_function
from integrations.allowlist import AllowList
from integrations.secret_store import SecretStore
from tests.support.waiting import join_all


def flaky_spec(server: Any, key: str, fails: int, **extra: Any) -> Any:
    method = extra.pop("method", "GET")
    return parse_function(
        {
            "name": extra.pop("name", "flaky"),
            "request": {
                "method": method,
                "url": server.base + "/flaky",
                "query": {"key": key, "fails": str(fails)},
            },
            "response": {"results": {"attempt": "attempt"}},
            "timeout_s": 1,
            **extra,
        }
    )


def test_cache_hit_then_expiry(server: Any, invoker: Invoker, unique_key: str) -> None:
    spec = parse_function(
        {
            "name": "cached",
            "parameters": [{"name": "key", "type": "string"}],
            "request": {"url": server.base + "/echo/cached", "query": {"key": "{{ key }}"}},
            "response": {"results": {"method": "received.method"}},
            "cache": {"ttl_s": 0.3},
        }
    )
    first = invoker.call(spec, [unique_key])
    second = invoker.call(spec, [unique_key])
    assert (first.cached, second.cached) == (False, True)
    assert second.results == first.results == {"method": "GET"}
    assert second.attempts == 0
    assert server.state.seen(unique_key) == 1

    other = invoker.call(spec, [unique_key + "-other"])
    assert not other.cached

    second.results["method"] = "changed by the caller"
    assert invoker.call(spec, [unique_key]).results == {"method": "GET"}

    time.sleep(0.35)
    third = invoker.call(spec, [unique_key])
    assert not third.cached
    assert server.state.seen(unique_key) == 2
    stats = invoker.stats("cached")
    assert (stats["cache_hits"], stats["cache_misses"]) == (2, 3)


def test_cached_answers_from_the_cache_only_and_sends_nothing(
    server: Any, invoker: Invoker, unique_key: str
) -> None:
    spec = parse_function(
        {
            "name": "peeked",
            "parameters": [{"name": "key", "type": "string"}],
            "request": {"url": server.base + "/echo/peeked", "query": {"key": "{{ key }}"}},
            "response": {"results": {"method": "received.method"}},
            "cache": {"ttl_s": 60},
        }
    )
    assert invoker.cached(spec, [unique_key]) is None
    assert server.state.seen(unique_key) == 0
    invoker.call(spec, [unique_key])
    hit = invoker.cached(spec, [unique_key])
    assert hit is not None and hit.cached and hit.results == {"method": "GET"}
    assert server.state.seen(unique_key) == 1
    assert invoker.cached(spec, [unique_key + "-other"]) is None
    assert invoker.cached(spec, []) is None  # arguments that do not bind: call() says why
    uncached = flaky_spec(server, unique_key + "-u", 0)
    invoker.call(uncached)
    assert invoker.cached(uncached) is None
    stats = invoker.stats("peeked")
    assert (stats["cache_hits"], stats["cache_misses"]) == (1, 1)


def test_concurrent_identical_calls_share_one_request(
    server: Any, invoker: Invoker, unique_key: str
) -> None:
    import threading

    spec = parse_function(
        {
            "name": "coalesced",
            "request": {"url": server.base + "/slow", "query": {"ms": "150", "key": unique_key}},
            "response": {"results": {"slept": "slept_ms"}},
            "cache": {"ttl_s": 10},
        }
    )
    results: list[Any] = []

    def work() -> None:
        results.append(invoker.call(spec))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    join_all(threads, "eight identical calls")
    assert [r.results for r in results] == [{"slept": 150}] * 8
    assert sorted(r.cached for r in results) == [False] + [True] * 7
    assert server.state.seen(unique_key) == 1


def test_failures_are_not_cached(server: Any, invoker: Invoker, unique_key: str) -> None:
    spec = flaky_spec(server, unique_key, 1, name="cached_flaky", cache={"ttl_s": 10})
    with pytest.raises(CallFailed):
        invoker.call(spec)
    assert invoker.call(spec).results == {"attempt": 2}
    assert invoker.call(spec).cached


def test_retry_then_success(server: Any, invoker: Invoker, unique_key: str) -> None:
    spec = flaky_spec(server, unique_key, 2, retries={"count": 3, "backoff_s": 0.01})
    result = invoker.call(spec)
    assert result.attempts == 3
    assert result.results == {"attempt": 3}
    assert invoker.stats("flaky")["retries"] == 2


def test_retries_run_out(server: Any, invoker: Invoker, unique_key: str) -> None:
    spec = flaky_spec(server, unique_key, 5, retries={"count": 2, "backoff_s": 0.01})
    with pytest.raises(CallFailed) as caught:
        invoker.call(spec)
    assert (caught.value.kind, caught.value.status, caught.value.attempts) == (
        "http_status",
        503,
        3,
    )
    assert server.state.seen(unique_key) == 3


def test_post_is_not_retried_unless_allowed(server: Any, invoker: Invoker, unique_key: str) -> None:
    spec = flaky_spec(
        server, unique_key, 1, name="create", method="POST", retries={"count": 3, "backoff_s": 0}
    )
    with pytest.raises(CallFailed) as caught:
        invoker.call(spec)
    assert caught.value.attempts == 1
    assert server.state.seen(unique_key) == 1

    allowed = flaky_spec(
        server,
        unique_key + "-allowed",
        1,
        name="create_retry",
        method="POST",
        retries={"count": 3, "backoff_s": 0, "on_non_idempotent": True},
    )
    result = invoker.call(allowed)
    assert result.attempts == 2 and result.results == {"attempt": 2}


def test_timeout(server: Any, invoker: Invoker) -> None:
    spec = parse_function(
        {
            "name": "slow",
            "request": {"url": server.base + "/slow", "query": {"ms": "1000"}},
            "timeout_s": 0.2,
        }
    )
    started = time.perf_counter()
    with pytest.raises(CallFailed) as caught:
        invoker.call(spec)
    assert caught.value.kind == "timeout"
    assert time.perf_counter() - started < 0.6
    assert invoker.stats("slow")["errors_by_kind"] == {"timeout": 1}


def test_breaker_opens_fails_fast_and_closes_after_reset(
    server: Any, invoker: Invoker, unique_key: str
) -> None:
    spec = flaky_spec(
        server,
        unique_key,
        2,
        name="guarded",
        circuit_breaker={"failure_threshold": 2, "reset_s": 0.3},
    )
    for _ in range(2):
        with pytest.raises(CallFailed) as caught:
            invoker.call(spec)
        assert caught.value.kind == "http_status"
    assert invoker.stats("guarded")["breaker"] == "open"

    started = time.perf_counter()
    with pytest.raises(CallFailed) as caught:
        invoker.call(spec)
    assert caught.value.kind == "breaker_open"
    assert time.perf_counter() - started < 0.2
    assert server.state.seen(unique_key) == 2

    time.sleep(0.35)
    assert invoker.stats("guarded")["breaker"] == "half_open"
    assert invoker.call(spec).results == {"attempt": 3}
    assert invoker.stats("guarded")["breaker"] == "closed"


def test_failed_trial_opens_the_breaker_again(
    server: Any, invoker: Invoker, unique_key: str
) -> None:
    spec = flaky_spec(
        server,
        unique_key,
        10,
        name="guarded_again",
        circuit_breaker={"failure_threshold": 1, "reset_s": 0.2},
    )
    with pytest.raises(CallFailed):
        invoker.call(spec)
    time.sleep(0.25)
    with pytest.raises(CallFailed) as trial:
        invoker.call(spec)
    assert trial.value.kind == "http_status"
    with pytest.raises(CallFailed) as fast:
        invoker.call(spec)
    assert fast.value.kind == "breaker_open"
    assert server.state.seen(unique_key) == 2


def test_client_errors_do_not_trip_the_breaker(server: Any, invoker: Invoker) -> None:
    spec = parse_function(
        {
            "name": "missing",
            "request": {"url": server.base + "/status/404"},
            "circuit_breaker": {"failure_threshold": 2, "reset_s": 10},
        }
    )
    for _ in range(4):
        with pytest.raises(CallFailed) as caught:
            invoker.call(spec)
        assert caught.value.kind == "http_status" and caught.value.status == 404
    assert invoker.stats("missing")["breaker"] == "closed"


@pytest.mark.parametrize("declared", ["1", "0"])
def test_body_over_the_cap_is_refused(server: Any, declared: str) -> None:
    config = InvokerConfig(max_response_bytes=256 * 1024)
    spec = parse_function(
        {
            "name": "huge",
            "request": {
                "url": server.base + "/large",
                "query": {"bytes": str(8 * 1024 * 1024), "length": declared},
            },
            "timeout_s": 2,
        }
    )
    with Invoker(
        config, SecretStore({}), AllowList.parse("127.0.0.1"), registry=CollectorRegistry()
    ) as invoker:
        started = time.perf_counter()
        with pytest.raises(CallFailed) as caught:
            invoker.call(spec)
        assert caught.value.kind == "too_large"
        assert time.perf_counter() - started < 1.0
        small = parse_function(
            {
                "name": "small",
                "request": {"url": server.base + "/large", "query": {"bytes": "1000"}},
            }
        )
        assert invoker.call(small).status == 200
