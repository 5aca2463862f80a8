"""Every event the test run wrote must fit its contract (engine/events/schemas).

The database fixture calls ``broken_events`` before it drops the run's schema: it reads every
outbox row (events of worker processes included) and names each event type with no schema
and each event that breaks its schema, so the run fails on an undocumented event. Types
under ``test.`` are events tests make up to exercise the outbox itself: they have no contract.
"""

from __future__ import annotations

import json
from collections import defaultdict

import sqlalchemy as sa

from engine.events.contracts import problems
from engine.persistence.database import normalize_url
from engine.persistence.tables import outbox

SAMPLES = 3  # broken events quoted per type
TEST_TYPES = "test."  # made up by tests of the outbox itself


def broken_events(url: str, schema: str | None) -> list[str]:
    """One line per problem found in the outbox of the run's database ([] when all fit)."""
    args = {"options": f"-csearch_path={schema}"} if schema else {}
    engine = sa.create_engine(normalize_url(url), connect_args=args)
    found: dict[str, list[str]] = defaultdict(list)
    counted: dict[str, int] = defaultdict(int)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(outbox.c.id, outbox.c.topic, outbox.c.payload))
            for row_id, topic, payload in rows:
                event = json.loads(payload)
                if str(event.get("type", topic)).startswith(TEST_TYPES):
                    continue
                wrong = problems(event)
                if not wrong:
                    continue
                kind = str(event.get("type", topic))
                counted[kind] += 1
                if len(found[kind]) < SAMPLES:
                    found[kind].append(f"  outbox row {row_id}: {'; '.join(wrong)}")
    finally:
        engine.dispose()
    lines = []
    for kind in sorted(found):
        lines.append(f"{kind}: {counted[kind]} event(s) do not fit a contract")
        lines.extend(found[kind])
    return lines


def check_events(url: str, schema: str | None) -> None:
    """Fail the run (raise) if an emitted event has no schema or breaks it."""
    lines = broken_events(url, schema)
    if lines:
        raise AssertionError(
            "events without a contract, or breaking it (add or fix engine/events/schemas/, "
            "and docs/events.md):\n" + "\n".join(lines)
        )
