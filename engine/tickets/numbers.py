"""Ticket numbers people can read out on the phone: ``T-2026-000123``.

The counter is one for all tickets (a PostgreSQL sequence, so concurrent creates never wait
for each other; SQLite, whose writers take turns, counts on from the highest number given);
the year is the year the ticket was opened. Numbers are unique; a create that rolls back
leaves a gap.
"""

from __future__ import annotations

from datetime import datetime

PREFIX = "T"


def format_number(seq: int, opened: datetime) -> str:
    return f"{PREFIX}-{opened.year}-{seq:06d}"
