"""analytics rollup: history folded per script, version and hour (steps, step times as a
log-scale histogram, sessions per channel, paths) and the cursor of the fold

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 15:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _counts(*names: str) -> list[sa.Column]:
    return [sa.Column(n, sa.Integer, nullable=False, server_default="0") for n in names]


def _key() -> list[sa.Column]:
    return [
        sa.Column("script_key", sa.String(100), primary_key=True),
        sa.Column("version_number", sa.Integer, primary_key=True),
        sa.Column("bucket", TS, primary_key=True),
    ]


def upgrade() -> None:
    op.create_table(
        "analytics_cursor",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("last_id", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("pending_id", sa.BigInteger, nullable=True),
        sa.Column("pending_at", TS, nullable=True),
        sa.Column("folded_at", TS, nullable=True),
    )
    op.create_table(
        "analytics_steps",
        *_key(),
        sa.Column("element", sa.String(200), primary_key=True),
        *_counts("sessions", "entered", "exited", "ended", "handed_off", "failed"),
    )
    op.create_table(
        "analytics_times",
        *_key(),
        sa.Column("element", sa.String(200), primary_key=True),
        sa.Column("slot", sa.SmallInteger, primary_key=True),
        *_counts("samples"),
    )
    op.create_table(
        "analytics_sessions",
        *_key(),
        sa.Column("channel", sa.String(10), primary_key=True),
        *_counts("started", "completed", "failed", "handed_off", "automated"),
    )
    op.create_table(
        "analytics_paths",
        *_key(),
        sa.Column("path_hash", sa.String(16), primary_key=True),
        sa.Column("path", sa.Text, nullable=False),
        *_counts("sessions"),
    )


def downgrade() -> None:
    for name in (
        "analytics_paths",
        "analytics_sessions",
        "analytics_times",
        "analytics_steps",
        "analytics_cursor",
    ):
        op.drop_table(name)
