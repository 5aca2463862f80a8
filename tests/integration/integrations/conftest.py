"""Fixtures for integration-function tests: the local HTTP server and an invoker."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from integrations import AllowList, Invoker, InvokerConfig, SecretStore
from tests.support.http_server import LocalServer, running_server


@pytest.fixture(scope="session")
def server() -> Iterator[LocalServer]:
    with running_server() as httpd:
        yield httpd


SECRET_VALUE = "s3cr3t-Tok/en&42"


@pytest.fixture()
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture()
def secrets() -> SecretStore:
    return SecretStore({"CUEBOOK_SECRET_API_KEY": SECRET_VALUE, "CUEBOOK_SECRET_OTHER": "x"})


@pytest.fixture()
def invoker(secrets: SecretStore, registry: CollectorRegistry) -> Iterator[Invoker]:
    allow = AllowList.parse("127.0.0.1")
    with Invoker(InvokerConfig(), secrets, allow, registry=registry) as inv:
        yield inv


@pytest.fixture()
def unique_key(request: pytest.FixtureRequest) -> str:
    return f"{request.node.name}-{time.monotonic_ns()}"
