"""The database out of reach: every request answers 503 with a retry hint, and nothing else."""

from __future__ import annotations

import dataclasses
import socket
from typing import Any

import pytest

from cuebook.app import create_app
from cuebook.wiring import build_services
from tests.conftest import auth

pytestmark = pytest.mark.postgres


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_database_out_of_reach_is_a_503_with_a_retry_hint(
    settings: Any, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("a PostgreSQL server out of reach")
    down = dataclasses.replace(
        settings, database_url=f"postgresql://postgres@127.0.0.1:{_closed_port()}/test"
    )
    services = build_services(down)
    try:
        client = create_app(down, services).test_client()
        for method, path in (("get", "/api/v1/scripts"), ("post", "/api/v1/sessions")):
            resp = getattr(client, method)(path, json={"script": "x"}, headers=auth("cb_any"))
            assert resp.status_code == 503, resp.get_data(as_text=True)
            assert resp.headers["Retry-After"] == "5"
            assert resp.get_json()["error"]["code"] == "database_unavailable"
        assert client.get("/healthz").status_code == 200  # the process itself is alive
    finally:
        services.database.dispose()
