"""Which version a new session starts on: the published one, or a canary split by weight.

A split is a list of shares (version number, weight in percent, version id), the weights
summing to 100, kept as JSON beside the script's published version (``scripts.release_split``)
so a start still reads one row. A session key is hashed with the script's key into one of
``BUCKETS`` buckets; shares take consecutive bucket ranges in version order, so the same
caller always lands on the same version, and raising a newer version's weight keeps the
callers it already had. A start without a session key draws a bucket at random.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from engine.errors import Detail, ValidationFailed

BUCKETS = 10_000
MAX_SHARES = 10
MAX_NUMBER = 2**31 - 1  # version numbers are 32-bit integers in the database


@dataclass(frozen=True)
class Share:
    """One version's part of a release."""

    number: int
    weight: int
    version_id: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"number": self.number, "weight": self.weight}


def split_json(shares: tuple[Share, ...]) -> str:
    """The stored form of a split (shares in version order)."""
    return json.dumps(
        [
            {"number": s.number, "weight": s.weight, "version_id": s.version_id}
            for s in sorted(shares, key=lambda s: s.number)
        ],
        separators=(",", ":"),
    )


@lru_cache(maxsize=1024)
def read_split(text: str) -> tuple[Share, ...]:
    """A stored split, in version order (parsed once per distinct text)."""
    return tuple(
        sorted(
            (Share(int(s["number"]), int(s["weight"]), int(s.get("version_id", 0)))
             for s in json.loads(text)),
            key=lambda s: s.number,
        )
    )  # fmt: skip


def main_share(shares: tuple[Share, ...]) -> Share:
    """The version a split mostly serves (the heaviest; the older one on a tie): it is the
    script's ``published_version`` while the split lasts."""
    return max(shares, key=lambda s: (s.weight, -s.number))


def bucket_of(script: str, session_key: str) -> int:
    """A stable bucket in [0, BUCKETS) for a caller of a script."""
    digest = hashlib.blake2b(f"{script}\x1f{session_key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % BUCKETS


def share_for(shares: tuple[Share, ...], bucket: int) -> Share:
    """The share whose bucket range holds ``bucket`` (ranges in version order)."""
    edge = 0
    for share in shares:
        edge += share.weight * BUCKETS // 100
        if bucket < edge:
            return share
    return shares[-1]


def chosen_version(
    release: Any, session_key: str | None, draw: Callable[[int], int] = random.randrange
) -> Any:
    """The version a new session of ``release`` (a row of ``published_version_id``) starts
    on: the published one, or its share of the split for this session key."""
    if release is None or not release["release_split"]:
        return release
    shares = read_split(release["release_split"])
    bucket = bucket_of(release["key"], session_key) if session_key else draw(BUCKETS)
    share = share_for(shares, bucket)
    return {
        "script_id": release["script_id"],
        "key": release["key"],
        "version_id": share.version_id,
        "number": share.number,
    }


def wanted_shares(versions: Any) -> tuple[Share, ...]:
    """A release request's ``versions`` read and checked (422 naming the field): 1 to
    ``MAX_SHARES`` distinct version numbers, whole weights from 1 to 100 summing to 100."""
    if not isinstance(versions, list) or not versions:
        raise ValidationFailed(
            "versions must be a non-empty list of {number, weight}",
            [Detail("versions", "must be a non-empty list")],
        )
    if len(versions) > MAX_SHARES:
        raise ValidationFailed(
            f"a release splits between at most {MAX_SHARES} versions",
            [Detail("versions", f"at most {MAX_SHARES} versions")],
        )
    shares = [_share(item, f"versions[{i}]") for i, item in enumerate(versions)]
    seen: set[int] = set()
    for i, share in enumerate(shares):
        if share.number in seen:
            raise ValidationFailed(
                f"version {share.number} is listed twice",
                [Detail(f"versions[{i}].number", "listed twice")],
            )
        seen.add(share.number)
    total = sum(s.weight for s in shares)
    if total != 100:
        raise ValidationFailed(
            f"weights must sum to 100 (they sum to {total})",
            [Detail("versions", f"weights sum to {total}, not 100")],
        )
    return tuple(sorted(shares, key=lambda s: s.number))


def _share(item: Any, path: str) -> Share:
    if not isinstance(item, dict):
        raise ValidationFailed(
            f"{path} must be an object {{number, weight}}", [Detail(path, "must be an object")]
        )
    values: dict[str, int] = {}
    for name, low in (("number", 1), ("weight", 1)):
        value = item.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ValidationFailed(
                f"{path}.{name} must be a whole number from {low}",
                [Detail(f"{path}.{name}", f"must be a whole number from {low}")],
            )
        values[name] = value
    if values["number"] > MAX_NUMBER:
        raise ValidationFailed(
            f"{path}.number is not a version number",
            [Detail(f"{path}.number", f"at most {MAX_NUMBER}")],
        )
    if values["weight"] > 100:
        raise ValidationFailed(
            f"{path}.weight must be at most 100", [Detail(f"{path}.weight", "at most 100")]
        )
    return Share(values["number"], values["weight"])


def parse_pairs(pairs: list[str]) -> list[dict[str, int]]:
    """``NUMBER:WEIGHT`` words (the CLI's form) as a request's ``versions``."""
    out: list[dict[str, int]] = []
    for i, pair in enumerate(pairs):
        number, sep, weight = pair.partition(":")
        if not sep or not number.strip().isdigit() or not weight.strip().isdigit():
            raise ValidationFailed(
                f"{pair!r}: write NUMBER:WEIGHT, e.g. 7:90",
                [Detail(f"versions[{i}]", "write NUMBER:WEIGHT")],
            )
        out.append({"number": int(number), "weight": int(weight)})
    return out
