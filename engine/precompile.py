"""Compiling new script versions before their first session start, in every web process.

A process compiles a version from its stored bundle the first time a start or a step needs
it (``SpecCache``). On a busy process that compile takes tens of milliseconds, and the
start that pays for it, and the steps queued behind it on the same process, wait: after a
canary split or a publish, each process's first start of the new version did. Nothing
tells a process about a release (a start reads the release in the query it makes anyway),
so nothing told it about the new version either.

The precompiler closes that gap: a thread per process looks, every ``every`` seconds, for
versions deployed and releases made since its last look (two primary-key scans) and
compiles each version named that the process does not hold. A version is usually deployed
a while before a split or a publish releases it, so by then every process holds it
compiled, and the release's first starts cost what any start costs. A release of a version
deployed before the process started (a rollback, a late publish) is compiled on the next
look too. A version deployed and published in one call still races with the first starts;
a start that arrives while the version compiles waits for that compile rather than doing
it a second time (``SpecCache.get``).

A failed look or compile is reported and tried again at the next look; a start still
compiles what is missing, so the precompiler can only make starts cheaper, never fail one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from engine.persistence.database import Database
from engine.persistence.version_feed import VersionFeed
from engine.releases import read_split
from engine.versions import SpecCache

log = logging.getLogger("cuebook.precompile")

PER_LOOK = 50  # versions and releases read per look; more wait for the next one


class Precompiler:
    """Keeps ``specs`` holding every version deployed or released since it started."""

    def __init__(
        self,
        database: Database,
        specs: SpecCache,
        *,
        every: float = 1.0,
        say: Callable[[str], None] = log.info,
        warn: Callable[[str], None] = log.warning,
    ) -> None:
        self.database = database
        self.specs = specs
        self.every = every
        self.say = say
        self.warn = warn
        self.seen: tuple[int, int] | None = None  # (newest version id, newest release id)

    def look(self) -> int:
        """Compile what was deployed or released since the last look; returns how many
        versions were compiled. The first look only notes where the feed stands: versions
        from before are compiled when a start needs them or a release names them."""
        with self.database.unit_of_work() as uow:
            feed = VersionFeed(uow.conn)
            if self.seen is None:
                self.seen = feed.newest_ids()
                self.say(f"precompiling script versions deployed after id {self.seen[0]}")
                return 0
            after_version, after_release = self.seen
            deployed = feed.versions_after(after_version, PER_LOOK)
            released = feed.releases_after(after_release, PER_LOOK)
        wanted = list(deployed)
        for row in released:
            wanted.append(int(row["version_id"]))
            if row["split"]:
                wanted += [s.version_id for s in read_split(row["split"]) if s.version_id]
        compiled: list[int] = []
        for version_id in dict.fromkeys(wanted):
            if self.specs.holds(version_id):
                continue
            try:
                with self.database.unit_of_work() as uow:
                    self.specs.get(uow, version_id)
            except Exception as exc:  # a start that needs it compiles it (and says why not)
                self.warn(f"precompiling script version {version_id} failed: {exc}")
                continue
            compiled.append(version_id)
        if compiled:
            self.say(f"precompiled script version id(s) {', '.join(map(str, compiled))}")
        self.seen = (
            max([after_version, *deployed]),
            max([after_release, *(int(row["id"]) for row in released)]),
        )
        return len(compiled)

    def run(self, stop: threading.Event) -> None:
        """Look every ``every`` seconds until ``stop`` is set."""
        while True:
            try:
                self.look()
            except Exception as exc:  # the database away, a bundle that no longer compiles
                self.warn(f"precompiling new script versions failed: {exc}")
            if stop.wait(self.every):
                return

    def start(self) -> threading.Event:
        """Run in a daemon thread (it holds nothing a process must finish); set the event
        returned to stop it."""
        stop = threading.Event()
        threading.Thread(
            target=self.run, args=(stop,), name="cuebook-precompile", daemon=True
        ).start()
        return stop
