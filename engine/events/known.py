"""Message names some script declares: a message naming none of them is a dead letter.

Versions are immutable and their ids only grow, so the names are read once per version:
a refresh reads only versions newer than the last one read, at most every few seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import sqlalchemy as sa

from engine.bpmn.bundle import bundle_from_zip
from engine.bpmn.safe_xml import parse_xml
from engine.errors import CuebookError
from engine.persistence.database import Database
from engine.persistence.tables import script_versions

BPMN_MESSAGE = "{http://www.omg.org/spec/BPMN/20100524/MODEL}message"


def message_names(bundle_zip: bytes) -> set[str]:
    """The names of the BPMN messages a stored bundle declares."""
    names: set[str] = set()
    try:
        bundle = bundle_from_zip(bundle_zip)
        for file, data in bundle.files.items():
            if file.endswith(".bpmn"):
                root = parse_xml(data, file)
                names.update(m.get("name") or "" for m in root.iter(BPMN_MESSAGE))
    except CuebookError:
        return names
    names.discard("")
    return names


class KnownMessages:
    """Message names of every deployed version, kept in memory (thread-safe)."""

    def __init__(
        self,
        database: Database,
        *,
        refresh_every: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.database = database
        self.refresh_every = refresh_every
        self.clock = clock
        self._names: set[str] = set()
        self._last_version = 0
        self._refreshed_at: float | None = None
        self._lock = threading.Lock()

    def knows(self, name: str) -> bool:
        if name in self._names:
            return True
        with self._lock:
            now = self.clock()
            if self._refreshed_at is None or now - self._refreshed_at >= self.refresh_every:
                self._refresh()
                self._refreshed_at = now
        return name in self._names

    def _refresh(self) -> None:
        q = (
            sa.select(script_versions.c.id, script_versions.c.bundle)
            .where(script_versions.c.id > self._last_version)
            .order_by(script_versions.c.id)
        )
        with self.database.unit_of_work() as uow:
            for version_id, bundle in uow.conn.execute(q):
                self._names |= message_names(bytes(bundle))
                self._last_version = version_id
