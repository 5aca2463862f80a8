"""StepView as chat JSON: text messages, quick-reply buttons and what input is expected."""

from __future__ import annotations

from typing import Any

from engine.form_options import asked_fields, is_hidden, kept_fields, value_label
from engine.model import Step, StepView
from engine.replies import FieldSpec, single_field
from player.renderers.chunks import split_message
from player.renderers.markdown import chat_text
from player.renderers.phrases import Phrases, item_phrase, phrases_for

_NO_INPUT: dict[str, Any] = {"type": "none", "required": False, "field": None}


def version_of(view: StepView) -> dict[str, Any]:
    return {"script": view.version.script, "number": view.version.number}


def handoff_of(view: StepView) -> dict[str, Any] | None:
    if view.handoff is None:
        return None
    return {"queue": view.handoff.queue, "reason": view.handoff.reason}


def is_handed_off(view: StepView) -> bool:
    step_kind = view.step.kind if view.step is not None else None
    return view.status == "handed_off" or view.handoff is not None or step_kind == "handoff"


def at_persons_step(view: StepView) -> bool:
    """A bot's session reached a step only a person takes: that step's own text tells the
    customer what happens next."""
    handoff = view.handoff
    return not view.for_person and handoff is not None and handoff.code == "step_needs_person"


def is_over(view: StepView) -> bool:
    step_kind = view.step.kind if view.step is not None else None
    return view.status in ("completed", "failed") or view.step is None or step_kind == "end"


def _buttons(options: Any) -> list[dict[str, Any]]:
    return [{"value": option.value, "label": option.label} for option in options]


def _field_input(spec: FieldSpec, phrases: Phrases) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    kind = spec.kind
    entry: dict[str, Any] = {"type": kind, "required": spec.required, "field": spec.name}
    if spec.format and kind == "text":
        entry["format"] = spec.format
    if kind == "choice":
        return entry, _buttons(spec.options)
    if kind == "boolean":
        yes_no = [{"value": True, "label": phrases.yes}, {"value": False, "label": phrases.no}]
        return entry, yes_no
    return entry, []


def _shown(value: Any, options: Any, phrases: Phrases) -> str:
    for option in options or ():
        if option.value == value:
            return str(option.label)
    if isinstance(value, bool):
        return phrases.yes if value else phrases.no
    if isinstance(value, list):
        return ", ".join(_shown(v, options, phrases) for v in value)
    return value_label(value)


def read_only_lines(step: Step, phrases: Phrases) -> list[str]:
    """``Label: value`` of each read-only field with a value: said, not asked, in chat and
    voice (hidden fields are neither)."""
    schema = step.schema or {}
    props = schema.get("properties")
    if step.kind != "form" or not isinstance(props, dict):
        return []
    ui_all = step.ui_schema or {}
    lines = []
    for name in kept_fields(schema, ui_all):
        prop, ui = props[name], ui_all.get(name)
        if is_hidden(ui) or prop.get("default") is None:
            continue
        label = (ui or {}).get("ui:title") or prop.get("title") or name
        value = _shown(prop["default"], step.field_options.get(name), phrases)
        lines.append(f"{label}: {value}")
    return lines


def _waiting(step: Step, phrases: Phrases) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    if step.kind == "choice":
        entry = {"type": "choice", "required": True, "field": step.field or step.id}
        return entry, _buttons(step.options)
    if step.kind == "form":
        spec = single_field(step)
        if spec is not None:
            return _field_input(spec, phrases)
        if asked_fields(step.schema, step.ui_schema):
            entry = {
                "type": "form",
                "required": True,
                "field": None,
                "schema": step.schema,
                "ui_schema": step.ui_schema or {},
            }
            return entry, []
    if step.kind == "wait":  # waits for an event, not for the customer: nothing to press
        return dict(_NO_INPUT), []
    return dict(_NO_INPUT), [{"value": None, "label": phrases.proceed}]


def _closing_text(view: StepView, phrases: Phrases) -> str:
    step = view.step
    if is_handed_off(view):
        own = step.text if step is not None and at_persons_step(view) else ""
        return own or phrases.chat_handoff
    own = step.text if step is not None and step.kind == "end" else ""
    if view.status == "failed":
        return own or phrases.chat_failed
    return own or phrases.chat_end


def render_chat(
    view: StepView, *, max_message_chars: int = 1000, language: str | None = None
) -> dict[str, Any]:
    """Chat JSON: ``messages`` (the notice first), ``buttons``, ``input``, ``handoff``, ...

    The script's Markdown is sent as plain text (see ``player.renderers.markdown``).
    """
    phrases = phrases_for(view, language)
    step = view.step
    buttons: list[dict[str, Any]] = []
    entry = dict(_NO_INPUT)
    if is_handed_off(view) or is_over(view):
        text = _closing_text(view, phrases)
    else:
        assert step is not None
        text = step.text or step.title
        if step.item is not None:
            text = f"{item_phrase(step, phrases)}\n\n{text}"
        text = "\n\n".join([text, *read_only_lines(step, phrases)])
        entry, buttons = _waiting(step, phrases)
    messages = [{"type": "text", "text": view.notice}] if view.notice else []
    parts = split_message(chat_text(text), max_message_chars)
    messages += [{"type": "text", "text": part} for part in parts]
    return {
        "session_id": view.session_id,
        "status": view.status,
        "step_token": view.step_token,
        "version": version_of(view),
        "step_id": step.id if step is not None else None,
        "kind": step.kind if step is not None else None,
        "messages": messages,
        "buttons": buttons,
        "input": entry,
        "progress": {"steps_taken": view.progress.steps_taken} if view.progress else None,
        "handoff": handoff_of(view),
        "notice": view.notice,
        "misses": view.misses,
    }
