"""The one field a form step asks for, and reading a reply into that field's type."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

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


def _types(schema: Mapping[str, Any]) -> set[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return {t for t in declared if isinstance(t, str)} - {"null"}
    return set()


def _enum_options(schema: Mapping[str, Any], ui: Mapping[str, Any]) -> tuple[Option, ...]:
    enum = schema.get("enum")
    if isinstance(enum, list):
        names = schema.get("enumNames") or ui.get("ui:enumNames") or []
        labels = [str(names[i]) if i < len(names) else str(v) for i, v in enumerate(enum)]
        return tuple(Option(value=v, label=lbl) for v, lbl in zip(enum, labels, strict=True))
    for key in ("oneOf", "anyOf"):
        variants = schema.get(key)
        if (
            isinstance(variants, list)
            and variants
            and all(isinstance(v, dict) and "const" in v for v in variants)
        ):
            return tuple(Option(v["const"], str(v.get("title", v["const"]))) for v in variants)
    return ()


def _kind(schema: Mapping[str, Any], options: tuple[Option, ...]) -> FieldKind | None:
    types = _types(schema)
    if options:
        return "choice"
    if types & {"object", "array"}:
        return None
    for kind in ("integer", "number", "boolean"):
        if types == {kind}:
            return kind  # type: ignore[return-value]
    if types - {"string"}:
        return None
    return "date" if schema.get("format") == "date" else "text"


def single_field(step: Step) -> FieldSpec | None:
    """The field a chat or IVR reply fills: the only property, or the only required one."""
    schema = step.schema or {}
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        return None
    required = schema.get("required")
    required_names = [n for n in required if n in properties] if isinstance(required, list) else []
    if len(properties) == 1:
        name = next(iter(properties))
    elif len(required_names) == 1:
        name = required_names[0]
    else:
        return None
    prop = properties[name]
    if not isinstance(prop, dict):
        return None
    ui = (step.ui_schema or {}).get(name) or {}
    options = _enum_options(prop, ui if isinstance(ui, dict) else {})
    kind = _kind(prop, options)
    if kind is None:
        return None
    return FieldSpec(name, kind, name in required_names, prop, options)


def _bounds(value: int | float, schema: Mapping[str, Any]) -> str:
    checks = (
        ("minimum", lambda v, b: v < b, "below the minimum"),
        ("maximum", lambda v, b: v > b, "above the maximum"),
        ("exclusiveMinimum", lambda v, b: v <= b, "not above"),
        ("exclusiveMaximum", lambda v, b: v >= b, "not below"),
    )
    for key, broken, words_ in checks:
        bound = schema.get(key)
        if isinstance(bound, int | float) and not isinstance(bound, bool) and broken(value, bound):
            return f"{value} is {words_} {bound}"
    return ""


def _read_numeric(spec: FieldSpec, text: str, speech: bool) -> FieldReading:
    reading = read_number(text, join_digit_groups=speech)
    if reading.value is None:
        return FieldReading(False, reason=reading.reason)
    value: int | float = reading.value
    if spec.kind == "integer":
        if isinstance(value, float) and not value.is_integer():
            return FieldReading(False, reason=f"expected a whole number, got {value}")
        value = int(value)
    problem = _bounds(value, spec.schema)
    return FieldReading(False, reason=problem) if problem else FieldReading(True, value)


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


def _text_problem(spec: FieldSpec, value: str) -> str:
    schema = spec.schema
    min_length, max_length = schema.get("minLength"), schema.get("maxLength")
    if isinstance(min_length, int) and len(value) < min_length:
        return f"the reply is shorter than {min_length} characters"
    if isinstance(max_length, int) and len(value) > max_length:
        return f"the reply is longer than {max_length} characters"
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        try:
            if re.search(pattern, value) is None:
                return f"the reply does not match the pattern {pattern}"
        except re.error:
            return f"the field {spec.name!r} has an invalid pattern {pattern!r}"
    return ""


def _read_text(spec: FieldSpec, text: str, speech: bool) -> FieldReading:
    if not text.strip():
        return FieldReading(False, reason="the reply is empty")
    if spec.format == "email":
        found = _EMAIL.findall(text)
        if len(found) != 1:
            return FieldReading(False, reason="expected one e-mail address")
        candidates = [found[0]]
    else:
        candidates = _text_candidates(spec, text, speech)
        if spec.format in _PHONE_FORMATS:
            candidates = [c for c in candidates if _PHONE.fullmatch(c)]
            if not candidates:
                return FieldReading(False, reason="expected a phone number")
    problem = ""
    for candidate in candidates:
        problem = _text_problem(spec, candidate)
        if not problem:
            return FieldReading(True, candidate)
    return FieldReading(False, reason=problem)


def read_field(
    spec: FieldSpec, text: str, *, today: date | None = None, speech: bool = False
) -> FieldReading:
    """Read ``text`` as a value of the field's type, honouring its schema's constraints.

    ``today`` (default: the current date) anchors "today", "tomorrow" and "yesterday".
    """
    if spec.kind == "choice":
        match = match_option(option_index(spec.options), text)
        if match.index is None:
            return FieldReading(False, reason=match.reason)
        return FieldReading(True, spec.options[match.index].value)
    if spec.kind in ("integer", "number"):
        return _read_numeric(spec, text, speech)
    if spec.kind == "boolean":
        meaning = read_yes_no(words(text))
        if isinstance(meaning, str):
            return FieldReading(False, reason=meaning)
        return FieldReading(True, meaning)
    if spec.kind == "date":
        found = read_date(text, today or date.today())
        if isinstance(found, str):
            return FieldReading(False, reason=found)
        return FieldReading(True, found.isoformat())
    return _read_text(spec, text, speech)
