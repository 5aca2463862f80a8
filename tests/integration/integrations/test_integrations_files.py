"""Function files (YAML / JSON) and secrets files on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from integrations import SpecInvalid, dump_functions, load_functions_file, parse_function
from integrations.errors import SecretMissing
from integrations.secret_store import SecretsFileInvalid, SecretStore

YAML_LIST = """
- name: outage_check
  parameters:
    - {name: address_id, type: string}
  request:
    url: "https://api.example.com/outages/{{ address_id }}"
  response:
    results: {active: "data.active"}
- name: open_ticket
  parameters:
    - {name: text, type: string}
  request:
    method: POST
    url: https://crm.example.com/tickets
    body: {text: "{{ text }}"}
"""


def test_yaml_list_and_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "functions.yaml"
    path.write_text(YAML_LIST, encoding="utf-8")
    specs = load_functions_file(path)
    assert [s.name for s in specs] == ["outage_check", "open_ticket"]

    for fmt, suffix in (("yaml", ".yml"), ("json", ".json")):
        again = tmp_path / f"again{suffix}"
        again.write_text(dump_functions(specs, fmt), encoding="utf-8")
        assert load_functions_file(again) == specs


def test_single_function_json(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"name": "ping", "request": {"url": "http://h/ping"}}))
    assert load_functions_file(path) == [
        parse_function({"name": "ping", "request": {"url": "http://h/ping"}})
    ]


def test_errors_name_the_file_and_the_path(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    broken = YAML_LIST.replace("{{ text }}", "{{ txt }}").replace("type: string", "type: strng", 1)
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(SpecInvalid) as caught:
        load_functions_file(path)
    error = caught.value
    assert error.source == str(path)
    assert str(path) in str(error)
    problems = dict(error.problems)
    assert "[0].parameters[0].type" in problems
    assert problems["[1].request.body.text"] == "unknown name 'txt': not a declared parameter"


def test_duplicate_names_in_one_file(tmp_path: Path) -> None:
    path = tmp_path / "dupes.yaml"
    path.write_text(YAML_LIST.replace("open_ticket", "outage_check"), encoding="utf-8")
    with pytest.raises(SpecInvalid) as caught:
        load_functions_file(path)
    assert "duplicate" in dict(caught.value.problems)["[1].name"]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("bad.yaml", "- name: [unclosed", "not valid YAML at line 1"),
        ("bad.json", '{"name": ', "not valid JSON at line 1"),
        ("scalar.yaml", "just text", "expected a function"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, text: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecInvalid, match=expected) as caught:
        load_functions_file(path)
    assert caught.value.source == str(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpecInvalid, match="cannot read"):
        load_functions_file(tmp_path / "absent.yaml")


def test_unknown_dump_format() -> None:
    with pytest.raises(ValueError, match="xml"):
        dump_functions([], "xml")


def test_secrets_file_in_lines_and_json(tmp_path: Path) -> None:
    lines = tmp_path / "secrets.env"
    lines.write_text(
        '# CRM access\nCRM_TOKEN=abc=def\nCUEBOOK_SECRET_QUOTED="with space"\n\n',
        encoding="utf-8",
    )
    store = SecretStore({"CUEBOOK_SECRET_CRM_TOKEN": "from-env"}, lines)
    assert store.get("CRM_TOKEN") == "from-env"
    assert store.get("QUOTED") == "with space"
    with pytest.raises(SecretMissing) as caught:
        store.get("NOPE")
    assert "NOPE" in str(caught.value) and str(lines) in str(caught.value)

    as_json = tmp_path / "secrets.json"
    as_json.write_text(json.dumps({"CRM_TOKEN": "j"}), encoding="utf-8")
    assert SecretStore.from_env({"CUEBOOK_SECRETS_FILE": str(as_json)}).get("CRM_TOKEN") == "j"
    as_json.write_text(json.dumps({"CRM_TOKEN": "rotated"}), encoding="utf-8")
    store = SecretStore({}, as_json)
    as_json.write_text(json.dumps({"CRM_TOKEN": "rotated-again"}), encoding="utf-8")
    store.reload()
    assert store.get("CRM_TOKEN") == "rotated-again"


def test_bad_secrets_file_never_shows_values(tmp_path: Path) -> None:
    path = tmp_path / "secrets.env"
    path.write_text("GOOD=hidden-value\nthis line has no equals hidden-value\n", encoding="utf-8")
    with pytest.raises(SecretsFileInvalid) as caught:
        SecretStore({}, path)
    assert "line 2" in str(caught.value)
    assert "hidden-value" not in str(caught.value)
