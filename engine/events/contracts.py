"""Event contracts: one JSON Schema per event type and schema version.

The schemas live beside this module in ``schemas/`` as ``{type}.v{version}.json`` (they ship
with the package and are served at ``GET /api/v1/events/schemas``). Each describes the
whole envelope ``{event_id, type, schema_version, occurred_at, key, data}`` of one type, so a
consumer validates an event with one schema and no references. A change that a consumer
could trip on (a field removed, renamed or retyped) is a new version: a new file beside the
old one, and the events written with it carry the new ``schema_version``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SCHEMAS = Path(__file__).parent / "schemas"


@dataclass(frozen=True)
class Contract:
    """The schema of one event type at one version."""

    type: str
    version: int
    schema: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "schema_version": self.version, "schema": self.schema}


@cache
def contracts() -> dict[tuple[str, int], Contract]:
    """Every contract in ``schemas/``, by (type, version); read once per process."""
    found: dict[tuple[str, int], Contract] = {}
    for path in sorted(SCHEMAS.glob("*.v*.json")):
        kind, _, version = path.name.removesuffix(".json").rpartition(".v")
        schema = json.loads(path.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        found[(kind, int(version))] = Contract(kind, int(version), schema)
    return found


@cache
def _validator(kind: str, version: int) -> Draft202012Validator | None:
    contract = contracts().get((kind, version))
    if contract is None:
        return None
    return Draft202012Validator(contract.schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def problems(event: Any) -> list[str]:
    """What is wrong with an event against its contract ([] when it fits): no contract for
    its type and version, or each place where it breaks the schema."""
    if not isinstance(event, dict):
        return ["an event is a JSON object"]
    kind, version = event.get("type"), event.get("schema_version")
    if not isinstance(kind, str) or not isinstance(version, int):
        return ["an event names its type (a string) and schema_version (an integer)"]
    validator = _validator(kind, version)
    if validator is None:
        return [f"no schema for event type {kind!r} version {version}"]
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(event)'}: {error.message}"
        for error in sorted(validator.iter_errors(event), key=lambda e: list(e.absolute_path))
    ]
