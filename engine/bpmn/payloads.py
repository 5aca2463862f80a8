"""Payload schemas of messages: a bundle's manifest may give the JSON Schema (draft 2020-12)
the payload of a message its diagrams declare must fit:

    "messages": {"crm_update": {"schema": "crm_update.payload.json"}}

Deploy refuses a section naming a message no ``bpmn:message`` of the bundle declares, a file
that is not in the bundle, and a file that is not a JSON Schema object. Inbound messages are
checked against the schemas at the door (``engine/events/known.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from engine.bpmn.namespaces import BPMN_NS

MESSAGES_KEY = "messages"
MANIFEST = "cuebook.json"
BPMN_MESSAGE = f"{{{BPMN_NS}}}message"

Problem = tuple[str, str, str]  # file, element (the message's name), what is wrong


def declared_messages(roots: Iterable[Any]) -> set[str]:
    """The names of the ``bpmn:message`` elements of these BPMN trees."""
    names = {m.get("name") or "" for root in roots for m in root.iter(BPMN_MESSAGE)}
    names.discard("")
    return names


def load_payload_schemas(
    files: Mapping[str, bytes], manifest: Mapping[str, Any], declared: set[str]
) -> tuple[dict[str, dict[str, Any]], list[Problem]]:
    """The payload schema of each message the manifest gives one for, and the problems."""
    section = manifest.get(MESSAGES_KEY)
    if section is None:
        return {}, []
    if not isinstance(section, dict):
        return {}, [(MANIFEST, MESSAGES_KEY, "must be an object keyed by message name")]
    schemas: dict[str, dict[str, Any]] = {}
    problems: list[Problem] = []
    for name, entry in section.items():
        schema, problem = _schema(files, declared, name, entry)
        if problem is not None:
            problems.append(problem)
        elif schema is not None:
            schemas[name] = schema
    return schemas, problems


def _schema(
    files: Mapping[str, bytes], declared: set[str], name: str, entry: Any
) -> tuple[dict[str, Any] | None, Problem | None]:
    where = f"{MESSAGES_KEY}.{name}"
    if name not in declared:
        return None, (MANIFEST, where, f"no bpmn:message named {name!r} in the bundle")
    file = entry.get("schema") if isinstance(entry, dict) else None
    if not isinstance(file, str) or not file:
        return None, (MANIFEST, where, 'needs "schema": the name of a JSON Schema file')
    if file not in files:
        return None, (MANIFEST, where, f"schema file {file!r} is not in the bundle")
    try:
        schema = json.loads(files[file].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, (file, name, f"not valid JSON: {exc}")
    if not isinstance(schema, dict):
        return None, (file, name, "a payload schema must be a JSON object")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        path = "/".join(str(p) for p in exc.path)
        return None, (file, name, f"invalid JSON Schema at '{path}': {exc.message}")
    return schema, None


def payload_schema_problems(
    files: Mapping[str, bytes], manifest: Mapping[str, Any], roots: Iterable[Any]
) -> list[Problem]:
    """What deploy refuses in the manifest's ``messages`` section."""
    return load_payload_schemas(files, manifest, declared_messages(roots))[1]
