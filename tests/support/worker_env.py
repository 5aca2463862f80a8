"""The environment of a ``cuebook worker`` subprocess pointed at the tests' database."""

from __future__ import annotations

import os
from typing import Any

from tests.conftest import ROOT


def worker_env(settings: Any, name: str, **extra: str) -> dict[str, str]:
    """This process's environment without its CUEBOOK_ settings, plus the test database,
    schema and var folder; ``name`` is the PostgreSQL application name the test watches."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUEBOOK_")}
    env.update(
        CUEBOOK_DATABASE_URL=settings.database_url,
        CUEBOOK_DATABASE_SCHEMA=settings.database_schema or "",
        CUEBOOK_SECRET_KEY="test",
        CUEBOOK_VAR_DIR=str(settings.var_dir),
        PGAPPNAME=name,
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env
