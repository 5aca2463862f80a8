"""The choice rule: which ready operator an item is offered to (pure; no I/O).

An operator may take an item when they serve its group (the candidates given here all
do), have a free slot of its kind (what they hold plus what they were offered, below their
capacity of that kind), take its channel (an operator listing no channels takes any), and
did not just decline it or let its offer pass. Of those, ``longest_idle`` picks the one
idle longest (``idle_since`` oldest: set when they became ready and when they last took
work), then the higher skill level; ``least_loaded`` picks the lowest share of their
capacity in use, then the longest idle. Ties go to the lower operator id, so the rule is a
total order and two servers reading the same rows agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Item:
    """An item waiting in a group's queue."""

    kind: str  # conversation | ticket
    item_id: str
    channel: str = ""


@dataclass(frozen=True)
class Candidate:
    """A ready operator serving the item's group, with capacity and open load per kind."""

    operator_id: int
    login: str
    idle_since: datetime | None
    level: int
    capacity: dict[str, int]
    load: dict[str, int]  # held + offered, per kind
    channels: tuple[str, ...] = ()
    refused: frozenset[str] = field(default_factory=frozenset)  # item ids they just declined

    def free(self, kind: str) -> int:
        return self.capacity.get(kind, 0) - self.load.get(kind, 0)

    def share_in_use(self) -> float:
        total = sum(self.capacity.values())
        return sum(self.load.values()) / total if total > 0 else 1.0


def may_take(candidate: Candidate, item: Item) -> bool:
    if candidate.free(item.kind) <= 0:
        return False
    if candidate.channels and item.channel and item.channel not in candidate.channels:
        return False
    return item.item_id not in candidate.refused


def _idle_key(candidate: Candidate) -> tuple[datetime, int, int]:
    return (candidate.idle_since or _NEVER, -candidate.level, candidate.operator_id)


def ranked(candidates: Sequence[Candidate], item: Item, strategy: str) -> list[Candidate]:
    """Those who may take ``item``, best first by ``strategy``."""
    able = [c for c in candidates if may_take(c, item)]
    if strategy == "least_loaded":
        return sorted(able, key=lambda c: (c.share_in_use(), *_idle_key(c)))
    return sorted(able, key=_idle_key)


def choose(candidates: Sequence[Candidate], item: Item, strategy: str) -> Candidate | None:
    """The operator to offer ``item`` to, or None."""
    found = ranked(candidates, item, strategy)
    return found[0] if found else None
