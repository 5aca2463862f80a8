"""Rows of the editor's drafts and their saved revisions."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.persistence.tables import draft_revisions, drafts

# Revisions kept per draft: enough to tell a conflicting save what changed since it loaded
# (an editor open for a day behind dozens of saves still gets the exact changes).
KEPT_REVISIONS = 200

_SUMMARY = [c for c in drafts.c if c.name != "files"]


class DraftRepository:
    """Drafts inside the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self,
        script_key: str,
        files: dict[str, str],
        based_on_version: int | None,
        actor: str,
        now: datetime,
    ) -> int:
        text = json.dumps(files, ensure_ascii=False, sort_keys=True)
        draft_id = int(
            self.conn.execute(
                drafts.insert()
                .values(
                    script_key=script_key,
                    files=text,
                    revision=1,
                    based_on_version=based_on_version,
                    created_by=actor,
                    created_at=now,
                    updated_by=actor,
                    updated_at=now,
                )
                .returning(drafts.c.id)
            ).scalar_one()
        )
        self._keep(draft_id, 1, text, actor, now)
        return draft_id

    def get(self, draft_id: int, *, for_update: bool = False) -> dict[str, Any] | None:
        q = sa.select(drafts).where(drafts.c.id == draft_id)
        if for_update:
            q = q.with_for_update()
        row = self.conn.execute(q).mappings().first()
        return _with_files(row) if row is not None else None

    def summaries(self, script_key: str | None = None) -> list[dict[str, Any]]:
        """Every draft without its files, newest change first."""
        q = sa.select(*_SUMMARY).order_by(drafts.c.updated_at.desc(), drafts.c.id.desc())
        if script_key is not None:
            q = q.where(drafts.c.script_key == script_key)
        return [dict(r) for r in self.conn.execute(q).mappings()]

    def save(
        self,
        draft_id: int,
        revision: int,
        files: dict[str, str],
        actor: str,
        now: datetime,
        based_on_version: int | None = None,
    ) -> None:
        """Store ``files`` as ``revision`` (the caller checked it follows the stored one)."""
        text = json.dumps(files, ensure_ascii=False, sort_keys=True)
        values: dict[str, Any] = {
            "files": text,
            "revision": revision,
            "updated_by": actor,
            "updated_at": now,
        }
        if based_on_version is not None:
            values["based_on_version"] = based_on_version
        self.conn.execute(drafts.update().where(drafts.c.id == draft_id).values(**values))
        self._keep(draft_id, revision, text, actor, now)

    def mark_based_on(self, draft_id: int, version: int) -> None:
        self.conn.execute(
            drafts.update().where(drafts.c.id == draft_id).values(based_on_version=version)
        )

    def revision_files(self, draft_id: int, revision: int) -> dict[str, str] | None:
        text = self.conn.execute(
            sa.select(draft_revisions.c.files).where(
                draft_revisions.c.draft_id == draft_id, draft_revisions.c.revision == revision
            )
        ).scalar_one_or_none()
        return dict(json.loads(text)) if text is not None else None

    def delete(self, draft_id: int) -> None:
        self.conn.execute(draft_revisions.delete().where(draft_revisions.c.draft_id == draft_id))
        self.conn.execute(drafts.delete().where(drafts.c.id == draft_id))

    def _keep(self, draft_id: int, revision: int, text: str, actor: str, now: datetime) -> None:
        self.conn.execute(
            draft_revisions.insert().values(
                draft_id=draft_id, revision=revision, files=text, saved_by=actor, saved_at=now
            )
        )
        self.conn.execute(
            draft_revisions.delete().where(
                draft_revisions.c.draft_id == draft_id,
                draft_revisions.c.revision <= revision - KEPT_REVISIONS,
            )
        )


def _with_files(row: Any) -> dict[str, Any]:
    found = dict(row)
    found["files"] = dict(json.loads(found["files"]))
    return found
