"""The choice rule with plain values: who an item is offered to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.operators.rule import Candidate, Item, choose, ranked

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
TALK = Item("conversation", "s1", "chat")
TICKET = Item("ticket", "w1", "ticket")


def op(
    operator_id: int,
    idle_minutes: int,
    *,
    level: int = 1,
    talks: tuple[int, int] = (0, 1),
    tickets: tuple[int, int] = (0, 5),
    channels: tuple[str, ...] = (),
    refused: frozenset[str] = frozenset(),
) -> Candidate:
    """An operator idle ``idle_minutes``; ``talks``/``tickets``: (load, capacity)."""
    return Candidate(
        operator_id=operator_id,
        login=f"op{operator_id}",
        idle_since=T0 - timedelta(minutes=idle_minutes),
        level=level,
        capacity={"conversation": talks[1], "ticket": tickets[1]},
        load={"conversation": talks[0], "ticket": tickets[0]},
        channels=channels,
        refused=refused,
    )


def test_the_longest_idle_with_a_free_slot_gets_it() -> None:
    team = [op(1, 5), op(2, 30), op(3, 10)]
    assert choose(team, TALK, "longest_idle") == team[1]
    assert [c.operator_id for c in ranked(team, TALK, "longest_idle")] == [2, 3, 1]


def test_a_full_slot_of_the_items_kind_leaves_an_operator_out() -> None:
    busy_talking = op(1, 60, talks=(1, 1), tickets=(0, 5))
    assert choose([busy_talking, op(2, 1)], TALK, "longest_idle").operator_id == 2  # type: ignore[union-attr]
    # ...but a ticket still fits beside the conversation.
    assert choose([busy_talking, op(2, 1)], TICKET, "longest_idle").operator_id == 1  # type: ignore[union-attr]
    assert choose([op(1, 5, talks=(0, 0))], TALK, "longest_idle") is None  # capacity 0


def test_channels_and_a_recent_decline_are_respected() -> None:
    voice_only = op(1, 60, channels=("ivr",))
    declined = op(2, 50, refused=frozenset({"s1"}))
    anyone = op(3, 1)
    assert choose([voice_only, declined, anyone], TALK, "longest_idle") == anyone
    assert choose([op(4, 9, channels=("chat", "web"))], TALK, "longest_idle") is not None


def test_ties_go_to_the_higher_level_then_the_lower_id() -> None:
    team = [op(7, 10, level=2), op(5, 10, level=4), op(3, 10, level=4)]
    assert [c.operator_id for c in ranked(team, TALK, "longest_idle")] == [3, 5, 7]


def test_least_loaded_compares_the_share_of_capacity_in_use() -> None:
    half = op(1, 60, talks=(1, 2), tickets=(2, 4))  # 3 of 6
    light = op(2, 1, talks=(0, 2), tickets=(1, 4))  # 1 of 6
    empty_later = op(3, 0, talks=(0, 1), tickets=(0, 1))  # 0 of 2
    assert [c.operator_id for c in ranked([half, light, empty_later], TALK, "least_loaded")] == [
        3,
        2,
        1,
    ]
    # Equal shares: the longest idle first.
    a, b = op(4, 5, tickets=(1, 5)), op(5, 50, tickets=(1, 5))
    assert choose([a, b], TICKET, "least_loaded") == b


def test_no_candidates_no_choice() -> None:
    assert choose([], TICKET, "longest_idle") is None
