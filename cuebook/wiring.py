"""Build the services once per process from settings."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

from cuebook.settings import Settings
from engine.bpmn.compiler import FunctionInfo
from engine.bpmn.runner import Runner
from engine.bpmn.sandbox import make_script_engine
from engine.builtin_functions import BuiltinFunctions
from engine.events.early import early_delivery
from engine.functions import FunctionCatalog
from engine.metrics import count_database_errors
from engine.operators import build_workspace
from engine.operators.callback_firing import SCHEDULE_CALLBACK, callback_scheduler
from engine.persistence.database import Database
from engine.replies import ReplyPolicy
from engine.service_calls import ServiceCaller
from engine.sessions import Engine
from engine.signals import sent_events
from engine.templates import TemplateRenderer
from engine.tickets import CREATE_TICKET, follow_instance, ticket_opener
from engine.tickets.sla import DECLARATIONS as SLA_DECLARATIONS
from engine.tickets.sla import GroupCalendars, sla_functions
from engine.versions import SpecCache
from integrations import AllowList, Invoker, InvokerConfig, SecretStore
from player.renderers import RENDERERS
from web.context import Services


def utc_now() -> datetime:
    return datetime.now(UTC)


def builtin_declarations() -> BuiltinFunctions:
    """Every built-in ``cuebook.*`` function by name and parameters: what validation knows
    (``cuebook validate`` too, without a database); ``build_services`` binds each to its
    implementation."""
    return BuiltinFunctions.declared([CREATE_TICKET, *SLA_DECLARATIONS, SCHEDULE_CALLBACK])


def function_lookup(builtins: BuiltinFunctions, catalog: FunctionCatalog) -> Any:
    """What deploy-time validation knows of a function: a built-in, else the registry's."""

    def lookup(name: str) -> FunctionInfo | None:
        return builtins.info(name) or catalog.info(name)

    return lookup


def build_services(settings: Settings) -> Services:
    database = Database(
        settings.database_url, schema=settings.database_schema, pool_size=settings.db_pool_size
    )
    count_database_errors(database.engine)
    catalog = FunctionCatalog(database)
    invoker = Invoker(
        InvokerConfig.from_env(settings.env),
        SecretStore.from_env(settings.env),
        AllowList.parse(settings.integration_allowed_hosts),
    )
    builtins = builtin_declarations()
    caller = ServiceCaller(catalog, invoker, builtins)
    runner = Runner(partial(make_script_engine, caller), TemplateRenderer())
    policy = (
        ReplyPolicy(person_phrases=settings.person_phrases)
        if settings.person_phrases
        else ReplyPolicy()
    )
    engine = Engine(
        runner=runner,
        specs=SpecCache(functions=function_lookup(builtins, catalog)),
        clock=utc_now,
        policy=policy,
        calls=caller,
        default_language=settings.default_language,
        transition_hooks=(follow_instance, early_delivery(database), sent_events(database)),
        start_hooks=(sent_events(database),),
    )
    builtins.bind(CREATE_TICKET.name, ticket_opener(database, engine, settings.ticket_script))
    builtins.bind(
        SCHEDULE_CALLBACK.name, callback_scheduler(database, engine, settings.ticket_script)
    )
    for name, run in sla_functions(GroupCalendars(database, engine.specs), utc_now).items():
        builtins.bind(name, run)
    return Services(
        database=database,
        engine=engine,
        settings=settings,
        invoker=invoker,
        catalog=catalog,
        builtins=builtins,
        renderers=RENDERERS,
        operators=build_workspace(database, engine, settings.operators),
    )
