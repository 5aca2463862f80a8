"""The event contracts: well-formed schemas named after their type, examples that fit, docs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from engine.events.contracts import SCHEMAS, contracts, problems
from engine.outbox import SCHEMA_VERSION, event_row

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events.md"
ENVELOPE = ["event_id", "type", "schema_version", "occurred_at", "key", "data"]


def test_every_schema_file_is_a_contract_named_after_its_type() -> None:
    files = sorted(p.name for p in SCHEMAS.glob("*.json"))
    assert files and len(files) == len(contracts())
    for (kind, version), contract in contracts().items():
        schema = contract.schema
        assert schema["title"] == kind
        assert schema["$id"] == f"urn:cuebook:event:{kind}:{version}"
        assert schema["required"] == ENVELOPE
        assert schema["properties"]["type"] == {"const": kind}
        assert schema["properties"]["schema_version"] == {"const": version}
        assert schema["properties"]["data"]["additionalProperties"] is False


def test_every_example_fits_and_is_documented() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    for (kind, version), contract in contracts().items():
        assert contract.schema["examples"], f"{kind} has no example"
        for example in contract.schema["examples"]:
            assert problems(example) == [], kind
        assert f"### `{kind}`" in docs, f"docs/events.md does not describe {kind}"
        example = json.dumps(contract.schema["examples"][0], indent=2, ensure_ascii=False)
        assert example in docs, f"docs/events.md lacks the example of {kind} v{version}"


def test_an_event_row_fits_its_contract_and_a_wrong_one_is_named() -> None:
    now = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    row = event_row("session.went_back", "sid-1", {"script": "s", "from": "b", "to": "a"}, now)
    event = json.loads(row["payload"])
    assert event["schema_version"] == SCHEMA_VERSION
    assert problems(event) == []

    event["data"]["extra"] = 1
    del event["data"]["to"]
    assert sorted(problems(event)) == [
        "data: 'to' is a required property",
        "data: Additional properties are not allowed ('extra' was unexpected)",
    ]
    assert problems({**event, "type": "session.unknown"}) == [
        "no schema for event type 'session.unknown' version 1"
    ]
    assert problems({**event, "schema_version": 9})[0].startswith("no schema for event type")
