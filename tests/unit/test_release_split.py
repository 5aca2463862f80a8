"""The canary split: a stable bucket per caller, shares by weight, requests checked."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from engine.errors import ValidationFailed
from engine.releases import (
    BUCKETS,
    Share,
    bucket_of,
    chosen_version,
    main_share,
    parse_pairs,
    read_split,
    share_for,
    split_json,
    wanted_shares,
)

SPLIT = split_json((Share(8, 10, 80), Share(7, 90, 70)))


def _release(split: str | None = SPLIT) -> dict[str, Any]:
    return {"script_id": 1, "key": "support", "version_id": 70, "number": 7,
            "release_split": split}  # fmt: skip


def test_the_stored_split_is_in_version_order() -> None:
    assert read_split(SPLIT) == (Share(7, 90, 70), Share(8, 10, 80))
    assert main_share(read_split(SPLIT)) == Share(7, 90, 70)
    assert main_share((Share(3, 50), Share(4, 50))) == Share(3, 50)


def test_a_bucket_is_stable_and_depends_on_the_script() -> None:
    assert bucket_of("support", "call-1") == bucket_of("support", "call-1")
    assert 0 <= bucket_of("support", "call-1") < BUCKETS
    keys = [f"call-{n}" for n in range(200)]
    assert [bucket_of("support", k) for k in keys] != [bucket_of("sales", k) for k in keys]


def test_shares_take_bucket_ranges_in_version_order() -> None:
    shares = read_split(SPLIT)
    assert share_for(shares, 0).number == 7
    assert share_for(shares, 8999).number == 7
    assert share_for(shares, 9000).number == 8
    assert share_for(shares, BUCKETS - 1).number == 8


def test_the_same_key_always_gets_the_same_version() -> None:
    first = [chosen_version(_release(), f"k{n}") for n in range(100)]
    again = [chosen_version(_release(), f"k{n}") for n in range(100)]
    assert first == again


def test_ten_thousand_keys_split_near_their_weights() -> None:
    counts = Counter(chosen_version(_release(), f"customer-{n}")["number"] for n in range(10_000))
    assert 850 <= counts[8] <= 1150, counts


def test_raising_the_canary_keeps_the_callers_it_had() -> None:
    wider = _release(split_json((Share(7, 70, 70), Share(8, 30, 80))))
    for n in range(2000):
        if chosen_version(_release(), f"k{n}")["number"] == 8:
            assert chosen_version(wider, f"k{n}")["number"] == 8


def test_no_split_returns_the_release_and_no_key_draws() -> None:
    plain = _release(None)
    assert chosen_version(plain, "k") is plain
    assert chosen_version(None, "k") is None
    drawn = chosen_version(_release(), None, draw=lambda n: n - 1)
    assert drawn == {"script_id": 1, "key": "support", "version_id": 80, "number": 8}
    assert chosen_version(_release(), None, draw=lambda n: 0)["number"] == 7


def test_a_request_is_read_in_version_order() -> None:
    wanted = wanted_shares([{"number": 8, "weight": 10}, {"number": 7, "weight": 90}])
    assert wanted == (Share(7, 90), Share(8, 10))
    assert wanted_shares([{"number": 3, "weight": 100}]) == (Share(3, 100),)


@pytest.mark.parametrize(
    ("versions", "path"),
    [
        (None, "versions"),
        ([], "versions"),
        ([{"number": 7, "weight": 90}, {"number": 8, "weight": 20}], "versions"),
        ([{"number": 7, "weight": 90}, {"number": 7, "weight": 10}], "versions[1].number"),
        ([{"number": 7, "weight": 100}, {"number": 8, "weight": 0}], "versions[1].weight"),
        ([{"number": "7", "weight": 100}], "versions[0].number"),
        ([{"number": 7, "weight": True}], "versions[0].weight"),
        ([{"number": 7, "weight": 101}], "versions[0].weight"),
        ([{"number": 2**31, "weight": 100}], "versions[0].number"),
        (["7:100"], "versions[0]"),
        ([{"number": n, "weight": 1} for n in range(1, 12)], "versions"),
    ],
)
def test_a_bad_request_names_the_field(versions: Any, path: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        wanted_shares(versions)
    assert caught.value.details[0].path == path


def test_pairs_from_the_command_line() -> None:
    assert parse_pairs(["7:90", "8:10"]) == [
        {"number": 7, "weight": 90},
        {"number": 8, "weight": 10},
    ]
    with pytest.raises(ValidationFailed) as caught:
        parse_pairs(["7:90", "eight"])
    assert caught.value.details[0].path == "versions[1]"
