"""The options a form field offers, read from its JSON Schema and UI schema.

This is the one rule for every channel: the compiler (choice steps), reading chat and
voice replies, the server-rendered form and the ``<cuebook-player>`` component (through
the step JSON) all label a field's values the same way.

A field is a choice when its schema lists its values:

* ``oneOf`` (or ``anyOf``) of ``{"const": v, "title": "Label", "x-synonyms": [...]}``;
* ``enum``, labelled by the UI schema's ``ui:enumNames``, else the schema's ``enumNames``;
* a single ``const`` (with its ``title``): one option;
* an ``array`` whose ``items`` are one of the above: the options of each item.

A value without a label is shown as JSON spells it (``true``, ``null``, ``2``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from engine.model import Option


def value_label(value: Any) -> str:
    """How a value without a title is labelled."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(value)


def _synonyms(entry: Mapping[str, Any]) -> tuple[str, ...]:
    found = entry.get("x-synonyms")
    if not isinstance(found, list):
        return ()
    return tuple(s for s in found if isinstance(s, str) and s.strip())


def _titled(entry: Mapping[str, Any]) -> Option:
    title = entry.get("title")
    label = str(title) if title is not None else value_label(entry["const"])
    return Option(entry["const"], label, _synonyms(entry))


def _consts(prop: Mapping[str, Any]) -> list[Any] | None:
    for key in ("oneOf", "anyOf"):
        variants = prop.get(key)
        if (
            isinstance(variants, list)
            and variants
            and all(isinstance(v, dict) and "const" in v for v in variants)
        ):
            return variants
    return None


def _own_options(prop: Mapping[str, Any], ui: Mapping[str, Any]) -> tuple[Option, ...] | None:
    variants = _consts(prop)
    if variants is not None:
        return tuple(_titled(v) for v in variants)
    enum = prop.get("enum")
    if isinstance(enum, list):
        names = ui.get("ui:enumNames") or prop.get("enumNames") or []
        if not isinstance(names, list):
            names = []
        return tuple(
            Option(v, str(names[i]) if i < len(names) else value_label(v))
            for i, v in enumerate(enum)
        )
    if "const" in prop:
        return (_titled(prop),)
    return None


def is_array(prop: Mapping[str, Any]) -> bool:
    """Whether a field holds a list (``"type": "array"``, possibly nullable)."""
    kind = prop.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind == "array"


def field_options(
    prop: Mapping[str, Any], ui: Mapping[str, Any] | None = None
) -> tuple[Option, ...] | None:
    """The options of one field (``prop``, with its own UI schema entry ``ui``), or None
    when the field is not a choice. An array's options are those of its items."""
    if not isinstance(prop, Mapping):
        return None
    ui = ui if isinstance(ui, Mapping) else {}
    if is_array(prop):
        items = prop.get("items")
        return _own_options(items, ui) if isinstance(items, Mapping) else None
    return _own_options(prop, ui)


def form_options(
    schema: Mapping[str, Any] | None, ui_schema: Mapping[str, Any] | None = None
) -> dict[str, tuple[Option, ...]]:
    """Every choice field of a form with its options, in the order of ``properties``."""
    props = (schema or {}).get("properties")
    if not isinstance(props, Mapping):
        return {}
    ui_all = ui_schema if isinstance(ui_schema, Mapping) else {}
    found: dict[str, tuple[Option, ...]] = {}
    for name, prop in props.items():
        options = field_options(prop, ui_all.get(name))
        if options is not None:
            found[name] = options
    return found


def choice_field(
    schema: Mapping[str, Any], options: Mapping[str, tuple[Option, ...]]
) -> tuple[str, tuple[Option, ...]] | None:
    """The field and options of a choice step: a form whose only property is a choice of
    one value (``options``: the form's choice fields, as :func:`form_options` finds them)."""
    props = schema.get("properties")
    if not isinstance(props, Mapping) or len(props) != 1:
        return None
    ((name, prop),) = props.items()
    if name not in options or not isinstance(prop, Mapping) or is_array(prop):
        return None
    return name, options[name]


def is_hidden(ui: Mapping[str, Any] | None) -> bool:
    """A field the form keeps but does not show (``ui:widget: hidden``)."""
    return isinstance(ui, Mapping) and ui.get("ui:widget") == "hidden"


def is_read_only(prop: Mapping[str, Any], ui: Mapping[str, Any] | None) -> bool:
    """A field shown but not changed (``ui:readonly``, ``ui:disabled`` or ``readOnly``)."""
    ui = ui if isinstance(ui, Mapping) else {}
    return bool(ui.get("ui:readonly") or ui.get("ui:disabled") or prop.get("readOnly"))


def kept_fields(schema: Mapping[str, Any] | None, ui_schema: Mapping[str, Any] | None) -> list[str]:
    """The fields nobody is asked for (hidden or read-only): their values stay as they are.
    A chat or a voice asks only the others; the web shows read-only ones as text."""
    props = (schema or {}).get("properties")
    if not isinstance(props, Mapping):
        return []
    ui_all = ui_schema if isinstance(ui_schema, Mapping) else {}
    return [
        name
        for name, prop in props.items()
        if isinstance(prop, Mapping)
        and (is_hidden(ui_all.get(name)) or is_read_only(prop, ui_all.get(name)))
    ]


def asked_fields(
    schema: Mapping[str, Any] | None, ui_schema: Mapping[str, Any] | None
) -> list[str]:
    """The fields a person fills: every property but the hidden and read-only ones."""
    props = (schema or {}).get("properties")
    if not isinstance(props, Mapping):
        return []
    kept = set(kept_fields(schema, ui_schema))
    return [name for name in props if name not in kept]
