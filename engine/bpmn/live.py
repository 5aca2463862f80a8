"""Workflows kept in memory between steps, so a session's next step can skip restoring state.

An entry is valid only for the instance's ``lock_version`` it was saved at: every state
write bumps the version, so a step that ran elsewhere (another worker) or failed to commit
simply misses. An entry is taken out while a step uses it and put back only after the new
state was saved, so a failed step never leaves a half-changed workflow behind.
"""

from __future__ import annotations

import threading
from typing import Any

from cachetools import LRUCache


class LiveWorkflows:
    """Up to ``size`` workflows by instance id, the least recently saved dropped first."""

    def __init__(self, size: int = 2000) -> None:
        self._items: LRUCache[str, tuple[int, Any]] = LRUCache(maxsize=size)
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def take(self, instance_id: str, lock_version: int) -> Any | None:
        with self._lock:
            entry = self._items.pop(instance_id, None)
            if entry is not None and entry[0] == lock_version:
                self.hits += 1
                return entry[1]
            self.misses += 1
            return None

    def version_of(self, instance_id: str) -> int | None:
        """The ``lock_version`` the instance's workflow is kept at, if it is kept."""
        with self._lock:
            entry = self._items.get(instance_id)
        return None if entry is None else entry[0]

    def put(self, instance_id: str, lock_version: int, workflow: Any) -> None:
        with self._lock:
            self._items[instance_id] = (lock_version, workflow)

    def drop(self, instance_id: str) -> None:
        with self._lock:
            self._items.pop(instance_id, None)

    def clear(self) -> None:
        """Forget every kept workflow (the next change of each restores it from its state)."""
        with self._lock:
            self._items.clear()
