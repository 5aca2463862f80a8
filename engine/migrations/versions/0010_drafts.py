"""drafts: the editor's mutable working copies of scripts, and their saved revisions

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "drafts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("script_key", sa.String(100), nullable=False),
        sa.Column("files", sa.Text, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False, server_default="1"),
        sa.Column("based_on_version", sa.Integer, nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False, server_default=""),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_drafts"),
    )
    op.create_index("ix_drafts_script_key", "drafts", ["script_key"])
    op.create_table(
        "draft_revisions",
        sa.Column("draft_id", sa.Integer, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("files", sa.Text, nullable=False),
        sa.Column("saved_by", sa.String(200), nullable=False, server_default=""),
        sa.Column("saved_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("draft_id", "revision", name="pk_draft_revisions"),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["drafts.id"],
            name="fk_draft_revisions_draft_id_drafts",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("draft_revisions")
    op.drop_index("ix_drafts_script_key", table_name="drafts")
    op.drop_table("drafts")
