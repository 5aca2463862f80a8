"""The command line: validate, deploy, tokens, and a chat over a real HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from werkzeug.serving import make_server

from cuebook.cli import main
from engine.persistence.signals import SignalWaits
from tests.conftest import BUNDLES, SAMPLES
from tests.support.waiting import wait_until


def test_validate_ok_and_problems(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["validate", "--offline", str(SAMPLES / "internet_outage")])
    assert ok.exit_code == 0, ok.output
    bad = tmp_path / "bad"
    bad.mkdir()
    for f in (BUNDLES / "menu_loop").iterdir():
        (bad / f.name).write_bytes(f.read_bytes())
    text = (bad / "menu_loop.bpmn").read_text()
    text = text.replace("turns = turns + 1", "turns = ().__class__")
    text = text.replace("menu.schema.json", "nowhere.json")
    text = text.replace("choice == 'again'", "choice ==")
    (bad / "menu_loop.bpmn").write_text(text)
    result = runner.invoke(main, ["validate", "--offline", str(bad)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert any(
        line.startswith("menu_loop.bpmn: count: script:") and "__class__" in line for line in lines
    )
    assert any(
        line.startswith("menu_loop.bpmn: menu:") and "nowhere.json" in line for line in lines
    )
    assert any(line.startswith("menu_loop.bpmn: f4: condition:") for line in lines)
    assert "Traceback" not in result.output
    unsupported = bad / "menu_loop.bpmn"
    unsupported.write_text(
        (BUNDLES / "menu_loop" / "menu_loop.bpmn")
        .read_text()
        .replace(
            '<bpmn:userTask id="name"',
            '<bpmn:adHocSubProcess id="any_order"/><bpmn:userTask id="name"',
        )
    )
    result = runner.invoke(main, ["validate", "--offline", str(bad)])
    assert result.exit_code == 1
    assert "menu_loop.bpmn: any_order: unsupported BPMN element bpmn:adHocSubProcess" in (
        result.output
    )
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "x.bpmn").write_text("<not xml")
    result = runner.invoke(main, ["validate", "--offline", str(garbage)])
    assert result.exit_code == 1 and "x.bpmn" in result.output and "Traceback" not in result.output


@pytest.fixture()
def cli_env(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUEBOOK_DATABASE_URL", settings.database_url)
    if settings.database_schema:
        monkeypatch.setenv("CUEBOOK_DATABASE_SCHEMA", settings.database_schema)
    monkeypatch.setenv("CUEBOOK_SECRET_KEY", "test")
    monkeypatch.setenv("CUEBOOK_VAR_DIR", str(settings.var_dir))


@pytest.fixture()
def server(app: Any) -> Iterator[str]:
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()


def test_deploy_publish_token_and_chat(cli_env: None, server: str, key: str) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["deploy", str(SAMPLES / "chat_bot"), "--script", key])
    assert first.exit_code == 0, first.output
    assert "version 1 created" in first.output
    again = runner.invoke(main, ["deploy", str(SAMPLES / "chat_bot"), "--script", key])
    assert "nothing new" in again.output
    published = runner.invoke(main, ["publish", key, "1"])
    assert published.exit_code == 0 and "published" in published.output
    missing = runner.invoke(main, ["publish", key, "7"])
    assert missing.exit_code == 1 and "no version 7" in missing.output
    token = runner.invoke(main, ["token", "create", "--role", "bot", "--name", "cli"])
    assert token.exit_code == 0
    value = token.output.strip()
    assert value.startswith("cb_") and "\n" not in value
    talk = runner.invoke(
        main, ["chat", key, "--api", server, "--token", value], input="баланс\nнет\n"
    )
    assert talk.exit_code == 0, talk.output
    assert "[1]" in talk.output
    assert "completed" in talk.output.splitlines()[-1]


def test_chat_waits_for_an_event_then_goes_on(
    cli_env: None, server: str, key: str, tokens: dict[str, str], services: Any
) -> None:
    """A conversation waiting for a signal is read again until the signal moves it; the
    end of the person's input ends the chat quietly."""
    runner = CliRunner()
    deployed = runner.invoke(main, ["deploy", str(SAMPLES / "mass_outage"), "--script", key])
    assert deployed.exit_code == 0, deployed.output
    assert runner.invoke(main, ["publish", key, "1"]).exit_code == 0

    def waiting_one() -> bool:
        with services.database.unit_of_work() as uow:
            return bool(SignalWaits(uow.conn).waiting("outage_fixed", key))

    def fix_the_outage() -> None:
        wait_until(waiting_one, "a session waiting for the signal", timeout=20)
        httpx.post(
            f"{server}/api/v1/signals/outage_fixed",
            json={"script": key, "payload": {"district": "Северный"}},
            headers={"Authorization": f"Bearer {tokens['admin']}"},
            timeout=10,
        )

    fixer = threading.Thread(target=fix_the_outage, daemon=True)
    fixer.start()
    talk = runner.invoke(
        main,
        ["chat", key, "--api", server, "--token", tokens["bot"]],
        input="ок\nок\nда\n",  # then the input ends at the second device
    )
    fixer.join(timeout=25)
    assert talk.exit_code == 0, talk.output
    assert "waiting for an event" in talk.output
    assert "Связь в районе Северный восстановлена" in talk.output
    assert "Пункт 2 из 2." in talk.output and "error" not in talk.output


def test_integrations_import_and_export(cli_env: None, tmp_path: Path) -> None:
    name = f"tariff_{Path(tmp_path).name[-6:].replace('-', '_')}"
    source = tmp_path / "functions.yaml"
    source.write_text(
        f"""
- name: {name}
  description: Read a customer's tariff
  version: 1
  parameters:
    - name: customer
      type: string
  request:
    url: https://crm.example.com/customers/{{{{ customer }}}}/tariff
  response:
    results:
      tariff: data.tariff
"""
    )
    runner = CliRunner()
    imported = runner.invoke(main, ["integrations", "import", str(source)])
    assert imported.exit_code == 0, imported.output
    assert f"{name}: version 1" in imported.output
    exported = runner.invoke(main, ["integrations", "export", "--format", "json"])
    assert exported.exit_code == 0, exported.output
    assert f'"name": "{name}"' in exported.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("- name: x\n  parameters: 5\n")
    failed = runner.invoke(main, ["integrations", "import", str(broken)])
    assert failed.exit_code == 1 and "parameters" in failed.output


def test_validate_checks_service_tasks_against_the_registry(cli_env: None) -> None:
    result = CliRunner().invoke(main, ["validate", str(BUNDLES / "service_tasks")])
    assert result.exit_code == 1
    assert "service_tasks.bpmn: check: unknown integration function 'check_outage'" in result.output
