"""The one field a form step asks for, and reading a reply into that field's type."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, Protocol

from engine.form_options import field_options, kept_fields
from engine.model import Option, Step
from engine.replies.dates import read_date
from engine.replies.numbers import read_number, spell_out_numbers
from engine.replies.options import match_option, option_index
from engine.replies.words import words
from engine.replies.yesno import read_yes_no

FieldKind = Literal["choice", "integer", "number", "boolean", "date", "text"]

_EMAIL = re.compile(r"[^\s@<>(),;:\"']+@[^\s@<>(),;:\"']+\.[^\s@<>(),;:\"'.]+")
_PHONE = re.compile(r"\+?\d{7,15}")
_PHONE_FORMATS = frozenset({"phone", "tel", "phone-number", "telephone"})
_PHONE_NOISE = re.compile(r"[\s\-().]")


@dataclass(frozen=True)
class FieldSpec:
    """The single field of a form step: its name, kind and JSON Schema."""

    name: str
    kind: FieldKind
    required: bool
    schema: Mapping[str, Any]
    options: tuple[Option, ...] = ()

    @property
    def format(self) -> str | None:
        value = self.schema.get("format")
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class FieldReading:
    """A value read for a field (``ok``), or the reason it could not be read."""

    ok: bool
    value: Any = None
    reason: str = ""


class Validator(Protocol):
    """The step's compiled JSON Schema validator (``jsonschema`` validators fit)."""

    def iter_errors(self, instance: Any) -> Iterable[Any]: ...


def _types(schema: Mapping[str, Any]) -> set[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return {t for t in declared if isinstance(t, str)} - {"null"}
    return set()


def _kind(schema: Mapping[str, Any], options: tuple[Option, ...] | None) -> FieldKind | None:
    if options:
        return "choice"
    types = _types(schema)
    if types & {"object", "array"}:
        return None
    for kind in ("integer", "number", "boolean"):
        if types == {kind}:
            return kind  # type: ignore[return-value]
    if types - {"string"}:
        return None
    return "date" if schema.get("format") == "date" else "text"


def single_field(step: Step) -> FieldSpec | None:
    """The field a chat or IVR reply fills: the only property, or the only required one,
    leaving out fields nobody is asked for (hidden or read-only)."""
    schema = step.schema or {}
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        return None
    required = schema.get("required")
    kept = set(kept_fields(schema, step.ui_schema))  # hidden or read-only: never asked
    asked = [n for n in properties if n not in kept]
    required_names = [n for n in required if n in asked] if isinstance(required, list) else []
    if len(asked) == 1:
        name = asked[0]
    elif len(required_names) == 1:
        name = required_names[0]
    else:
        return None
    prop = properties[name]
    if not isinstance(prop, dict):
        return None
    options = step.field_options.get(name)
    if options is None:
        options = field_options(prop, (step.ui_schema or {}).get(name))
    if "array" in _types(prop):
        options = None  # several values: a form, not one reply
    kind = _kind(prop, options)
    if kind is None:
        return None
    return FieldSpec(name, kind, name in required_names, prop, options or ())


def _read_numeric(spec: FieldSpec, text: str, speech: bool) -> FieldReading:
    reading = read_number(text, join_digit_groups=speech)
    if reading.value is None:
        return FieldReading(False, reason=reading.reason)
    value: int | float = reading.value
    if spec.kind == "integer":
        if isinstance(value, float) and not value.is_integer():
            return FieldReading(False, reason=f"expected a whole number, got {value}")
        value = int(value)
    return FieldReading(True, value)


def _text_candidates(spec: FieldSpec, text: str, speech: bool) -> list[str]:
    stripped = " ".join(text.split())
    candidates = [stripped]
    compact = _PHONE_NOISE.sub("", stripped)
    if compact != stripped and any(ch.isdigit() for ch in compact):
        candidates.append(compact)
    if speech:
        spelled = "".join(t for t in spell_out_numbers(words(text)) if t.isdigit())
        if spelled and spelled not in candidates:
            candidates.append(spelled)
    return candidates


def _text_values(spec: FieldSpec, text: str, speech: bool) -> list[str] | str:
    """The values a text reply may stand for, best first, or why there is none."""
    if not text.strip():
        return "the reply is empty"
    if spec.format == "email":
        found = _EMAIL.findall(text)
        if len(found) != 1:
            return "expected one e-mail address"
        return [found[0]]
    candidates = _text_candidates(spec, text, speech)
    if spec.format in _PHONE_FORMATS:
        candidates = [c for c in candidates if _PHONE.fullmatch(c)]
        if not candidates:
            return "expected a phone number"
    return candidates


def _objection(spec: FieldSpec, value: Any, validator: Validator | None) -> str:
    """The validator's first objection to ``value`` as this field's answer ("" if none).
    Objections to the form as a whole (other required fields) are left to the step."""
    if validator is None:
        return ""
    for error in validator.iter_errors({spec.name: value}):
        path = list(getattr(error, "absolute_path", ()))
        if path and path[0] == spec.name:
            return f"{spec.name}: {error.message}"
    return ""


def _first_fitting(
    spec: FieldSpec, candidates: list[Any], validator: Validator | None
) -> FieldReading:
    problem = ""
    for candidate in candidates:
        objection = _objection(spec, candidate, validator)
        if not objection:
            return FieldReading(True, candidate)
        problem = problem or objection
    return FieldReading(False, reason=problem)


def _read(spec: FieldSpec, text: str, today: date | None, speech: bool) -> list[Any] | str:
    """The values ``text`` may stand for in the field's type, best first, or why none."""
    if spec.kind == "choice":
        match = match_option(option_index(spec.options), text)
        if match.index is None:
            return match.reason
        return [spec.options[match.index].value]
    if spec.kind in ("integer", "number"):
        number = _read_numeric(spec, text, speech)
        return [number.value] if number.ok else number.reason
    if spec.kind == "boolean":
        meaning = read_yes_no(words(text))
        return meaning if isinstance(meaning, str) else [meaning]
    if spec.kind == "date":
        found = read_date(text, today or date.today())
        return found if isinstance(found, str) else [found.isoformat()]
    return _text_values(spec, text, speech)


def read_field(
    spec: FieldSpec,
    text: str,
    *,
    today: date | None = None,
    speech: bool = False,
    validator: Validator | None = None,
) -> FieldReading:
    """Read ``text`` as a value of the field's type.

    The field's constraints (bounds, lengths, patterns) are the step's JSON Schema's to
    judge: given the step's ``validator``, the first reading it accepts is taken (a text
    with phone-style noise may fit once the noise is dropped), and when none fits the
    validator's message, naming the field, is the reason. Without one, the best reading
    is returned and the step validates it. ``today`` (default: the current date) anchors
    "today", "tomorrow" and "yesterday".
    """
    found = _read(spec, text, today, speech)
    if isinstance(found, str):
        return FieldReading(False, reason=found)
    return _first_fitting(spec, found, validator)
