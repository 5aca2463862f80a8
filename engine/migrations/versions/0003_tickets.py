"""tickets: tickets, their messages and route, work items, customer identities

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _postgres():
        # Ticket numbers: a sequence, so concurrent creates never wait for each other.
        op.execute("CREATE SEQUENCE ticket_seq")

    op.create_table(
        "customer_identities",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("customer_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "value", name=op.f("pk_customer_identities")),
    )
    with op.batch_alter_table("customer_identities", schema=None) as batch_op:
        batch_op.create_index("ix_customer_identities_customer_key", ["customer_key"], unique=False)

    op.create_table(
        "tickets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("script_key", sa.String(length=100), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("customer_key", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=100), server_default="", nullable=False),
        sa.Column("subject", sa.String(length=300), server_default="", nullable=False),
        sa.Column("body", sa.Text(), server_default="", nullable=False),
        sa.Column("attributes", sa.Text(), server_default="{}", nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("group", sa.String(length=100), nullable=True),
        sa.Column("rule", sa.String(length=200), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["instances.id"], name=op.f("fk_tickets_instance_id_instances")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("instance_id", name=op.f("uq_tickets_instance_id")),
        sa.UniqueConstraint("number", name=op.f("uq_tickets_number")),
        sa.UniqueConstraint("seq", name=op.f("uq_tickets_seq")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tickets_customer_key_created_at", ["customer_key", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_tickets_group_status_created_at",
            ["group", "status", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_tickets_open_problem",
            ["customer_key", "type", "category", "created_at"],
            unique=False,
            postgresql_where=sa.text("status NOT IN ('resolved', 'closed')"),
            sqlite_where=sa.text("status NOT IN ('resolved', 'closed')"),
        )
        batch_op.create_index(
            "ix_tickets_status_created_at", ["status", "created_at", "id"], unique=False
        )

    op.create_table(
        "ticket_messages",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("ticket_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("author", sa.String(length=200), server_default="", nullable=False),
        sa.Column("role", sa.String(length=20), server_default="", nullable=False),
        sa.Column("channel", sa.String(length=20), server_default="", nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_messages_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_messages")),
    )
    with op.batch_alter_table("ticket_messages", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_messages_ticket_id_id", ["ticket_id", "id"], unique=False)

    op.create_table(
        "ticket_route",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("ticket_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=200), server_default="", nullable=False),
        sa.Column("from_group", sa.String(length=100), nullable=True),
        sa.Column("to_group", sa.String(length=100), nullable=True),
        sa.Column("element", sa.String(length=200), nullable=True),
        sa.Column("rule", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_route_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_route")),
    )
    with op.batch_alter_table("ticket_route", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_route_ticket_id_id", ["ticket_id", "id"], unique=False)

    op.create_table(
        "work_items",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("ticket_id", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("element", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=300), server_default="", nullable=False),
        sa.Column("group", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("assignee", sa.String(length=200), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_work_items_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_items")),
    )
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.create_index("ix_work_items_assignee_status", ["assignee", "status"], unique=False)
        batch_op.create_index(
            "ix_work_items_queue",
            ["group", "due_at", "created_at", "id"],
            unique=False,
            postgresql_where=sa.text("status = 'open' AND assignee IS NULL"),
            sqlite_where=sa.text("status = 'open' AND assignee IS NULL"),
        )
        batch_op.create_index(
            "ix_work_items_ticket_id_status", ["ticket_id", "status"], unique=False
        )

    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_key", sa.String(length=200), nullable=True))
        batch_op.create_index("ix_instances_customer_key", ["customer_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("instances", schema=None) as batch_op:
        batch_op.drop_index("ix_instances_customer_key")
        batch_op.drop_column("customer_key")

    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.drop_index("ix_work_items_ticket_id_status")
        batch_op.drop_index(
            "ix_work_items_queue",
            postgresql_where=sa.text("status = 'open' AND assignee IS NULL"),
            sqlite_where=sa.text("status = 'open' AND assignee IS NULL"),
        )
        batch_op.drop_index("ix_work_items_assignee_status")

    op.drop_table("work_items")
    with op.batch_alter_table("ticket_route", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_route_ticket_id_id")

    op.drop_table("ticket_route")
    with op.batch_alter_table("ticket_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_messages_ticket_id_id")

    op.drop_table("ticket_messages")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_status_created_at")
        batch_op.drop_index(
            "ix_tickets_open_problem",
            postgresql_where=sa.text("status NOT IN ('resolved', 'closed')"),
            sqlite_where=sa.text("status NOT IN ('resolved', 'closed')"),
        )
        batch_op.drop_index("ix_tickets_group_status_created_at")
        batch_op.drop_index("ix_tickets_customer_key_created_at")

    op.drop_table("tickets")
    with op.batch_alter_table("customer_identities", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_identities_customer_key")

    op.drop_table("customer_identities")
    if _postgres():
        op.execute("DROP SEQUENCE ticket_seq")
