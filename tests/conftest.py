"""Shared fixtures: a migrated database (PostgreSQL, or SQLite for smoke), the app, tokens."""

from __future__ import annotations

import io
import os
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from cuebook.app import create_app
from cuebook.settings import Settings
from cuebook.wiring import build_services
from engine.migrations import upgrade
from engine.persistence.database import normalize_url
from engine.tokens import create_token
from tests.support.event_contracts import check_events
from tests.support.loopback import loopback_only

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
BUNDLES = FIXTURES / "bundles"
SAMPLES = ROOT / "bpmn"
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "smoke: also runs on the embedded SQLite default")


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Tests talk to this machine only: a TCP or UDP connect to any other address (a private
    network, link-local, a metadata service, the internet) fails at once and fails the test,
    even if the code under test swallows the error. So a broken SSRF guard under test can
    never send a packet off this machine. Yields the refused addresses."""
    refused: list[str] = []
    for name in ("connect", "connect_ex"):
        original = getattr(socket.socket, name)
        monkeypatch.setattr(socket.socket, name, loopback_only(original, refused))
    yield refused
    assert refused == [], f"the test tried to connect beyond this machine: {refused}"


@pytest.fixture(scope="session")
def db_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str | None]]:
    """(url, schema): each test run gets its own PostgreSQL schema, or its own SQLite file."""
    url = os.environ.get("CUEBOOK_TEST_DATABASE_URL", PG_DEFAULT)
    if url == "sqlite":
        path = tmp_path_factory.mktemp("db") / "cuebook.db"
        sqlite_url = f"sqlite:///{path}"
        upgrade(sqlite_url)
        yield sqlite_url, None
        check_events(sqlite_url, None)
        return
    schema = f"cuebook_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    upgrade(url, schema)
    yield url, schema
    try:
        check_events(url, schema)  # every event the run wrote fits its contract
    finally:
        _drop_schema(url, schema)


def _drop_schema(url: str, schema: str) -> None:
    engine = sa.create_engine(normalize_url(url))
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    engine.dispose()


@pytest.fixture(scope="session")
def is_postgres(db_target: tuple[str, str | None]) -> bool:
    return db_target[0].startswith("postgresql")


@pytest.fixture(scope="session")
def settings(
    db_target: tuple[str, str | None], tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    url, schema = db_target
    return Settings(
        database_url=url,
        database_schema=schema,
        secret_key="test-secret",
        var_dir=tmp_path_factory.mktemp("var"),
        samples_dir=SAMPLES,
        cors_origins=("http://127.0.0.1",),
        integration_allowed_hosts="127.0.0.1",
    )


@pytest.fixture(scope="session")
def services(settings: Settings) -> Iterator[Any]:
    svc = build_services(settings)
    yield svc
    svc.database.dispose()


@pytest.fixture(scope="session")
def app(settings: Settings, services: Any) -> Any:
    application = create_app(settings, services)
    application.config["TESTING"] = True
    return application


@pytest.fixture()
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture(scope="session")
def tokens(services: Any) -> dict[str, str]:
    with services.database.unit_of_work() as uow:
        now = datetime.now(UTC)
        return {
            role: create_token(uow, role, f"test-{role}", now)
            for role in ("admin", "methodologist", "operator", "bot")
        }


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture()
def key() -> str:
    """A script key no other test uses."""
    return f"s{uuid.uuid4().hex[:12]}"


def bundle_upload(folder: Path, replace: dict[str, bytes] | None = None) -> dict[str, Any]:
    """Multipart form data for POST /api/v1/scripts/{key}/versions."""
    files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
    files.update(replace or {})
    return {"files": [(io.BytesIO(data), name) for name, data in files.items()]}


@pytest.fixture()
def deploy(client: Any, tokens: dict[str, str]) -> Any:
    """Deploy and publish a bundle folder under a key; returns the response JSON."""

    def _deploy(folder: Path, key: str, replace: dict[str, bytes] | None = None) -> dict[str, Any]:
        resp = client.post(
            f"/api/v1/scripts/{key}/versions?publish=true",
            data=bundle_upload(folder, replace),
            headers=auth(tokens["methodologist"]),
            content_type="multipart/form-data",
        )
        assert resp.status_code in (200, 201), resp.get_json()
        return resp.get_json()  # type: ignore[no-any-return]

    return _deploy
