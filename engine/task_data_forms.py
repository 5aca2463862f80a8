"""Forms that take part of their content from the instance's data when a step is shown.

SpiffArena's conventions, kept so a process model drawn there runs unchanged:

* ``"anyOf": ["options_from_task_data_var:VAR"]`` (also under ``oneOf``, ``enum`` and an
  array's ``items``): the field's options are the variable ``VAR``, a list of
  ``{"value": v, "label": "Label"}`` dicts or of plain values (the value is its own label);
* ``"items": ["options_from_task_data_var:VAR"]`` where ``VAR`` lists JSON Schemas: the
  array's positions (``prefixItems``);
* the variable ``form_ui_hidden_fields`` (a list of field names, ``a.b`` for nested ones)
  hides those fields;
* the form's files are Jinja templates rendered with the task's data: a string of the
  schema or UI schema holding ``{{ ... }}`` or ``{% ... %}`` (a title, a description, a
  default) is rendered when the step is shown (a template outside a string is not JSON, and
  is refused at deploy as such).

A step's form is compiled once with the markers taken out (so the version validates);
each time the step is shown or answered, the markers are replaced by the options read from
the waiting task's data, and the answer is checked against those options.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from jsonschema import Draft202012Validator

from engine.errors import ScriptFailed
from engine.form_options import choice_field, form_options, value_label
from engine.model import Step
from engine.templates import check_template

MARKER = "options_from_task_data_var:"
HIDDEN_FIELDS_VAR = "form_ui_hidden_fields"
_OPTION_KEYS = ("anyOf", "oneOf", "enum")
_KEYS = (*_OPTION_KEYS, "items")
_TEMPLATE_MARKS = ("{{", "{%")
Render = Callable[[str], str]


def marker_var(value: Any) -> str | None:
    """``VAR`` when ``value`` is SpiffArena's one-element marker list, else None."""
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        text = value[0]
        if text.startswith(MARKER) and text[len(MARKER) :].strip():
            return text[len(MARKER) :].strip()
    return None


