"""operator assignment: an operator's held conversations and past offers of an item, indexed

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 15:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # An operator's open load: the conversations they hold (assignee + status).
    op.create_index("ix_instances_assignee_status", "instances", ["assignee", "status"])
    # Who was already offered an item (not offered the same item again at once).
    op.create_index("ix_offers_item", "offers", ["item_kind", "item_id", "operator_id"])


def downgrade() -> None:
    op.drop_index("ix_offers_item", "offers")
    op.drop_index("ix_instances_assignee_status", "instances")
