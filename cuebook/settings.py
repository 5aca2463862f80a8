"""Settings from the environment (``CUEBOOK_*``), with an embedded default for a first run."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cuebook.logs import log_format
from engine.language import DEFAULT_LANGUAGE, SUPPORTED, normalise
from engine.operators.model import STRATEGIES, OperatorSettings

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


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a number of seconds") from None
    if seconds < 0:
        raise ValueError(f"{name}={value!r} must not be negative")
    return seconds


@dataclass(frozen=True)
class EventSettings:
    """Events in and out (``CUEBOOK_KAFKA_*``, ``CUEBOOK_*_RETENTION``, seconds)."""

    inbound_topic: str = "cuebook.inbound"
    group: str = "cuebook"
    topic_prefix: str = "cuebook."
    early_message_ttl: float = 3600.0  # an early message waits this long for its session
    delivery_attempts: int = 3  # then a message whose delivery fails is a dead letter
    outbox_retention: float = 7 * 86400.0  # published events are kept this long (0: for ever)
    seen_retention: float = 7 * 86400.0  # message ids are remembered this long
    consumer_session_timeout_ms: int = 10_000

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> EventSettings:
        return cls(
            inbound_topic=env.get("CUEBOOK_KAFKA_INBOUND_TOPIC") or "cuebook.inbound",
            group=env.get("CUEBOOK_KAFKA_GROUP") or "cuebook",
            topic_prefix=env.get("CUEBOOK_KAFKA_TOPIC_PREFIX") or "cuebook.",
            early_message_ttl=_seconds(env, "CUEBOOK_EARLY_MESSAGE_TTL", 3600.0),
            delivery_attempts=max(1, int(env.get("CUEBOOK_MESSAGE_DELIVERY_ATTEMPTS") or 3)),
            outbox_retention=_seconds(env, "CUEBOOK_OUTBOX_RETENTION", 7 * 86400.0),
            seen_retention=_seconds(env, "CUEBOOK_MESSAGE_ID_RETENTION", 7 * 86400.0),
            consumer_session_timeout_ms=int(env.get("CUEBOOK_KAFKA_SESSION_TIMEOUT_MS") or 10_000),
        )


def operator_settings(env: Mapping[str, str]) -> OperatorSettings:
    """Assignment by offers: ``CUEBOOK_OFFER_TIMEOUT`` (seconds to accept, 20),
    ``CUEBOOK_HEARTBEAT_TIMEOUT`` (seconds of silence before offline, 90),
    ``CUEBOOK_ASSIGNMENT_STRATEGY`` (longest_idle | least_loaded),
    ``CUEBOOK_OFFER_DECLINE_COOLDOWN`` (seconds before a declined item is offered to the
    same operator again, 300), ``CUEBOOK_OFFER_STREAM_SECONDS`` (one event stream's length,
    25)."""
    strategy = env.get("CUEBOOK_ASSIGNMENT_STRATEGY", "").strip() or "longest_idle"
    if strategy not in STRATEGIES:
        raise ValueError(
            f"CUEBOOK_ASSIGNMENT_STRATEGY={strategy!r}: use one of {', '.join(STRATEGIES)}"
        )
    return OperatorSettings(
        offer_timeout=_seconds(env, "CUEBOOK_OFFER_TIMEOUT", 20.0),
        heartbeat_timeout=_seconds(env, "CUEBOOK_HEARTBEAT_TIMEOUT", 90.0),
        strategy=strategy,
        decline_cooldown=_seconds(env, "CUEBOOK_OFFER_DECLINE_COOLDOWN", 300.0),
        stream_seconds=_seconds(env, "CUEBOOK_OFFER_STREAM_SECONDS", 25.0) or 25.0,
    )


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
    events: EventSettings = field(default_factory=lambda: EventSettings())
    db_pool_size: int = 5
    precompile_every: float = 1.0  # CUEBOOK_PRECOMPILE_EVERY; 0: no precompiler
    person_phrases: tuple[str, ...] = ()
    default_language: str = DEFAULT_LANGUAGE
    ticket_script: str = "ticket_routing"
    abandoned_after: float = 1800.0  # a waiting session untouched this long counts abandoned
    log_format: str = "text"  # CUEBOOK_LOG_FORMAT: text, or json (one object per line)
    operators: OperatorSettings = field(default_factory=OperatorSettings)
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
            events=EventSettings.from_env(env),
            db_pool_size=int(env.get("CUEBOOK_DB_POOL_SIZE", "5")),
            precompile_every=_seconds(env, "CUEBOOK_PRECOMPILE_EVERY", 1.0),
            person_phrases=tuple(
                p.strip() for p in env.get("CUEBOOK_PERSON_PHRASES", "").split(",") if p.strip()
            ),
            default_language=_language(env.get("CUEBOOK_DEFAULT_LANGUAGE", "")),
            ticket_script=env.get("CUEBOOK_TICKET_SCRIPT") or "ticket_routing",
            abandoned_after=_seconds(env, "CUEBOOK_ABANDONED_AFTER", 1800.0),
            log_format=log_format(env.get("CUEBOOK_LOG_FORMAT")),
            operators=operator_settings(env),
            env=env,
        )
