"""The schema, as SQLAlchemy Core tables (the step path uses Core, not the ORM)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

TS = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

scripts = sa.Table(
    "scripts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(100), nullable=False, unique=True),
    sa.Column("title", sa.String(300), nullable=False, server_default=""),
    sa.Column("published_version", sa.Integer, nullable=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)

script_versions = sa.Table(
    "script_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("script_id", sa.Integer, sa.ForeignKey("scripts.id"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("bundle", sa.LargeBinary, nullable=False),
    sa.Column("process_id", sa.String(200), nullable=False),
    sa.Column("title", sa.String(300), nullable=False, server_default=""),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False, server_default=""),
    sa.UniqueConstraint("script_id", "number"),
    sa.UniqueConstraint("script_id", "content_hash"),
)

releases = sa.Table(
    "releases",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("script_id", sa.Integer, sa.ForeignKey("scripts.id"), nullable=False),
    sa.Column("version_number", sa.Integer, nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False, server_default=""),
    sa.Column("released_at", TS, nullable=False),
    sa.Index("ix_releases_script_id_id", "script_id", "id"),
)

_OPEN_WITH_KEY = "session_key IS NOT NULL AND status NOT IN ('completed', 'failed')"

instances = sa.Table(
    "instances",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("script_id", sa.Integer, sa.ForeignKey("scripts.id"), nullable=False),
    sa.Column("script_key", sa.String(100), nullable=False),
    sa.Column("version_id", sa.Integer, sa.ForeignKey("script_versions.id"), nullable=False),
    sa.Column("version_number", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("channel", sa.String(10), nullable=False),
    sa.Column("session_key", sa.String(200), nullable=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("step_seq", sa.Integer, nullable=False, server_default="0"),
    sa.Column("lock_version", sa.Integer, nullable=False, server_default="0"),
    sa.Column("step_token", sa.String(64), nullable=True),
    sa.Column("current_element", sa.String(200), nullable=True),
    sa.Column("misses", sa.Integer, nullable=False, server_default="0"),
    sa.Column("outcome", sa.String(20), nullable=True),
    sa.Column("handoff_queue", sa.String(100), nullable=True),
    sa.Column("handoff_reason", sa.String(300), nullable=True),
    sa.Column("handoff_code", sa.String(40), nullable=True),
    sa.Column("handed_off_at", TS, nullable=True),
    sa.Column("assignee", sa.String(200), nullable=True),
    sa.Column("next_timer_at", TS, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("ended_at", TS, nullable=True),
    sa.Index("ix_instances_session_key", "session_key"),
    # One open session per external key and script: concurrent starts cannot duplicate it.
    sa.Index(
        "uq_instances_open_session",
        "script_key",
        "session_key",
        unique=True,
        postgresql_where=sa.text(_OPEN_WITH_KEY),
        sqlite_where=sa.text(_OPEN_WITH_KEY),
    ),
    sa.Index("ix_instances_next_timer_at", "next_timer_at"),
    sa.Index("ix_instances_queue", "handoff_queue", "status", "handed_off_at"),
    sa.Index("ix_instances_status_created", "status", "created_at"),
)

history = sa.Table(
    "history",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("instance_id", sa.String(36), nullable=False),
    sa.Column("at", TS, nullable=False),
    sa.Column("event", sa.String(20), nullable=False),
    sa.Column("element", sa.String(200), nullable=False, server_default=""),
    sa.Column("name", sa.String(300), nullable=False, server_default=""),
    sa.Column("kind", sa.String(60), nullable=False, server_default=""),
    sa.Column("actor", sa.String(200), nullable=False, server_default=""),
    sa.Column("channel", sa.String(10), nullable=False, server_default=""),
    sa.Column("text", sa.Text, nullable=True),
    sa.Column("answer", sa.Text, nullable=True),
    sa.Index("ix_history_instance_id_id", "instance_id", "id"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False, unique=True),
    sa.Column("topic", sa.String(100), nullable=False),
    sa.Column("key", sa.String(100), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("published_at", TS, nullable=True),
    # PostgreSQL fills it with txid_current() (see the migration); SQLite leaves it NULL.
    sa.Column("tx", sa.BigInteger, nullable=True),
    sa.Index("ix_outbox_tx_id", "tx", "id"),
    sa.Index(
        "ix_outbox_unpublished",
        "id",
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    ),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, server_default=""),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("revoked_at", TS, nullable=True),
)

integration_functions = sa.Table(
    "integration_functions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("spec", sa.Text, nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False, server_default=""),
    sa.UniqueConstraint("name", "version"),
)
