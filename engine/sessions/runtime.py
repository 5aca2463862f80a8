"""The collaborators every session use case needs, built once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.bpmn.live import LiveWorkflows
from engine.bpmn.runner import Runner
from engine.language import DEFAULT_LANGUAGE
from engine.replies import ReplyPolicy
from engine.service_calls import ServiceCaller
from engine.versions import Clock, SpecCache

DEFAULT_QUEUE = "operators"


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
