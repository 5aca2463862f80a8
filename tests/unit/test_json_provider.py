"""The API's JSON is written by orjson exactly as Flask's own provider writes it."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from web.json_provider import OrjsonProvider


@dataclasses.dataclass
class _Point:
    x: int
    label: str


def _both() -> tuple[DefaultJSONProvider, OrjsonProvider]:
    app = Flask(__name__)
    default = DefaultJSONProvider(app)
    default.ensure_ascii = False
    default.sort_keys = False
    return default, OrjsonProvider(app)


def test_writes_what_flask_writes() -> None:
    default, fast = _both()
    value: dict[str, Any] = {
        "text": 'Здравствуйте, <b>&</b> "quoted" \\ \u2028',
        "numbers": [0, -1, 2**62, 1.5, 123456.789, 0.1 + 0.2],
        "nested": {"z": None, "a": [True, False, {}], "кириллица": []},
        "when": datetime(2024, 5, 1, 10, 30, tzinfo=UTC),
        "day": date(2024, 5, 1),
        "id": uuid.UUID(int=7),
        "amount": Decimal("10.50"),
        "point": _Point(1, "one"),
        1: "an integer key",
    }
    for kwargs in ({}, {"separators": (",", ":")}):
        assert fast.dumps(value, **kwargs) == default.dumps(value, **kwargs)


def test_an_exponent_may_be_spelled_otherwise() -> None:
    default, fast = _both()
    value = {"small": 1e-7, "large": 1e22}
    assert json.loads(fast.dumps(value, separators=(",", ":"))) == json.loads(
        default.dumps(value, separators=(",", ":"))
    )


def test_what_orjson_does_not_write_goes_to_flask() -> None:
    default, fast = _both()
    huge = {"n": 2**80}
    assert fast.dumps(huge) == default.dumps(huge)
    assert fast.dumps({"a": 1}, indent=2) == default.dumps({"a": 1}, indent=2)
