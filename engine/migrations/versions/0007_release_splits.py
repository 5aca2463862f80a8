"""canary releases: a script's split of new sessions, and each release's split

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 13:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("scripts", sa.Column("release_split", sa.Text(), nullable=True))
    op.add_column("releases", sa.Column("split", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("releases", "split")
    op.drop_column("scripts", "release_split")
