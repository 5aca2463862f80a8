"""Turning a chat text, DTMF digits or recognised speech into a step's answer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.form_options import asked_fields
from engine.model import Step
from engine.replies.fields import FieldSpec, Validator, read_field, single_field
from engine.replies.numbers import spell_out_numbers
from engine.replies.options import exact_option, match_option, option_index
from engine.replies.person import DEFAULT_POLICY, ReplyPolicy, asks_for_person
from engine.replies.words import words

_FILLERS_TEXT = "э ээ эм мм ммм ну uh um uhm hmm er erm"
_SPEECH_FILLERS = frozenset(_FILLERS_TEXT.split())


@dataclass(frozen=True)
class Interpretation:
    """A reply read as an answer: ``answer`` is None when it was not understood."""

    answer: dict[str, Any] | None
    wants_person: bool = False
    reason: str = ""

    @property
    def understood(self) -> bool:
        return self.answer is not None


_PERSON = Interpretation(None, wants_person=True, reason="the customer asked for a person")
_ACKNOWLEDGED = Interpretation({})


def _missed(reason: str) -> Interpretation:
    return Interpretation(None, reason=reason)


def _closed(step: Step) -> Interpretation | None:
    if step.kind == "end":
        return _missed("the dialogue is over")
    if step.kind == "handoff":
        return _missed("a person is taking over the dialogue")
    return None


def _choice_key(step: Step) -> str:
    return step.field or step.id


def _json_object(text: str) -> dict[str, Any] | None:
    stripped = text.strip()
    if not (stripped.startswith("{") and stripped.endswith("}")):
        return None
    try:
        value = json.loads(stripped)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _has_fields(step: Step) -> bool:
    return bool(asked_fields(step.schema, step.ui_schema))


def _field_answer(
    spec: FieldSpec, text: str, today: date | None, speech: bool, validator: Validator | None
) -> Interpretation:
    reading = read_field(spec, text, today=today, speech=speech, validator=validator)
    if reading.ok:
        return Interpretation({spec.name: reading.value})
    return _missed(reading.reason)


def _interpret(
    step: Step,
    text: str,
    policy: ReplyPolicy,
    today: date | None,
    *,
    speech: bool,
    validator: Validator | None,
) -> Interpretation:
    closed = _closed(step)
    if closed is not None:
        return closed
    if step.kind == "choice":
        index = option_index(step.options)
        exact = exact_option(index, text)
        if exact is not None:
            return Interpretation({_choice_key(step): step.options[exact].value})
        if asks_for_person(text, policy):
            return _PERSON
        match = match_option(index, text)
        if match.index is None:
            return _missed(match.reason)
        return Interpretation({_choice_key(step): step.options[match.index].value})
    if step.kind == "form":
        given = _json_object(text)
        if given is not None:
            return Interpretation(given)
        spec = single_field(step)
        if spec is not None and spec.kind in ("integer", "number"):
            found = _field_answer(spec, text, today, speech, validator)
            if found.understood or not asks_for_person(text, policy):
                return found
            return _PERSON
        if asks_for_person(text, policy):
            return _PERSON
        if spec is not None:
            return _field_answer(spec, text, today, speech, validator)
        if _has_fields(step):
            return _missed("this step needs a form")
        return _ACKNOWLEDGED
    if asks_for_person(text, policy):
        return _PERSON
    return _ACKNOWLEDGED


def interpret_text(
    step: Step,
    text: str,
    policy: ReplyPolicy = DEFAULT_POLICY,
    *,
    today: date | None = None,
    validator: Validator | None = None,
) -> Interpretation:
    """Read a chat message as the step's answer (``today`` anchors "tomorrow" and such).

    With the step's ``validator``, a value its form refuses is not understood, and the
    reason is the validator's message naming the field (see ``read_field``).
    """
    return _interpret(step, text, policy, today, speech=False, validator=validator)


def interpret_speech(
    step: Step,
    speech: str,
    policy: ReplyPolicy = DEFAULT_POLICY,
    *,
    today: date | None = None,
    validator: Validator | None = None,
) -> Interpretation:
    """Read recognised speech: spoken numbers count as digits, fillers ("э", "um") are ignored."""
    tokens = tuple(t for t in words(speech) if t not in _SPEECH_FILLERS)
    if step.kind not in ("end", "handoff") and spell_out_numbers(tokens) == (policy.person_digit,):
        return _PERSON
    return _interpret(step, " ".join(tokens), policy, today, speech=True, validator=validator)


def _field_digits(
    spec: FieldSpec, digits: str, today: date | None, validator: Validator | None
) -> Interpretation:
    if spec.kind == "choice":
        position = _by_position_count(len(spec.options), digits)
        if isinstance(position, str):
            return _missed(position)
        return Interpretation({spec.name: spec.options[position].value})
    if spec.kind == "boolean":
        meaning = {"1": True, "2": False}.get(digits)
        if meaning is None:
            return _missed("press 1 for yes or 2 for no")
        return Interpretation({spec.name: meaning})
    return _field_answer(spec, digits, today, False, validator)


def _by_position_count(count: int, digits: str) -> int | str:
    number = int(digits)
    if 1 <= number <= count:
        return number - 1
    return f"there is no option {number}; press 1 to {count}"


def interpret_digits(
    step: Step,
    digits: str,
    policy: ReplyPolicy = DEFAULT_POLICY,
    *,
    today: date | None = None,
    validator: Validator | None = None,
) -> Interpretation:
    """Read DTMF keys: an option number, a number for a numeric field, or the operator key."""
    closed = _closed(step)
    if closed is not None:
        return closed
    keys = "".join(digits.split()).rstrip("#*")
    if not keys:
        return _missed("no keys were pressed")
    if not (keys.isascii() and keys.isdigit()):
        return _missed(f"{digits!r} is not a sequence of phone keys")
    if keys == policy.person_digit:
        return _PERSON
    if step.kind == "choice":
        position = _by_position_count(len(step.options), keys)
        if isinstance(position, str):
            return _missed(position)
        return Interpretation({_choice_key(step): step.options[position].value})
    if step.kind == "form":
        spec = single_field(step)
        if spec is not None:
            return _field_digits(spec, keys, today, validator)
        if _has_fields(step):
            return _missed("this step needs a form")
    return _ACKNOWLEDGED
