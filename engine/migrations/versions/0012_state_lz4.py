"""instances.state compressed with lz4 where the PostgreSQL server has it

A session's state (several kilobytes of JSON) is rewritten on every step, and PostgreSQL
compresses it on each write. Its default method, pglz, cost about 0.08 ms of server CPU a
step more than lz4 on the ten-form script (docs/performance.md). Values already stored keep
their method until their session's next step rewrites them; nothing is rewritten here, and
the table is locked only for the catalogue change. A server built without lz4, or older
than PostgreSQL 14, keeps pglz. SQLite stores text uncompressed: nothing to do.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 21:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_SET = """
DO $$
BEGIN
    IF current_setting('server_version_num')::int >= 140000 THEN
        EXECUTE 'ALTER TABLE instances ALTER COLUMN state SET COMPRESSION {method}';
    END IF;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'compression method {method} is not available: instances.state keeps its own';
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_SET.format(method="lz4"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_SET.format(method="default"))  # the server's default_toast_compression
