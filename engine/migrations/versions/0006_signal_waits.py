"""signals open sessions wait for

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signal_waits",
        sa.Column("instance_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("script_key", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("instance_id", "name"),
    )
    op.create_index("ix_signal_waits_name_script_key", "signal_waits", ["name", "script_key"])


def downgrade() -> None:
    op.drop_index("ix_signal_waits_name_script_key", table_name="signal_waits")
    op.drop_table("signal_waits")
