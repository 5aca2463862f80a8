"""Alembic environment: runs migrations against the configured URL (and schema)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from engine.persistence.database import normalize_url
from engine.persistence.tables import metadata

config = context.config
url = normalize_url(config.get_main_option("sqlalchemy.url") or "")
schema = config.get_main_option("cuebook.schema")

connect_args = (
    {"options": f"-csearch_path={schema}"} if schema and not url.startswith("sqlite") else {}
)
engine = sa.create_engine(url, connect_args=connect_args)
with engine.connect() as connection:
    if schema and not url.startswith("sqlite"):
        connection.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        connection.commit()
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=url.startswith("sqlite"),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
