"""The invoker's connection pool over real sockets: reuse, closed connections, limits."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from integrations import AllowList, CallFailed, Invoker, InvokerConfig, SecretStore, parse_function
from tests.support.waiting import join_all


def port_spec(server: Any, route: str) -> Any:
    return parse_function(
        {
            "name": f"pool_{route}",
            "request": {"url": f"{server.base}/{route}/x"},
            "response": {"results": {"port": "received.client_port"}},
        }
    )


def test_sequential_calls_reuse_one_connection(server: Any, invoker: Invoker) -> None:
    spec = port_spec(server, "echo")
    ports = {invoker.call(spec).results["port"] for _ in range(5)}
    assert len(ports) == 1


def test_connections_the_server_closes_are_not_reused(server: Any, invoker: Invoker) -> None:
    spec = port_spec(server, "close")
    ports = [invoker.call(spec).results["port"] for _ in range(3)]
    assert len(set(ports)) == 3


def test_waiting_for_a_free_connection_times_out(server: Any) -> None:
    slow = parse_function(
        {"name": "hold", "request": {"url": server.base + "/slow", "query": {"ms": "400"}}}
    )
    quick = parse_function(
        {"name": "quick", "request": {"url": server.base + "/echo/q"}, "timeout_s": 0.1}
    )
    config = InvokerConfig(max_connections=1, max_keepalive_connections=1)
    with Invoker(
        config, SecretStore({}), AllowList.parse("127.0.0.1"), registry=CollectorRegistry()
    ) as invoker:
        holder = threading.Thread(target=invoker.call, args=(slow,))
        holder.start()
        time.sleep(0.1)
        with pytest.raises(CallFailed) as caught:
            invoker.call(quick)
        join_all([holder], "the call holding the only connection")
        assert caught.value.kind == "timeout"
        assert invoker.call(quick).status == 200
