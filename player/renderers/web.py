"""The web channel's JSON of a StepView: what the API returns and <cuebook-player> renders."""

from __future__ import annotations

from typing import Any

from engine.model import Option, Step, StepView
from player.renderers.markdown import markdown_html


def shown_kind(view: StepView, step: Step) -> str:
    """A bot reading a session a person holds sees a ``handoff`` step, not the person's form."""
    if view.status == "handed_off" and view.handoff is not None and not view.for_person:
        return "handoff"
    return step.kind


def _options(options: tuple[Option, ...]) -> list[dict[str, Any]]:
    return [{"value": o.value, "label": o.label} for o in options]


def _step(view: StepView, step: Step) -> dict[str, Any]:
    return {
        "id": step.id,
        "kind": shown_kind(view, step),
        "title": step.title,
        "text": step.text,
        "text_html": markdown_html(step.text),
        "hints": step.hints,
        "hints_html": markdown_html(step.hints),
        "schema": step.schema,
        "ui_schema": step.ui_schema,
        "options": _options(step.options),
        "field_options": {name: _options(found) for name, found in step.field_options.items()},
        "can_go_back": step.can_go_back,
        "field": step.field,
        "voice": step.voice,
        "max_misses": step.max_misses,
        "lane": step.lane,
        "item": None if step.item is None else {"index": step.item.index, "count": step.item.count},
    }


def render_web(view: StepView) -> dict[str, Any]:
    """The JSON form of the API (variables are not part of it). Built by hand: hot path."""
    handoff = view.handoff
    return {
        "session_id": view.session_id,
        "status": view.status,
        "step_token": view.step_token,
        "version": {"script": view.version.script, "number": view.version.number},
        "step": None if view.step is None else _step(view, view.step),
        "channel": view.channel,
        "handoff": None
        if handoff is None
        else {"queue": handoff.queue, "reason": handoff.reason, "code": handoff.code},
        "misses": view.misses,
        "notice": view.notice,
        "progress": None if view.progress is None else {"steps_taken": view.progress.steps_taken},
        "language": view.language,
    }
