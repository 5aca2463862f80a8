"""The groups operators can serve: every queue work can wait in.

A group is known when a published script can send work there: a routing script's groups
(groups.json), a script's handoff queue (its manifest's ``handoff_queue``, a step's own
queue) and the default handoff queue. A skill in any other group is refused (422), so a
typo cannot leave an operator serving a queue nothing ever reaches.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.errors import Detail, ValidationFailed
from engine.persistence.database import UnitOfWork
from engine.sessions import Engine
from engine.sessions.runtime import DEFAULT_QUEUE


def known_groups(uow: UnitOfWork, engine: Engine) -> set[str]:
    found = {DEFAULT_QUEUE}
    for script in uow.scripts.all():
        release = uow.scripts.published_version_id(script["key"])
        if release is None:
            continue
        compiled = engine.specs.get(uow, release["version_id"])
        if compiled.routing is not None:
            found.update(compiled.routing.groups)
        queue = compiled.manifest.get("handoff_queue")
        if queue:
            found.add(str(queue))
        found.update(s.handoff_queue for s in compiled.steps.values() if s.handoff_queue)
    return found


def check_groups(groups: Sequence[str], known: set[str], path: str = "skills") -> None:
    """422 naming each unknown group by its place (``skills[1].group``)."""
    bad = [
        Detail(f"{path}[{i}].group", f"unknown group {g!r}")
        for i, g in enumerate(groups)
        if g not in known
    ]
    if bad:
        listed = ", ".join(sorted(known)[:30])
        raise ValidationFailed(f"unknown group(s); known groups: {listed}", bad)
