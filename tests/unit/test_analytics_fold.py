"""History rows folded into analytics counts: per element, times, sessions, paths; and a
fold split in two (with the first part's rows as context) equal to one fold of all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.analytics.fold import CONTEXT_EVENTS, Row, Tally, fold, path_key
from engine.analytics.histogram import slot_of

T0 = datetime(2026, 11, 30, 9, 58, tzinfo=UTC)


def journey(instance: str, start_id: int, events: list[tuple[str, str, str, int]]) -> list[Row]:
    """Rows of one session: (event, element, kind, seconds after T0)."""
    return [
        Row(start_id + n, instance, T0 + timedelta(seconds=s), e, el, kind, "chat", "menu", 1)
        for n, (e, el, kind, s) in enumerate(events)
    ]


def sample_rows() -> list[Row]:
    done = journey(
        "a",
        1,
        [
            ("started", "", "", 0),
            ("left", "start", "", 0),
            ("entered", "menu", "choice", 0),
            ("left", "menu", "", 30),
            ("entered", "more", "choice", 30),
            ("left", "more", "", 40),
            ("entered", "menu", "choice", 40),  # the menu again
            ("left", "menu", "", 200),  # crosses into the next hour
            ("ended", "end", "completed", 200),
        ],
    )
    handed = journey(
        "b",
        100,
        [
            ("started", "", "", 5),
            ("entered", "menu", "choice", 5),
            ("left", "menu", "", 10),
            ("entered", "talk", "form", 10),
            ("handoff", "talk", "queue", 10),
            ("left", "talk", "", 70),
            ("ended", "end", "completed", 70),
        ],
    )
    failed = journey(
        "c",
        200,
        [("started", "", "", 1), ("entered", "menu", "choice", 1), ("ended", "menu", "failed", 9)],
    )
    return sorted(done + handed + failed, key=lambda r: r.id)


def totals(tally: Tally) -> dict[str, object]:
    steps: dict[str, list[int]] = {}
    for (_s, _v, _b, element), c in tally.steps.items():
        acc = steps.setdefault(element, [0] * 6)
        for i, v in enumerate((c.sessions, c.entered, c.exited, c.ended, c.handed_off, c.failed)):
            acc[i] += v
    times: dict[str, dict[int, int]] = {}
    for (_s, _v, _b, element), hist in tally.times.items():
        for slot, n in hist.items():
            times.setdefault(element, {}).setdefault(slot, 0)
            times[element][slot] += n
    sessions = [0] * 5
    for c in tally.sessions.values():
        for i, v in enumerate((c.started, c.completed, c.failed, c.handed_off, c.automated)):
            sessions[i] += v
    paths: dict[str, int] = {}
    for (_s, _v, _b, digest), n in tally.paths.items():
        text = tally.path_text[digest]
        paths[text] = paths.get(text, 0) + n
    return {"steps": steps, "times": times, "sessions": sessions, "paths": paths}


def test_counts_of_three_sessions() -> None:
    got = totals(fold(sample_rows()))
    # element: sessions, entered, left, ended there, handed off there, failed there
    assert got["steps"] == {
        "start": [1, 0, 1, 0, 0, 0],
        "menu": [3, 4, 3, 1, 0, 1],
        "more": [1, 1, 1, 0, 0, 0],
        "talk": [1, 1, 1, 0, 1, 0],
        "end": [2, 0, 0, 2, 0, 0],
    }
    assert got["sessions"] == [3, 2, 1, 1, 1]  # started, completed, failed, handed, automated
    assert got["times"] == {
        "menu": {slot_of(30): 1, slot_of(160): 1, slot_of(5): 1, slot_of(8): 1},
        "more": {slot_of(10): 1},
        "talk": {slot_of(60): 1},
    }
    assert got["paths"] == {"menu more menu end": 1, "menu talk end": 1, "menu": 1}


def test_hours_are_buckets() -> None:
    tally = fold(sample_rows())
    hours = {b.hour for (_s, _v, b, _e) in tally.steps}
    assert hours == {9, 10}
    # the menu's second visit was entered at 9:58:40 and timed in that hour
    assert all(b.hour == 9 for (_s, _v, b, _e) in tally.times)


def test_split_folds_add_up_to_one_fold() -> None:
    rows = sample_rows()
    whole = totals(fold(rows))
    for cut in range(1, rows[-1].id + 1):
        first = [r for r in rows if r.id <= cut]
        rest = [r for r in rows if r.id > cut]
        context: dict[str, list[Row]] = {}
        for r in first:
            if r.event in CONTEXT_EVENTS:
                context.setdefault(r.instance_id, []).append(r)
        a, b = totals(fold(first)), totals(fold(rest, context))
        assert _added(a, b) == whole, cut


def _added(a: dict[str, object], b: dict[str, object]) -> dict[str, object]:
    steps: dict[str, list[int]] = {}
    for part in (a["steps"], b["steps"]):
        for element, values in part.items():  # type: ignore[attr-defined]
            acc = steps.setdefault(element, [0] * 6)
            steps[element] = [x + y for x, y in zip(acc, values, strict=True)]
    times: dict[str, dict[int, int]] = {}
    for part in (a["times"], b["times"]):
        for element, hist in part.items():  # type: ignore[attr-defined]
            for slot, n in hist.items():
                times.setdefault(element, {}).setdefault(slot, 0)
                times[element][slot] += n
    paths: dict[str, int] = {}
    for part in (a["paths"], b["paths"]):
        for text, n in part.items():  # type: ignore[attr-defined]
            paths[text] = paths.get(text, 0) + n
    sessions = [x + y for x, y in zip(a["sessions"], b["sessions"], strict=True)]  # type: ignore[call-overload]
    return {"steps": steps, "times": times, "sessions": sessions, "paths": paths}


def test_a_long_path_is_cut() -> None:
    digest, text = path_key([f"s{i}" for i in range(100)])
    assert text.endswith(" …") and len(text.split(" ")) == 41
    assert len(digest) == 16
    assert path_key(["a", "b"]) == path_key(["a", "b"])
