"""The services a request works with, stored on the Flask app by the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g

from engine.persistence.database import Database
from engine.sessions import Actor, Engine


@dataclass
class Services:
    database: Database
    engine: Engine
    settings: Any
    extras: dict[str, Any] = field(default_factory=dict)


def services() -> Services:
    return current_app.extensions["cuebook"]  # type: ignore[no-any-return]


def actor() -> Actor:
    return g.cuebook_actor  # type: ignore[no-any-return]
