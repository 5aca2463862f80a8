"""What was deployed and released since a process last looked: the feed the precompiler
polls (engine/precompile.py). Reads primary keys only, so a look costs two index scans."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from engine.persistence.tables import releases, script_versions


class VersionFeed:
    """Queries of versions and releases by id, inside the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def newest_ids(self) -> tuple[int, int]:
        """(the newest version id, the newest release id), 0 for none."""
        q = sa.select(
            sa.select(sa.func.coalesce(sa.func.max(script_versions.c.id), 0)).scalar_subquery(),
            sa.select(sa.func.coalesce(sa.func.max(releases.c.id), 0)).scalar_subquery(),
        )
        newest_version, newest_release = self.conn.execute(q).one()
        return int(newest_version), int(newest_release)

    def versions_after(self, after: int, limit: int) -> list[int]:
        """Ids of the versions deployed after version id ``after``, oldest first."""
        q = (
            sa.select(script_versions.c.id)
            .where(script_versions.c.id > after)
            .order_by(script_versions.c.id)
            .limit(limit)
        )
        return [int(i) for i in self.conn.execute(q).scalars()]

    def releases_after(self, after: int, limit: int) -> Sequence[RowMapping]:
        """Releases made after release id ``after``, oldest first: the release's id, the id
        of the version it publishes (or mostly serves, for a split) and the split."""
        released = releases.join(
            script_versions,
            sa.and_(
                script_versions.c.script_id == releases.c.script_id,
                script_versions.c.number == releases.c.version_number,
            ),
        )
        q = (
            sa.select(releases.c.id, script_versions.c.id.label("version_id"), releases.c.split)
            .select_from(released)
            .where(releases.c.id > after)
            .order_by(releases.c.id)
            .limit(limit)
        )
        return self.conn.execute(q).mappings().all()
