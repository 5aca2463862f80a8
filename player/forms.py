"""A step's JSON Schema + UI schema as form fields, and a posted HTML form as a typed answer.

Widget rules (shared with ``cuebook-player.js``): ``ui:widget`` wins when it fits the type;
otherwise choice fields are radios up to five options and a select above, arrays of choices
are checkboxes, booleans a checkbox, ``format: date`` a date input, numbers a number input,
everything else a text input. Which fields are choices, and their labels, is
:func:`engine.form_options.field_options`' to say.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from engine.form_options import field_options, is_read_only
from engine.model import Option

Widget = Literal[
    "text", "textarea", "number", "date", "checkbox", "radio", "select", "checkboxes", "hidden"
]
RADIO_LIMIT = 5
YES_NO = (("true", "Yes"), ("false", "No"))
_TEXT_TYPES = {
    "email": "email",
    "uri": "url",
    "url": "url",
    "password": "password",
    "tel": "tel",
    "search": "search",
}
_DATE_WIDGETS = frozenset({"date", "alt-date"})
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


class FormData(Protocol):
    """What a posted form offers (werkzeug's ``MultiDict`` fits)."""

    def getlist(self, key: str) -> list[str]: ...


@dataclass(frozen=True)
class Choice:
    """One option of a radio group, select or checkbox group, as HTML sees it."""

    value: str
    label: str
    checked: bool = False


@dataclass(frozen=True)
class FieldView:
    """One form field ready for a template: every value is already a string."""

    name: str
    label: str
    widget: Widget
    input_type: str = "text"
    value: str = ""
    checked: bool = False
    choices: tuple[Choice, ...] = ()
    required: bool = False
    readonly: bool = False
    help: str = ""
    placeholder: str = ""
    error: str = ""
    attrs: tuple[tuple[str, str], ...] = ()

    @property
    def id(self) -> str:
        return "f-" + _ID_UNSAFE.sub("-", self.name)

    @property
    def help_id(self) -> str:
        return self.id + "-help"

    @property
    def error_id(self) -> str:
        return self.id + "-error"

    @property
    def described_by(self) -> str:
        ids = [self.help_id] if self.help else []
        if self.error:
            ids.append(self.error_id)
        return " ".join(ids)

    @property
    def is_group(self) -> bool:
        """Radios and checkbox groups sit in a fieldset; their first input takes the focus."""
        return self.widget in ("radio", "checkboxes") and not self.readonly

    @property
    def focus_id(self) -> str:
        return f"{self.id}-0" if self.is_group else self.id

    @property
    def checked_values(self) -> tuple[str, ...]:
        return tuple(c.value for c in self.choices if c.checked)

    @property
    def checked_labels(self) -> str:
        return ", ".join(c.label for c in self.choices if c.checked)

    @property
    def shows_text(self) -> bool:
        """A read-only choice is shown as read-only text (its label), not as dimmed options."""
        return self.readonly and self.widget in ("radio", "select", "checkboxes")


def _type_of(prop: Mapping[str, Any]) -> str:
    kind = prop.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    return str(kind)


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def shown(value: Any) -> str:
    """A JSON value as an HTML form shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def ordered(props: Mapping[str, Any], order: Any) -> list[str]:
    """Property names in ``ui:order`` order; ``*`` stands for the ones not named."""
    names = list(props)
    if not isinstance(order, list) or not order:
        return names
    listed = [n for n in order if n in props]
    rest = [n for n in names if n not in listed]
    if "*" not in order:
        return listed + rest
    star = order.index("*")
    before = [n for n in order[:star] if n in props]
    after = [n for n in order[star + 1 :] if n in props]
    return before + rest + after


def html_pattern(pattern: str) -> str:
    """A JSON Schema pattern (matched anywhere) as an HTML pattern (matched whole)."""
    if pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$"):
        return pattern[1:-1]
    return f".*(?:{pattern}).*"


def _constraints(
    prop: Mapping[str, Any], kind: str, ui: Mapping[str, Any]
) -> list[tuple[str, str]]:
    attrs: list[tuple[str, str]] = []
    if kind == "string":
        for key, attr in (("minLength", "minlength"), ("maxLength", "maxlength")):
            if isinstance(prop.get(key), int):
                attrs.append((attr, str(prop[key])))
        if isinstance(prop.get("pattern"), str):
            attrs.append(("pattern", html_pattern(prop["pattern"])))
        if prop.get("format") == "date":
            for key, attr in (("formatMinimum", "min"), ("formatMaximum", "max")):
                if isinstance(prop.get(key), str):
                    attrs.append((attr, prop[key]))
    if kind in ("integer", "number"):
        for key, attr in (("minimum", "min"), ("maximum", "max")):
            if isinstance(prop.get(key), int | float) and not isinstance(prop.get(key), bool):
                attrs.append((attr, shown(prop[key])))
        step = prop.get("multipleOf")
        attrs.append(("step", shown(step) if step else ("1" if kind == "integer" else "any")))
    options = ui.get("ui:options")
    if isinstance(options, dict) and isinstance(options.get("rows"), int):
        attrs.append(("rows", str(options["rows"])))
    return attrs


def _widget(
    prop: Mapping[str, Any], kind: str, ui: Mapping[str, Any], choices: tuple[Option, ...] | None
) -> tuple[Widget, str]:
    """(widget, input type) for one property."""
    asked = str(ui.get("ui:widget") or "")
    if asked == "hidden":
        return "hidden", "hidden"
    if kind == "array":
        return "checkboxes", ""
    if asked == "radio" and (kind == "boolean" or choices is not None):
        return "radio", ""
    if asked == "select" and (kind == "boolean" or choices is not None):
        return "select", ""
    if kind == "boolean":
        return "checkbox", "checkbox"
    if choices is not None:
        return ("radio" if len(choices) <= RADIO_LIMIT else "select"), ""
    if asked == "textarea":
        return "textarea", ""
    if kind in ("integer", "number"):
        return "number", "number"
    if asked in _DATE_WIDGETS or prop.get("format") == "date":
        return "date", "date"
    fmt = str(prop.get("format") or "")
    options = ui.get("ui:options")
    own = str(options.get("inputType") or "") if isinstance(options, dict) else ""
    return "text", _TEXT_TYPES.get(asked) or _TEXT_TYPES.get(own) or _TEXT_TYPES.get(fmt) or "text"


def _current(values: Mapping[str, Any] | None, name: str, prop: Mapping[str, Any]) -> Any:
    if values is None:
        return prop.get("default")
    return values.get(name)


def _field(
    name: str,
    prop: Mapping[str, Any],
    ui: Mapping[str, Any],
    *,
    required: bool,
    value: Any,
    error: str,
) -> FieldView:
    kind = _type_of(prop)
    enum = field_options(prop, ui)
    widget, input_type = _widget(prop, kind, ui, enum)
    readonly = is_read_only(prop, ui)
    common: dict[str, Any] = {
        "name": name,
        "label": str(ui.get("ui:title") or prop.get("title") or name),
        "widget": widget,
        "input_type": input_type,
        "required": required,
        "readonly": readonly,
        "help": str(ui.get("ui:help") or ui.get("ui:description") or prop.get("description") or ""),
        "placeholder": str(ui.get("ui:placeholder") or ""),
        "error": error,
        "attrs": tuple(_constraints(prop, "string" if widget == "date" else kind, ui)),
    }
    if widget == "checkboxes":
        chosen = {shown(v) for v in value} if isinstance(value, list) else set()
        return FieldView(
            **common,
            choices=tuple(
                Choice(shown(o.value), o.label, shown(o.value) in chosen) for o in enum or ()
            ),
        )
    if widget in ("radio", "select"):
        options = (
            enum if enum is not None else (Option(True, YES_NO[0][1]), Option(False, YES_NO[1][1]))
        )
        current = shown(value)
        return FieldView(
            **common,
            value=current,
            choices=tuple(
                Choice(shown(o.value), o.label, shown(o.value) == current) for o in options
            ),
        )
    if widget == "checkbox":
        return FieldView(**common, value="true", checked=value is True or shown(value) == "true")
    return FieldView(**common, value=shown(value))


def fields(
    schema: Mapping[str, Any] | None,
    ui_schema: Mapping[str, Any] | None,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
) -> list[FieldView]:
    """The fields of a form step in display order.

    ``values`` are the values to show (an answer as :func:`answer_from_form` builds it);
    without them, each field shows the schema's ``default``. ``errors`` map a field
    name to the message shown next to it.
    """
    if not schema:
        return []
    props = schema.get("properties")
    if not isinstance(props, dict):
        return []
    ui = ui_schema or {}
    required = set(schema.get("required") or ())
    errors = errors or {}
    return [
        _field(
            name,
            _object(props[name]),
            _object(ui.get(name)),
            required=name in required,
            value=_current(values, name, _object(props[name])),
            error=errors.get(name, ""),
        )
        for name in ordered(props, ui.get("ui:order"))
    ]


_REQUIRED = re.compile(r"^'[^']*' is a required property$")
_PATTERN = re.compile(r"^'.*' does not match '.*'$", re.DOTALL)


def plain_message(message: str) -> str:
    """A validator message as an operator reads it next to a field."""
    if _REQUIRED.match(message):
        return "Fill this in."
    if _PATTERN.match(message):
        return "This does not have the expected format."
    return message


def field_errors(details: Iterable[Any], names: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """Split error details (``path``, ``message``) into per-field messages and the rest.

    A path such as ``tags/0`` belongs to the field ``tags``; messages for one field join.
    """
    known = set(names)
    per_field: dict[str, str] = {}
    rest: list[str] = []
    for detail in details:
        head = str(detail.path).split("/", 1)[0]
        if head in known:
            message = plain_message(detail.message)
            per_field[head] = f"{per_field[head]}; {message}" if head in per_field else message
        else:
            rest.append(f"{detail.path}: {detail.message}" if detail.path else detail.message)
    return per_field, rest


def _number(text: str, kind: str) -> Any:
    try:
        number = float(text)
    except ValueError:
        return text
    if not math.isfinite(number):
        return text
    if number.is_integer() and (kind == "integer" or re.fullmatch(r"[+-]?\d+", text)):
        return int(number)
    return number


def _typed(text: str, prop: Mapping[str, Any], ui: Mapping[str, Any] | None = None) -> Any:
    """One posted string as the value the schema expects; unconvertible text stays text."""
    enum = field_options(prop, ui)
    if enum is not None:
        for option in enum:
            if shown(option.value) == text:
                return option.value
        return text
    kind = _type_of(prop)
    if kind in ("integer", "number"):
        return _number(text, kind)
    if kind == "boolean":
        lowered = text.lower()
        if lowered in ("true", "on", "yes", "1"):
            return True
        if lowered in ("false", "off", "no", "0"):
            return False
    return text


def answer_from_form(schema: Mapping[str, Any] | None, form: FormData) -> dict[str, Any]:
    """The answer a posted form gives for ``schema``.

    Strings become the schema's types (integer, number, boolean, enum values, arrays);
    text is trimmed; empty fields are left out, so JSON Schema validation reports
    what is missing or wrong. Names the schema does not have are ignored.
    """
    props = (schema or {}).get("properties")
    if not isinstance(props, dict):
        return {}
    answer: dict[str, Any] = {}
    for name, prop in props.items():
        if not isinstance(prop, dict):
            continue
        posted = [v.strip() for v in form.getlist(name)]
        if _type_of(prop) == "array":
            chosen = [_typed(v, _object(prop.get("items"))) for v in posted if v]
            if chosen:
                answer[name] = chosen
            continue
        if not posted or not posted[-1]:
            continue
        answer[name] = _typed(posted[-1], prop)
    return answer
