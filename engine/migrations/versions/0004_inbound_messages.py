"""inbound messages: seen message ids, early (pending) messages, dead letters

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "inbound_seen",
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("seen_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_inbound_seen")),
    )
    op.create_index("ix_inbound_seen_seen_at", "inbound_seen", ["seen_at"])

    op.create_table(
        "pending_messages",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("correlation_key", sa.String(length=200), nullable=True),
        sa.Column("session_id", sa.String(length=36), nullable=True),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("sender", sa.String(length=200), server_default="", nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_messages")),
    )
    op.create_index(
        "ix_pending_messages_correlation_key_name",
        "pending_messages",
        ["correlation_key", "name"],
    )
    op.create_index(
        "ix_pending_messages_session_id_name", "pending_messages", ["session_id", "name"]
    )
    op.create_index("ix_pending_messages_expires_at", "pending_messages", ["expires_at"])

    op.create_table(
        "dead_letters",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("error", sa.Text(), server_default="", nullable=False),
        sa.Column("source", sa.String(length=300), server_default="", nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("retried_at", TS, nullable=True),
        sa.Column("retried_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
    )
    op.create_index("ix_dead_letters_status_id", "dead_letters", ["status", "id"])


def downgrade() -> None:
    op.drop_index("ix_dead_letters_status_id", table_name="dead_letters")
    op.drop_table("dead_letters")
    op.drop_index("ix_pending_messages_expires_at", table_name="pending_messages")
    op.drop_index("ix_pending_messages_session_id_name", table_name="pending_messages")
    op.drop_index("ix_pending_messages_correlation_key_name", table_name="pending_messages")
    op.drop_table("pending_messages")
    op.drop_index("ix_inbound_seen_seen_at", table_name="inbound_seen")
    op.drop_table("inbound_seen")
