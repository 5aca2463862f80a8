"""Fixtures of the integration tests that start real processes."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from tests.support.processes import CUEBOOK, Process


@pytest.fixture()
def processes(is_postgres: bool) -> Iterator[list[Process]]:
    """The ``cuebook`` processes a test starts (they share the test's PostgreSQL database);
    each still running at the end is stopped by its PID."""
    if not is_postgres:
        pytest.skip("cuebook processes share a PostgreSQL database")
    assert CUEBOOK.is_file(), f"no cuebook command next to {sys.executable}"
    started: list[Process] = []
    yield started
    for process in started:
        process.stop(within=10)
