"""Business figures from the instances table: automation rate, handoff reasons, drop-off."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from engine.errors import ScriptNotFound
from engine.persistence.database import UnitOfWork
from engine.persistence.tables import instances


def script_figures(uow: UnitOfWork, key: str) -> dict[str, Any]:
    """How a script's sessions ended: automated vs handed off (the field's target: 80-85%)."""
    if uow.scripts.get(key) is None:
        raise ScriptNotFound(f"script {key!r} not found")
    conn = uow.conn
    where = instances.c.script_key == key
    by_status: dict[Any, int] = dict(
        conn.execute(
            sa.select(instances.c.status, sa.func.count()).where(where).group_by(instances.c.status)
        ).all()
    )
    by_outcome: dict[Any, int] = dict(
        conn.execute(
            sa.select(instances.c.outcome, sa.func.count())
            .where(where, instances.c.outcome.is_not(None))
            .group_by(instances.c.outcome)
        ).all()
    )
    reasons = conn.execute(
        sa.select(instances.c.handoff_reason, sa.func.count())
        .where(where, instances.c.outcome == "handed_off")
        .group_by(instances.c.handoff_reason)
        .order_by(sa.func.count().desc())
        .limit(20)
    ).all()
    codes = conn.execute(
        sa.select(instances.c.handoff_code, sa.func.count())
        .where(where, instances.c.outcome == "handed_off")
        .group_by(instances.c.handoff_code)
    ).all()
    open_at = conn.execute(
        sa.select(instances.c.current_element, sa.func.count())
        .where(where, instances.c.status == "waiting")
        .group_by(instances.c.current_element)
        .order_by(sa.func.count().desc())
        .limit(50)
    ).all()
    automated = int(by_outcome.get("automated", 0))
    handed = int(by_outcome.get("handed_off", 0))
    decided = automated + handed
    return {
        "script": key,
        "sessions": int(sum(by_status.values())),
        "by_status": {str(k): int(v) for k, v in by_status.items()},
        "automated": automated,
        "handed_off": handed,
        "automation_rate": round(automated / decided, 4) if decided else None,
        "handoff_reasons": [{"reason": r or "", "count": int(c)} for r, c in reasons],
        "handoffs_by_code": {str(code or "unknown"): int(c) for code, c in codes},
        "waiting_at_step": [{"step": s or "", "count": int(c)} for s, c in open_at],
    }
