"""the operator workspace: operators, skills, presence spans, offers, call-backs

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 15:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_table(
        "operators",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_id", sa.Integer, nullable=False),
        sa.Column("login", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("languages", sa.Text, nullable=False, server_default="[]"),
        sa.Column("channels", sa.Text, nullable=False, server_default="[]"),
        sa.Column("capacity_conversations", sa.Integer, nullable=False, server_default="1"),
        sa.Column("capacity_tickets", sa.Integer, nullable=False, server_default="5"),
        sa.Column("presence", sa.String(20), nullable=False, server_default="offline"),
        sa.Column("presence_since", TS, nullable=True),
        sa.Column("last_seen_at", TS, nullable=True),
        sa.Column("idle_since", TS, nullable=True),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_tokens.id"], name="fk_operators_token_id_api_tokens"
        ),
        sa.UniqueConstraint("token_id", name="uq_operators_token_id"),
        sa.UniqueConstraint("login", name="uq_operators_login"),
    )
    op.create_index("ix_operators_presence_idle_since", "operators", ["presence", "idle_since"])
    op.create_table(
        "operator_skills",
        sa.Column("operator_id", sa.Integer, nullable=False),
        sa.Column("group", sa.String(100), nullable=False),
        sa.Column("level", sa.Integer, nullable=False, server_default="1"),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name="fk_operator_skills_operator_id_operators"
        ),
        sa.PrimaryKeyConstraint("operator_id", "group", name="pk_operator_skills"),
    )
    op.create_index("ix_operator_skills_group", "operator_skills", ["group"])
    op.create_table(
        "presence_spans",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("operator_id", sa.Integer, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("ended_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name="fk_presence_spans_operator_id_operators"
        ),
    )
    op.create_index(
        "ix_presence_spans_operator_id_started_at",
        "presence_spans",
        ["operator_id", "started_at"],
    )
    op.create_table(
        "offers",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("item_kind", sa.String(20), nullable=False),
        sa.Column("item_id", sa.String(36), nullable=False),
        sa.Column("group", sa.String(100), nullable=False),
        sa.Column("operator_id", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("offered_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("decided_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name="fk_offers_operator_id_operators"
        ),
    )
    op.create_index(
        "uq_offers_pending_item",
        "offers",
        ["item_kind", "item_id"],
        unique=True,
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )
    op.create_index("ix_offers_operator_id_status", "offers", ["operator_id", "status"])
    op.create_index("ix_offers_status_expires_at", "offers", ["status", "expires_at"])
    op.create_table(
        "callbacks",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("customer_key", sa.String(200), nullable=True),
        sa.Column("phone", sa.String(50), nullable=True),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("operator_id", sa.Integer, nullable=True),
        sa.Column("group", sa.String(100), nullable=True),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("instance_id", sa.String(36), nullable=True),
        sa.Column("ticket_id", sa.String(36), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("fired_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name="fk_callbacks_operator_id_operators"
        ),
    )
    op.create_index("ix_callbacks_status_due_at", "callbacks", ["status", "due_at"])
    op.create_index("ix_callbacks_operator_id_status", "callbacks", ["operator_id", "status"])


def downgrade() -> None:
    for table in ("callbacks", "offers", "presence_spans", "operator_skills", "operators"):
        op.drop_table(table)
