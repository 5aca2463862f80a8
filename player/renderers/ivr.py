"""StepView as IVR JSON: an SSML prompt, a DTMF map, speech hints and input limits."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from engine.form_options import asked_fields
from engine.model import Option, Step, StepView
from engine.replies import DEFAULT_POLICY, ReplyPolicy, single_field
from player.renderers.chat import (
    at_persons_step,
    handoff_of,
    is_handed_off,
    is_over,
    read_only_lines,
    version_of,
)
from player.renderers.markdown import speakable_paragraphs
from player.renderers.phrases import Phrases, item_phrase, phrases_for

BREAK = '<break time="300ms"/>'
DEFAULT_TIMEOUT_S = 8
NUMERIC_TIMEOUT_S = 15
DEFAULT_MAX_DIGITS = 20


@dataclass
class _Prompt:
    """What the IVR says and accepts, gathered while rendering one view."""

    parts: list[str] = field(default_factory=list)
    dtmf: dict[str, Any] = field(default_factory=dict)
    hints: list[str] = field(default_factory=list)
    expects: str = "none"
    timeout_s: int = DEFAULT_TIMEOUT_S
    max_digits: int = 0

    def say(self, text: str) -> None:
        if text.strip():
            self.parts.append(escape(" ".join(text.split())))


def _ssml_inner(voice: str) -> str | None:
    """The content of a well-formed ``<speak>`` document, or None."""
    try:
        ElementTree.fromstring(voice)
    except (ElementTree.ParseError, DefusedXmlException):
        return None
    start, end = voice.find(">") + 1, voice.rfind("</speak>")
    return voice[start:end].strip() if end >= start else ""


def _say_step_text(prompt: _Prompt, step: Step) -> None:
    voice = (step.voice or "").strip()
    if voice.startswith("<speak"):
        inner = _ssml_inner(voice)
        if inner is not None:
            if inner:
                prompt.parts.append(inner)
            return
        voice = " ".join(speakable_paragraphs(voice))
    if voice:
        prompt.say(voice)
        return
    for paragraph in speakable_paragraphs(step.text or step.title):
        prompt.say(paragraph)


def _offer(prompt: _Prompt, options: tuple[Option, ...], phrases: Phrases) -> None:
    for number, option in enumerate(options, 1):
        prompt.say(phrases.press_option.format(digit=number, label=option.label))
        prompt.dtmf[str(number)] = option.value
        for hint in (option.label, *option.synonyms):
            if hint not in prompt.hints:
                prompt.hints.append(hint)
    prompt.expects = "choice"
    prompt.max_digits = len(str(len(options)))


def _numeric_digits(schema: dict[str, Any] | Any) -> int:
    max_length = schema.get("maxLength")
    if isinstance(max_length, int) and max_length > 0:
        return max_length
    maximum = schema.get("maximum")
    if isinstance(maximum, int | float) and not isinstance(maximum, bool):
        return len(str(int(abs(maximum))))
    return DEFAULT_MAX_DIGITS


def _digits_only(schema: Mapping[str, Any]) -> bool:
    """A text field whose pattern admits only digits (an account or contract number)."""
    pattern = str(schema.get("pattern") or "")
    return schema.get("type") == "string" and bool(
        re.fullmatch(r"\^?(\[0-9\]|\\d)(\{\d+(,\d*)?\}|[+*])?\$?", pattern)
    )


def _ask_form(prompt: _Prompt, step: Step, phrases: Phrases) -> None:
    for line in read_only_lines(step, phrases):
        prompt.say(line)
    spec = single_field(step)
    if spec is None:
        prompt.expects = "form" if asked_fields(step.schema, step.ui_schema) else "ack"
        return
    if spec.kind == "choice":
        _offer(prompt, spec.options, phrases)
    elif spec.kind == "boolean":
        prompt.say(phrases.press_yes_no)
        prompt.dtmf = {"1": True, "2": False}
        prompt.hints = [phrases.yes, phrases.no]
        prompt.expects, prompt.max_digits = "choice", 1
    elif spec.kind in ("integer", "number", "date") or _digits_only(spec.schema):
        prompt.say(phrases.enter_date if spec.kind == "date" else phrases.enter_number)
        prompt.expects, prompt.timeout_s = "digits", NUMERIC_TIMEOUT_S
        prompt.max_digits = 8 if spec.kind == "date" else _numeric_digits(spec.schema)
    else:
        prompt.say(phrases.say_answer)
        prompt.expects = "speech"
        prompt.max_digits = _numeric_digits({"maxLength": spec.schema.get("maxLength")})


def _ask(prompt: _Prompt, step: Step, phrases: Phrases, policy: ReplyPolicy) -> None:
    if step.item is not None:
        prompt.say(item_phrase(step, phrases))
    _say_step_text(prompt, step)
    if step.kind == "message":
        prompt.expects, prompt.max_digits = "ack", 1
        return
    if step.kind == "wait":  # an event moves the session on, not a key press
        prompt.expects, prompt.max_digits = "none", 0
        return
    if step.kind == "choice":
        _offer(prompt, step.options, phrases)
    else:
        _ask_form(prompt, step, phrases)
    prompt.say(phrases.press_person.format(digit=policy.person_digit))


def _close(prompt: _Prompt, view: StepView, phrases: Phrases) -> None:
    step = view.step
    if is_handed_off(view):
        if step is not None and at_persons_step(view):
            _say_step_text(prompt, step)
        prompt.say(phrases.transfer)
        return
    if step is not None and step.kind == "end" and (step.voice or step.text or step.title):
        _say_step_text(prompt, step)
    else:
        prompt.say(phrases.call_failed if view.status == "failed" else phrases.goodbye)


def render_ivr(
    view: StepView, *, language: str | None = None, policy: ReplyPolicy = DEFAULT_POLICY
) -> dict[str, Any]:
    """IVR JSON: ``ssml``, ``dtmf`` (key -> answer value), ``speech_hints``, limits, handoff.

    ``language`` ("ru" or "en") picks the added wording; without it, Russian for
    Cyrillic script text and English otherwise.
    """
    phrases = phrases_for(view, language)
    prompt = _Prompt()
    if view.notice:
        prompt.say(view.notice)
    if is_handed_off(view) or is_over(view):
        _close(prompt, view, phrases)
    else:
        assert view.step is not None
        _ask(prompt, view.step, phrases, policy)
    return {
        "session_id": view.session_id,
        "status": view.status,
        "step_token": view.step_token,
        "version": version_of(view),
        "step_id": view.step.id if view.step is not None else None,
        "language": phrases.language,
        "ssml": "<speak>" + BREAK.join(prompt.parts) + "</speak>",
        "dtmf": prompt.dtmf,
        "speech_hints": prompt.hints,
        "expects": prompt.expects,
        "timeout_s": prompt.timeout_s,
        "max_digits": prompt.max_digits,
        "person_digit": policy.person_digit if prompt.expects != "none" else None,
        "handoff": handoff_of(view),
        "notice": view.notice,
    }
