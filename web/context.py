"""The services a request works with, stored on the Flask app by the composition root."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g

from engine.builtin_functions import BuiltinFunctions
from engine.functions import FunctionCatalog
from engine.model import StepView
from engine.persistence.database import Database
from engine.sessions import Actor, Engine
from integrations import Invoker


@dataclass
class Services:
    """What the composition root builds once per process and every request uses."""

    database: Database
    engine: Engine
    settings: Any
    invoker: Invoker
    catalog: FunctionCatalog
    builtins: BuiltinFunctions
    operators: Any = None  # engine.operators.Workspace: profiles, presence, offers
    # Each channel's renderer (player/renderers), for the editor's step previews: the editor
    # blueprints may not import player, so the composition root hands them over.
    renderers: Mapping[str, Callable[[StepView], dict[str, Any]]] = field(default_factory=dict)


def services() -> Services:
    return current_app.extensions["cuebook"]  # type: ignore[no-any-return]


def actor() -> Actor:
    return g.cuebook_actor  # type: ignore[no-any-return]
