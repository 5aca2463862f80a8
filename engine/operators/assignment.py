"""Automatic assignment: the most urgent item of a group offered to the operator the rule
(engine/operators/rule.py) picks.

One offer per transaction (``offer_next``):

1. any ready operator serving the group? One indexed look-up; no: stop (this is all a
   queue change costs when nobody is ready);
2. the heads of the group's queue sources not yet offered (work items with a due time,
   without one, conversations), locked ``FOR UPDATE SKIP LOCKED`` on PostgreSQL: an item
   another server is offering right now is passed over, never offered twice; merged in the
   queue's own order (engine/tickets/queue.py ``Place``: due time, then age);
3. for the first item someone can take: the candidates (ready, serving the group, a free
   slot of the item's kind, not having just declined it), ranked by the rule; the first
   whose row can be locked (``SKIP LOCKED``: another server is offering them something)
   is counted again by a statement of its own under the lock, so every offer committed
   before is seen and capacity is never exceeded;
4. the offer is inserted; the partial unique index ``uq_offers_pending_item`` refuses a
   second pending offer of the same item whatever happens above.

``offer_batch`` does the same for up to ``BATCH`` heads of each source at once (each step
one statement for the whole batch, the rule applied item by item in Python with each offer
counted into the chosen operator's load); ``assign_group`` repeats it until nobody or
nothing is left. A pass that found operators
only locked by another transaction answers ``CONTENDED``; the dispatcher tries the group
again a moment later, so an item is not left waiting behind a lock that is about to go.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from enum import Enum
from functools import partial
from typing import Any

from engine.operators.model import Load, Workspace, json_list, utc
from engine.operators.rule import Candidate, Item, ranked
from engine.persistence.database import UnitOfWork
from engine.persistence.operators import CONVERSATION, TICKET
from engine.tickets.queue import CONVERSATION as QUEUE_CONVERSATION
from engine.tickets.queue import WORK_ITEM, Place

HEADS_PER_SOURCE = 3
CANDIDATES = 20
BATCH = 32
MOST_PER_PASS = 10_000


class Outcome(Enum):
    OFFERED = "offered"
    NO_OPERATOR = "no_operator"
    NO_ITEM = "no_item"
    CONTENDED = "contended"


def _place(row: Any) -> Place:
    kind = QUEUE_CONVERSATION if row["kind"] == CONVERSATION else WORK_ITEM
    since = utc(row["since"])
    assert since is not None
    return Place(utc(row["due"]), since, kind, str(row["id"]))


def candidate_of(row: Any, refused_item: str | None = None) -> Candidate:
    load = Load.from_row(row)
    return Candidate(
        operator_id=int(row["id"]),
        login=str(row["login"]),
        idle_since=utc(row["idle_since"]),
        level=int(row["level"]),
        capacity={
            CONVERSATION: int(row["capacity_conversations"]),
            TICKET: int(row["capacity_tickets"]),
        },
        load={CONVERSATION: load.of(CONVERSATION), TICKET: load.of(TICKET)},
        channels=tuple(json_list(row["channels"])),
        refused=frozenset({refused_item}) if refused_item else frozenset(),
    )


def _has_room(row: Any, kind: str) -> bool:
    capacity = row["capacity_conversations" if kind == CONVERSATION else "capacity_tickets"]
    return Load.from_row(row).of(kind) < int(capacity)


def offer_next(
    uow: UnitOfWork, ws: Workspace, group: str, now: datetime, *, known_ready: bool = False
) -> Outcome:
    """Offer one item of ``group`` to one operator, if any can take one (``known_ready``:
    the caller just made an offer in the group, so someone ready serves it)."""
    if not known_ready and not uow.operators.any_ready(group):
        return Outcome.NO_OPERATOR
    heads = uow.offers.heads(group, HEADS_PER_SOURCE)
    if not heads:
        return Outcome.NO_ITEM
    contended = False
    nobody_for: set[str] = set()  # kinds no operator has a free slot of (skip their heads)
    for row in sorted(heads, key=lambda r: _place(r).order()):
        item = Item(str(row["kind"]), str(row["id"]), str(row["channel"] or ""))
        if item.kind in nobody_for:
            continue
        found, was_contended, some = _offer_item(uow, ws, group, item, now)
        contended = contended or was_contended
        if found:
            return Outcome.OFFERED
        if not some:
            nobody_for.add(item.kind)
    return Outcome.CONTENDED if contended else Outcome.NO_OPERATOR


def _offer_item(
    uow: UnitOfWork, ws: Workspace, group: str, item: Item, now: datetime
) -> tuple[bool, bool, bool]:
    """(offered, some candidate was locked by another transaction, there were candidates:
    operators of the group with a free slot of the item's kind)."""
    settings = ws.settings
    ask = partial(
        uow.operators.candidates,
        group,
        item.kind,
        item.item_id,
        strategy=settings.strategy,
        refused_since=now - timedelta(seconds=settings.decline_cooldown),
        limit=CANDIDATES,
    )
    rows = ask(window=True)  # the longest idle first, without counting everyone's load
    if not any(_has_room(r, item.kind) for r in rows):
        rows = ask()
    contended = False
    for candidate in ranked(
        [candidate_of(r, item.item_id if r["refused"] else None) for r in rows],
        item,
        settings.strategy,
    ):
        if not uow.operators.lock(candidate.operator_id, skip_locked=True):
            contended = True
            continue
        fresh = uow.operators.load_of(candidate.operator_id)
        if fresh is None or fresh["presence"] != "ready":
            continue
        capacity = fresh[
            "capacity_conversations" if item.kind == CONVERSATION else "capacity_tickets"
        ]
        if Load.from_row(fresh).of(item.kind) >= int(capacity):
            continue
        made = uow.offers.add(
            id=str(uuid.uuid4()),
            item_kind=item.kind,
            item_id=item.item_id,
            group=group,
            operator_id=candidate.operator_id,
            status="pending",
            offered_at=now,
            expires_at=now + timedelta(seconds=settings.offer_timeout),
        )
        return made, contended, True
    return False, contended, bool(rows)


def offer_batch(
    uow: UnitOfWork, ws: Workspace, group: str, now: datetime, *, known_ready: bool = False
) -> tuple[int, Outcome]:
    """Offer the most urgent items of ``group`` (``BATCH`` of each queue source) in one
    transaction: the rule and locks of ``offer_next``, each statement made once for all."""
    if not known_ready and not uow.operators.any_ready(group):
        return 0, Outcome.NO_OPERATOR
    # Up to BATCH heads of each source, all of them matched in queue order: a kind nobody
    # has a free slot of does not hold back the others.
    heads = sorted(uow.offers.heads(group, BATCH), key=lambda r: _place(r).order())
    if not heads:
        return 0, Outcome.NO_ITEM
    items = [Item(str(r["kind"]), str(r["id"]), str(r["channel"] or "")) for r in heads]
    settings = ws.settings
    since = now - timedelta(seconds=settings.decline_cooldown)
    pool: dict[str, list[Candidate]] = {}
    contended = False
    for kind in sorted({item.kind for item in items}):
        pool[kind], was_contended = _locked_candidates(uow, group, kind, settings.strategy, since)
        contended = contended or was_contended
    rows: list[dict[str, Any]] = []
    for kind, kind_items in _by_kind(items).items():
        refused = uow.operators.refusals(kind, [i.item_id for i in kind_items], since)
        for item in kind_items:
            chosen = _take(pool[kind], item, refused.get(item.item_id, set()), settings.strategy)
            if chosen is not None:
                rows.append(_offer_row(item, group, chosen, now, settings.offer_timeout))
    made = len(uow.offers.add_many(rows))
    if made:
        return made, Outcome.OFFERED
    return 0, Outcome.CONTENDED if contended else Outcome.NO_OPERATOR


def _by_kind(items: list[Item]) -> dict[str, list[Item]]:
    found: dict[str, list[Item]] = {}
    for item in items:  # queue order kept within each kind
        found.setdefault(item.kind, []).append(item)
    return found


def _locked_candidates(
    uow: UnitOfWork, group: str, kind: str, strategy: str, since: datetime
) -> tuple[list[Candidate], bool]:
    """The best ``BATCH`` operators of ``group`` with a free slot of ``kind``, those no other
    transaction holds locked, their load counted again under the lock (so every offer
    committed before is seen); and whether some were locked by another transaction."""
    rows = uow.operators.candidates(
        group, kind, None, strategy=strategy, refused_since=since, limit=BATCH
    )
    locked = uow.operators.lock_many([int(r["id"]) for r in rows])
    fresh = uow.operators.loads_of(sorted(locked))
    found = []
    for row in rows:
        again = fresh.get(int(row["id"]))
        if again is None or again["presence"] != "ready":
            continue
        found.append(candidate_of({**row, **again}))
    return found, len(locked) < len(rows)


def _take(pool: list[Candidate], item: Item, refused: set[int], strategy: str) -> Candidate | None:
    """The rule's choice for ``item`` among ``pool``; its load in ``pool`` grows by one."""
    able = [c for c in pool if c.operator_id not in refused]
    chosen = next(iter(ranked(able, item, strategy)), None)
    if chosen is None:
        return None
    load = dict(chosen.load)
    load[item.kind] = load.get(item.kind, 0) + 1
    pool[pool.index(chosen)] = replace(chosen, load=load)
    return chosen


def _offer_row(
    item: Item, group: str, chosen: Candidate, now: datetime, timeout: float
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "item_kind": item.kind,
        "item_id": item.item_id,
        "group": group,
        "operator_id": chosen.operator_id,
        "status": "pending",
        "offered_at": now,
        "expires_at": now + timedelta(seconds=timeout),
    }


def assign_group(ws: Workspace, group: str, *, most: int = MOST_PER_PASS) -> tuple[int, Outcome]:
    """Offer ``group``'s items while someone can take one: (offers made, how it ended)."""
    made = 0
    outcome = Outcome.NO_ITEM
    while made < most:
        with ws.database.unit_of_work() as uow:
            count, outcome = offer_batch(uow, ws, group, ws.now(), known_ready=made > 0)
        if outcome is not Outcome.OFFERED:
            break
        made += count
    return made, outcome


def assign_groups(ws: Workspace, groups: Iterable[str]) -> dict[str, tuple[int, Outcome]]:
    return {group: assign_group(ws, group) for group in sorted(set(groups))}
