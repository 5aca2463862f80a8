"""History rows folded into what the analytics count (pure: no I/O).

The history (engine/sessions/journal.py) holds, per session: ``started``; ``entered`` when
the session arrives at a step and ``left`` for each element the engine ran or completed;
``handoff`` when it goes to a person; ``ended`` (kind ``completed`` or ``failed``) at the
end. Folding them gives, per script, version and hour bucket:

- per element: sessions that reached it (counted once per session, when first there),
  entered, left, ended there, handed off there, failed there;
- per element: the time spent, from entering it to the next ``entered`` or ``ended`` of
  the same session (as engine.analytics.figures times steps), as a mergeable histogram,
  counted in the bucket of the entering;
- per channel: sessions started, completed, failed, handed off (first handoff), and
  completed without any handoff (automated, as ``instances.outcome`` says);
- per path: ended sessions by the sequence of steps they entered, then their end.

A fold may start in the middle of a session: ``earlier`` gives each session's rows before
the fold's first row (``CONTEXT_EVENTS``), which are read
for context (the step being timed, the path so far, an earlier handoff), never counted. So
folding rows 1..n at once equals folding 1..k and then k+1..n with rows 1..k as
``earlier``: that is what lets the worker fold history once, in batches, and the API add
the rows past the rollup's cursor to it.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from engine.analytics.histogram import slot_of

CONTEXT_EVENTS = ("entered", "left", "ended", "handoff")
EVENTS = ("started", *CONTEXT_EVENTS)
PATH_STEPS = 40  # a longer path is cut and ends in "…"
ELLIPSIS = "…"


@dataclass(frozen=True)
class Row:
    """One history row with its session's script and version."""

    id: int
    instance_id: str
    at: datetime
    event: str
    element: str
    kind: str
    channel: str
    script: str
    version: int


@dataclass
class StepCounts:
    sessions: int = 0
    entered: int = 0
    exited: int = 0  # 'left' rows
    ended: int = 0
    handed_off: int = 0
    failed: int = 0

    def add(self, other: StepCounts) -> None:
        self.sessions += other.sessions
        self.entered += other.entered
        self.exited += other.exited
        self.ended += other.ended
        self.handed_off += other.handed_off
        self.failed += other.failed


@dataclass
class SessionCounts:
    started: int = 0
    completed: int = 0
    failed: int = 0
    handed_off: int = 0
    automated: int = 0

    def add(self, other: SessionCounts) -> None:
        self.started += other.started
        self.completed += other.completed
        self.failed += other.failed
        self.handed_off += other.handed_off
        self.automated += other.automated


# Keys: (script, version, bucket) + element | channel | path hash.
StepKey = tuple[str, int, datetime, str]


@dataclass
class Tally:
    """What a fold counted, keyed by (script, version, hour bucket, element/channel/path)."""

    steps: dict[StepKey, StepCounts] = field(default_factory=dict)
    times: dict[StepKey, Counter[int]] = field(default_factory=dict)
    sessions: dict[StepKey, SessionCounts] = field(default_factory=dict)
    paths: dict[StepKey, int] = field(default_factory=dict)
    path_text: dict[str, str] = field(default_factory=dict)  # path hash -> the path

    def step(self, row: Row) -> StepCounts:
        key = (row.script, row.version, bucket_of(row.at), row.element)
        return self.steps.setdefault(key, StepCounts())

    def session(self, row: Row) -> SessionCounts:
        key = (row.script, row.version, bucket_of(row.at), row.channel)
        return self.sessions.setdefault(key, SessionCounts())


def bucket_of(at: datetime) -> datetime:
    """The hour an instant falls in (UTC)."""
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def path_key(steps: Sequence[str]) -> tuple[str, str]:
    """A path's text (element ids separated by spaces, cut at PATH_STEPS) and its hash."""
    shown = list(steps[:PATH_STEPS]) + ([ELLIPSIS] if len(steps) > PATH_STEPS else [])
    text = " ".join(shown)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16], text


@dataclass
class _Walk:
    """One session as the fold follows it."""

    waiting: Row | None = None  # the last 'entered' row not yet followed by a step or end
    path: list[str] = field(default_factory=list)
    handed_off: bool = False
    seen: set[str] = field(default_factory=set)  # elements this session has reached

    def reach(self, element: str) -> bool:
        """True the first time the session is at ``element``."""
        if element in self.seen:
            return False
        self.seen.add(element)
        return True

    def arrive(self, row: Row) -> Row | None:
        """An 'entered' or 'ended' row: returns the entering it closes, if any."""
        closed, self.waiting = self.waiting, row if row.event == "entered" else None
        if not self.path or self.path[-1] != row.element:  # a step shown again is one step
            self.path.append(row.element)
        return closed


def fold(rows: Iterable[Row], earlier: Mapping[str, Sequence[Row]] | None = None) -> Tally:
    """Count ``rows`` (in id order); ``earlier``: each session's context rows before them."""
    tally = Tally()
    walks: dict[str, _Walk] = {}
    for row in rows:
        walk = walks.get(row.instance_id)
        if walk is None:
            walk = walks[row.instance_id] = _replayed((earlier or {}).get(row.instance_id, ()))
        _count(tally, walk, row)
    return tally


def _replayed(context: Iterable[Row]) -> _Walk:
    walk = _Walk()
    for row in context:
        if row.event in ("entered", "left", "ended"):
            walk.reach(row.element)
        if row.event in ("entered", "ended"):
            walk.arrive(row)
        elif row.event == "handoff":
            walk.handed_off = True
    return walk


def _count(tally: Tally, walk: _Walk, row: Row) -> None:
    event = row.event
    if event in ("entered", "left", "ended") and walk.reach(row.element):
        tally.step(row).sessions += 1
    if event == "started":
        tally.session(row).started += 1
    elif event == "left":
        tally.step(row).exited += 1
    elif event == "handoff":
        tally.step(row).handed_off += 1
        if not walk.handed_off:
            tally.session(row).handed_off += 1
        walk.handed_off = True
    elif event in ("entered", "ended"):
        closed = walk.arrive(row)
        if closed is not None:
            seconds = (_aware(row.at) - _aware(closed.at)).total_seconds()
            key = (closed.script, closed.version, bucket_of(closed.at), closed.element)
            tally.times.setdefault(key, Counter())[slot_of(seconds)] += 1
        if event == "entered":
            tally.step(row).entered += 1
        else:
            _ended(tally, walk, row)


def _ended(tally: Tally, walk: _Walk, row: Row) -> None:
    step = tally.step(row)
    step.ended += 1
    session = tally.session(row)
    if row.kind == "failed":
        step.failed += 1
        session.failed += 1
    else:
        session.completed += 1
        if not walk.handed_off:  # as instances.outcome: a failure is not automated
            session.automated += 1
    digest, text = path_key(walk.path)
    tally.path_text[digest] = text
    key = (row.script, row.version, bucket_of(row.at), digest)
    tally.paths[key] = tally.paths.get(key, 0) + 1


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
