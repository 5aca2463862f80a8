"""Settings come from the environment, with an embedded default for a first run."""

from __future__ import annotations

from pathlib import Path

from cuebook.settings import Settings
from cuebook.wiring import build_services
from engine.model import Option, Step
from engine.replies import interpret_text


def test_defaults_are_the_embedded_sqlite_file(tmp_path: Path) -> None:
    settings = Settings.from_env({"CUEBOOK_VAR_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'cuebook.db'}"
    assert settings.is_sqlite
    assert len(settings.secret_key) == 64
    assert Settings.from_env({"CUEBOOK_VAR_DIR": str(tmp_path)}).secret_key == settings.secret_key


def test_person_phrases_are_configurable(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"CUEBOOK_VAR_DIR": str(tmp_path), "CUEBOOK_PERSON_PHRASES": "супервайзер, manager please"}
    )
    services = build_services(settings)
    try:
        policy = services.engine.policy
        assert policy.person_phrases == ("супервайзер", "manager please")
        step = Step(id="menu", kind="choice", options=(Option("a", "Баланс"),), field="choice")
        assert interpret_text(step, "дайте супервайзера", policy).wants_person
        assert not interpret_text(step, "оператор", policy).wants_person
    finally:
        services.invoker.close()
        services.database.dispose()
