"""Settings from the environment (``CUEBOOK_*``), with an embedded default for a first run."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from engine.language import DEFAULT_LANGUAGE, SUPPORTED, normalise

DEFAULT_DB = "sqlite:///var/cuebook.db"


def _secret_key(env: Mapping[str, str], var_dir: Path) -> str:
    if env.get("CUEBOOK_SECRET_KEY"):
        return env["CUEBOOK_SECRET_KEY"]
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _language(value: str) -> str:
    """``CUEBOOK_DEFAULT_LANGUAGE``: the player's screens when the browser names no language
    Cuebook speaks, and scripts whose manifest names none. English when unset."""
    if not value.strip():
        return DEFAULT_LANGUAGE
    code = normalise(value)
    if code is None:
        raise ValueError(
            f"CUEBOOK_DEFAULT_LANGUAGE={value!r} is not supported; use one of "
            + ", ".join(SUPPORTED)
        )
    return code


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DB
    database_schema: str | None = None
    secret_key: str = ""
    var_dir: Path = Path("var")
    samples_dir: Path = Path("bpmn")
    max_body_bytes: int = 1 << 20
    max_upload_bytes: int = 20 << 20
    cors_origins: tuple[str, ...] = ()
    integration_allowed_hosts: str = ""
    kafka_bootstrap: str | None = None
    db_pool_size: int = 5
    person_phrases: tuple[str, ...] = ()
    default_language: str = DEFAULT_LANGUAGE
    ticket_script: str = "ticket_routing"
    env: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        var_dir = Path(env.get("CUEBOOK_VAR_DIR", "var"))
        url = env.get("CUEBOOK_DATABASE_URL") or f"sqlite:///{var_dir / 'cuebook.db'}"
        return cls(
            database_url=url,
            database_schema=env.get("CUEBOOK_DATABASE_SCHEMA") or None,
            secret_key=_secret_key(env, var_dir),
            var_dir=var_dir,
            samples_dir=Path(env.get("CUEBOOK_SAMPLES_DIR", "bpmn")),
            max_body_bytes=int(env.get("CUEBOOK_MAX_BODY_BYTES", str(1 << 20))),
            max_upload_bytes=int(env.get("CUEBOOK_MAX_UPLOAD_BYTES", str(20 << 20))),
            cors_origins=tuple(
                o.strip() for o in env.get("CUEBOOK_CORS_ORIGINS", "").split(",") if o.strip()
            ),
            integration_allowed_hosts=env.get("CUEBOOK_INTEGRATION_ALLOWED_HOSTS", ""),
            kafka_bootstrap=env.get("CUEBOOK_KAFKA_BOOTSTRAP") or None,
            db_pool_size=int(env.get("CUEBOOK_DB_POOL_SIZE", "5")),
            person_phrases=tuple(
                p.strip() for p in env.get("CUEBOOK_PERSON_PHRASES", "").split(",") if p.strip()
            ),
            default_language=_language(env.get("CUEBOOK_DEFAULT_LANGUAGE", "")),
            ticket_script=env.get("CUEBOOK_TICKET_SCRIPT") or "ticket_routing",
            env=env,
        )
