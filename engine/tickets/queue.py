"""A group's queue: everything a person of the group must do, most urgent first.

Handed-off conversations and the open, unclaimed work items of tickets, in one list, each
item saying its ``kind``. Order: items with a due time first, the soonest due first; then
by age, oldest first (a conversation's age counts from its handoff, a work item's from
when its task began); ties by kind, then id. Conversations have no due time.

Keyset paging: ``next`` is an opaque cursor holding the last item's sort key. Each source
(work items with a due time, work items without one, conversations) is read in queue order
by its own index, at most one page from each, and the pages are merged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from engine.errors import Detail, MalformedInput
from engine.persistence.database import Database, UnitOfWork
from engine.persistence.tickets import QueueCursor
from engine.sessions import Engine
from engine.sessions.queries import handoff_item
from engine.tickets.model import iso, utc
from engine.tickets.queries import decode_cursor, encode_cursor, moment
from engine.tickets.views import queue_item_view

CONVERSATION = "conversation"
WORK_ITEM = "work_item"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Place:
    """An item's place in the queue: (no due time?, due time, since, kind, id)."""

    due: datetime | None
    since: datetime
    kind: str
    item_id: str

    def order(self) -> tuple[Any, ...]:
        return (self.due is None, self.due or _EPOCH, self.since, self.kind, self.item_id)

    def cursor(self) -> str:
        return encode_cursor([iso(self.due), iso(self.since), self.kind, self.item_id])

    @classmethod
    def parse(cls, cursor: str) -> Place:
        due, since, kind, item_id = decode_cursor(cursor, 4)
        if kind not in (CONVERSATION, WORK_ITEM) or not isinstance(since, str):
            raise MalformedInput("bad cursor", [Detail("after", "use the 'next' of a page")])
        return cls(moment(due) if due else None, moment(since), kind, str(item_id))

    def no_due_start(self, kind: str) -> QueueCursor | None:
        """Where a source of ``kind`` (items without a due time) continues after this place."""
        if self.due is not None:
            return None  # the page ended among items with a due time: all of these follow
        if kind == self.kind:
            return QueueCursor(self.since, self.item_id, "after_item")
        # The other kind, at the same time: after this place if it sorts after this kind.
        return QueueCursor(self.since, mode="from_time" if kind > self.kind else "after_time")


def group_queue(
    database: Database, engine: Engine, group: str, *, limit: int, after: str | None = None
) -> dict[str, Any]:
    """One page of ``group``'s queue and the cursor of the next (None: this is the last)."""
    start = Place.parse(after) if after else None
    now = engine.clock()
    with database.unit_of_work() as uow:
        found = _candidates(uow, group, limit + 1, start)
        found.sort(key=lambda entry: entry[0].order())
        page = found[:limit]
        talks = uow.instances.many([p.item_id for p, _ in page if p.kind == CONVERSATION])
        items = [
            handoff_item(uow, engine, talks[place.item_id], now)
            | {"kind": CONVERSATION, "due_at": None}
            if place.kind == CONVERSATION
            else queue_item_view(row, now)
            for place, row in page
        ]
    more = len(found) > limit
    return {
        "queue": group,
        "items": items,
        "next": page[-1][0].cursor() if more and page else None,
    }


def _candidates(
    uow: UnitOfWork, group: str, size: int, start: Place | None
) -> list[tuple[Place, Any]]:
    found: list[tuple[Place, Any]] = []
    with_due = start is None or start.due is not None
    keyset = (start.due, start.since, start.item_id) if start and with_due else None
    item_start = start.no_due_start(WORK_ITEM) if start else None
    rows = uow.work_items.queue(
        group, size, with_due=with_due, due_after=keyset, undue_after=item_start
    )
    found.extend((_work_place(row), row) for row in rows)
    talk_start = start.no_due_start(CONVERSATION) if start else None
    for row in uow.instances.queue(group, size, after=talk_start, places_only=True):
        since = utc(row["handed_off_at"]) or _EPOCH
        found.append((Place(None, since, CONVERSATION, str(row["id"])), row))
    return found


def _work_place(row: Any) -> Place:
    return Place(utc(row["due_at"]), utc(row["created_at"]) or _EPOCH, WORK_ITEM, str(row["id"]))
