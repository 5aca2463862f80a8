"""The migrations build exactly the schema the code declares."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from engine.migrations import current_head
from engine.persistence.tables import metadata

pytestmark = pytest.mark.smoke


def test_no_difference_between_migrations_and_tables(services: Any) -> None:
    with services.database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert context.get_current_revision() == current_head()
        assert compare_metadata(context, metadata) == []


def test_session_state_is_compressed_with_lz4_on_postgresql(services: Any) -> None:
    """A state is rewritten on every step: lz4 costs the server less than pglz (0012)."""
    if services.database.is_sqlite:
        pytest.skip("SQLite stores text uncompressed")
    with services.database.engine.connect() as conn:
        if int(conn.exec_driver_sql("SHOW server_version_num").scalar_one()) < 140000:
            pytest.skip("PostgreSQL before 14 has no per-column compression")
        try:
            with conn.begin_nested():
                conn.exec_driver_sql("CREATE TEMP TABLE lz4_probe (t text COMPRESSION lz4)")
        except sa.exc.DBAPIError:
            pytest.skip("this PostgreSQL server is built without lz4 (0012 leaves pglz)")
        method = conn.exec_driver_sql(
            "SELECT attcompression FROM pg_attribute"
            " WHERE attrelid = 'instances'::regclass AND attname = 'state'"
        ).scalar()
    assert method == "l"
