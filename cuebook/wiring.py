"""Build the services once per process from settings."""

from __future__ import annotations

from datetime import UTC, datetime

from cuebook.settings import Settings
from engine.bpmn.runner import Runner
from engine.bpmn.sandbox import make_script_engine
from engine.persistence.database import Database
from engine.sessions import Engine
from engine.templates import TemplateRenderer
from engine.versions import SpecCache
from web.context import Services


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_services(settings: Settings) -> Services:
    database = Database(settings.database_url, schema=settings.database_schema)
    runner = Runner(make_script_engine, TemplateRenderer())
    engine = Engine(runner=runner, specs=SpecCache(), clock=utc_now)
    return Services(database=database, engine=engine, settings=settings)
