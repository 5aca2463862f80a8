"""work items without a due time: their own queue index, read oldest first

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UNDUE = "status = 'open' AND assignee IS NULL AND due_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_work_items_queue_undue",
            ["group", "created_at", "id"],
            unique=False,
            postgresql_where=sa.text(UNDUE),
            sqlite_where=sa.text(UNDUE),
        )


def downgrade() -> None:
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_work_items_queue_undue",
            postgresql_where=sa.text(UNDUE),
            sqlite_where=sa.text(UNDUE),
        )
