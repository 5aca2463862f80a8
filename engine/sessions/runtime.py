"""The collaborators every session use case needs, built once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.bpmn.live import LiveWorkflows
from engine.bpmn.runner import Runner
from engine.language import DEFAULT_LANGUAGE
from engine.replies import ReplyPolicy
from engine.service_calls import ServiceCaller
from engine.versions import Clock, SpecCache

DEFAULT_QUEUE = "operators"

# Called by every transition of an instance, in its transaction, before its state is written:
# (unit of work, engine, session as read, workflow, outcome, journal). Tickets follow their
# routing workflow this way, whatever moved it (a work item, a timer, a message).
TransitionHook = Callable[[Any, "Engine", Any, Any, Any, Any], None]
# Called once a new session's row is written, in its transaction, with the same arguments:
# what must know of every session from its first state (the signals it waits for).
StartHook = TransitionHook


@dataclass
class Engine:
    """Runner (SpiffWorkflow adapter), compiled specs by version, clock, reply policy, the
    workflows kept live between steps, and the service caller whose calls a step makes
    outside its transaction (None: a script with service tasks fails to reach them)."""

    runner: Runner
    specs: SpecCache
    clock: Clock
    policy: ReplyPolicy = field(default_factory=ReplyPolicy)
    live: LiveWorkflows = field(default_factory=LiveWorkflows)
    calls: ServiceCaller | None = None
    default_language: str = DEFAULT_LANGUAGE  # for scripts whose manifest names none
    transition_hooks: tuple[TransitionHook, ...] = ()
    start_hooks: tuple[StartHook, ...] = ()