def _walk(node: Any, found: list[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            var = marker_var(value) if key in _KEYS else None
            if var is not None:
                if var not in found:
                    found.append(var)
            else:
                _walk(value, found)
    elif isinstance(node, list):
        for item in node:
            _walk(item, found)


def option_vars(schema: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The variables a form takes options from, in the order they appear."""
    found: list[str] = []
    _walk(schema, found)
    return tuple(found)


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: _strip(v) for k, v in node.items() if not (k in _KEYS and marker_var(v) is not None)
        }
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def without_markers(schema: dict[str, Any]) -> dict[str, Any]:
    """The form as compiled: each marker taken out, so the field accepts any value of its
    type until the options are known."""
    return _strip(schema) if option_vars(schema) else schema


def _problem(where: str, var: str, what: str) -> ScriptFailed:
    return ScriptFailed(
        f"{where}: the form takes its options from the variable {var!r}, {what}",
        extra={"element": where, "variable": var},
    )


def _entries(data: Mapping[str, Any], var: str, where: str) -> list[Any]:
    if var not in data:
        raise _problem(where, var, "which is not set")
    value = data[var]
    if not isinstance(value, list) or not value:
        raise _problem(
            where,
            var,
            f"which must be a non-empty list of {{'value', 'label'}} or of values "
            f"(it is {type(value).__name__}{'' if value else ', empty'})",
        )
    return value


def _const(entry: Any, where: str, var: str) -> dict[str, Any]:
    if isinstance(entry, dict):
        if "value" not in entry:
            raise _problem(where, var, "whose entries must each have a 'value'")
        label = entry.get("label")
        value = entry["value"]
        return {"const": value, "title": str(label) if label is not None else value_label(value)}
    if isinstance(entry, str | int | float | bool):
        return {"const": entry, "title": value_label(entry)}
    raise _problem(where, var, f"whose entries cannot be {type(entry).__name__}")


def _resolved(
    node: dict[str, Any], key: str, var: str, data: Mapping[str, Any], where: str
) -> None:
    entries = _entries(data, var, where)
    del node[key]
    if key == "items":
        if all(isinstance(e, dict) and "value" not in e for e in entries):
            node["prefixItems"] = copy.deepcopy(entries)
            node["items"] = False
        else:
            node["items"] = {"anyOf": [_const(e, where, var) for e in entries]}
        return
    node["oneOf" if key == "enum" else key] = [_const(e, where, var) for e in entries]


def _fill(node: Any, data: Mapping[str, Any], where: str) -> None:
    if isinstance(node, dict):
        for key in [k for k in node if k in _KEYS]:
            var = marker_var(node[key])
            if var is not None:
                _resolved(node, key, var, data, where)
        for value in node.values():
            _fill(value, data, where)
    elif isinstance(node, list):
        for item in node:
            _fill(item, data, where)


def resolve_options(schema: dict[str, Any], data: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The form with each marker replaced by the options in ``data`` (``where``: the step's
    element id, named by the ScriptFailed raised for a variable missing or of a wrong shape)."""
    shown = copy.deepcopy(schema)
    _fill(shown, data, where)
    return shown


def hidden_ui(ui_schema: dict[str, Any] | None, data: Mapping[str, Any]) -> dict[str, Any] | None:
    """The UI schema with the fields named by ``form_ui_hidden_fields`` hidden."""
    names = data.get(HIDDEN_FIELDS_VAR)
    if not isinstance(names, list) or not names:
        return ui_schema
    ui = copy.deepcopy(ui_schema) if ui_schema else {}
    for name in names:
        if not isinstance(name, str) or not name:
            continue
        node = ui
        for part in name.split("."):
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node["ui:widget"] = "hidden"
    return ui


def _templates(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node] if any(mark in node for mark in _TEMPLATE_MARKS) else []
    if isinstance(node, dict):
        return [t for value in node.values() for t in _templates(value)]
    if isinstance(node, list):
        return [t for item in node for t in _templates(item)]
    return []


def is_templated(*forms: Any) -> bool:
    """Whether a schema or UI schema holds strings to render with the task's data."""
    return any(_templates(form) for form in forms)


def template_problems(*forms: Any) -> list[str]:
    """Problems of the templates in a form's strings (syntax, refused tags)."""
    return [
        f"template {text[:40]!r}: {problem}"
        for form in forms
        for text in _templates(form)
        for problem in check_template(text)
    ]


def _rendered(node: Any, render: Render) -> Any:
    if isinstance(node, str):
        return render(node) if any(mark in node for mark in _TEMPLATE_MARKS) else node
    if isinstance(node, dict):
        return {key: _rendered(value, render) for key, value in node.items()}
    if isinstance(node, list):
        return [_rendered(item, render) for item in node]
    return node


def needs_task_data(spec: Any, data: Mapping[str, Any]) -> bool:
    """Whether a step's form depends on the data it is shown with."""
    return (
        bool(getattr(spec, "option_vars", ()))
        or getattr(spec, "templated", False)
        or (spec.schema is not None and HIDDEN_FIELDS_VAR in data)
    )


def with_task_data(
    step: Step, spec: Any, data: Mapping[str, Any], render: Render | None = None
) -> Step:
    """A step as shown with the waiting task's ``data``: templates in the form's strings
    rendered (``render``), options filled in, hidden fields hidden, and the step's kind (a
    one-field form of options is a choice) decided again."""
    if step.schema is None:
        return step
    schema, ui = step.schema, step.ui_schema
    if getattr(spec, "templated", False) and render is not None:
        schema, ui = _rendered(schema, render), _rendered(ui, render)
    schema = resolve_options(schema, data, step.id) if spec.option_vars else schema
    ui = hidden_ui(ui, data)
    options = form_options(schema, ui)
    kind, field, choice = step.kind, step.field, step.options
    if spec.option_vars or step.kind == "choice":
        found = choice_field(schema, options)
        if found is not None:
            kind, (field, choice) = "choice", found
    return replace(
        step,
        kind=kind,  # type: ignore[arg-type]
        schema=schema,
        ui_schema=ui,
        field_options=options,
        options=choice,
        field=field,
    )


def answer_validator(spec: Any, data: Mapping[str, Any] | None) -> Any:
    """The validator of a step's answer: the compiled one, or for a form whose options come
    from task data, one for the options as they stand in ``data``."""
    if not getattr(spec, "option_vars", ()) or spec.schema is None:
        return spec.validator
    schema = resolve_options(spec.schema, data or {}, spec.id)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
