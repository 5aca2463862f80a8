"""Payload schemas of messages, given in a bundle's manifest: checked at deploy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.bpmn.bundle import bundle_from_files
from engine.bpmn.compiler import compile_bundle
from engine.errors import ValidationFailed

FOLDER = Path(__file__).resolve().parents[1] / "fixtures" / "bundles" / "message_schema"
SAMPLE = Path(__file__).resolve().parents[2] / "bpmn" / "ticket_routing"


def _files(**replace: object) -> dict[str, bytes]:
    files = {p.name: p.read_bytes() for p in FOLDER.iterdir()}
    for name, value in replace.items():
        files[name.replace("__", ".")] = (
            value if isinstance(value, bytes) else json.dumps(value).encode()
        )
    return files


def _problems(files: dict[str, bytes]) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        compile_bundle(bundle_from_files(files))
    return {d.path: d.message for d in caught.value.details}


def _manifest(messages: object) -> dict[str, object]:
    return {"primary_process_id": "message_schema", "messages": messages}


def test_the_fixture_and_the_sample_compile() -> None:
    compile_bundle(bundle_from_files(_files()))
    compile_bundle(bundle_from_files({p.name: p.read_bytes() for p in SAMPLE.iterdir()}))


def test_a_message_no_diagram_declares_is_refused() -> None:
    files = _files(cuebook__json=_manifest({"order_payd": {"schema": "order_paid.payload.json"}}))
    assert _problems(files) == {
        "cuebook.json#messages.order_payd": "no bpmn:message named 'order_payd' in the bundle"
    }


def test_a_missing_file_and_a_bad_entry_are_refused() -> None:
    missing = _files(cuebook__json=_manifest({"order_paid": {"schema": "nope.json"}}))
    assert _problems(missing) == {
        "cuebook.json#messages.order_paid": "schema file 'nope.json' is not in the bundle"
    }
    bad_entry = _files(cuebook__json=_manifest({"order_paid": "order_paid.payload.json"}))
    assert list(_problems(bad_entry)) == ["cuebook.json#messages.order_paid"]
    not_object = _files(cuebook__json=_manifest(["order_paid"]))
    assert list(_problems(not_object)) == ["cuebook.json#messages"]


def test_a_file_that_is_no_json_schema_is_refused() -> None:
    broken = _files(order_paid__payload__json={"type": "objekt"})
    [(path, message)] = _problems(broken).items()
    assert path == "order_paid.payload.json#order_paid"
    assert message.startswith("invalid JSON Schema at 'type'")
    not_json = _files(order_paid__payload__json=b"{oops")
    [(path, message)] = _problems(not_json).items()
    assert path == "order_paid.payload.json#order_paid" and "not valid JSON" in message
