"""Camunda Forms (form-js ``.form`` files, Camunda 7.15+) read into a JSON Schema form.

Components map by type: textfield, textarea, number, checkbox, select, radio, checklist,
taglist and datetime become fields (their ``validate`` rules become keywords); text
components become the form's description; groups are flattened. Options from a variable
(``valuesKey``) are read when the step is shown (SpiffArena's ``options_from_task_data_var``);
conditions (``conditional``) and expressions (``=...``) are reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from importers.camunda.forms import Form

TASK_DATA_OPTIONS = "options_from_task_data_var:"
_STRING = {"textfield", "textarea", "select", "radio", "datetime"}
_IGNORED = {"button", "separator", "spacer", "image", "html", "iframe", "table", "expression"}


def _components(components: Any) -> Iterator[dict[str, Any]]:
    for component in components if isinstance(components, list) else []:
        if not isinstance(component, dict):
            continue
        if component.get("type") in ("group", "dynamiclist"):
            yield from _components(component.get("components"))
        else:
            yield component


def _options(component: dict[str, Any], form: Form, key: str) -> dict[str, Any]:
    """The options keyword of a choice: listed values, or a variable's (SpiffArena's marker,
    which reads the same list of ``{"label", "value"}`` form-js reads)."""
    values = component.get("values")
    if isinstance(values, list) and values:
        return {
            "oneOf": [
                {"const": v.get("value"), "title": str(v.get("label", v.get("value")))}
                for v in values
                if isinstance(v, dict)
            ]
        }
    variable = component.get("valuesKey")
    if isinstance(variable, str) and variable.isidentifier():
        form.notes.append(f"{key}: options read from the variable {variable!r} when shown")
        return {"anyOf": [f"{TASK_DATA_OPTIONS}{variable}"]}
    source = component.get("valuesExpression")
    form.problems.append(
        f"{key}: options come from the expression {source!r}"
        if source
        else f"{key}: a choice without options"
    )
    return {}


def _field(component: dict[str, Any], form: Form, key: str) -> dict[str, Any]:
    kind = component.get("type")
    prop: dict[str, Any]
    if kind == "number":
        prop = {"type": "number"}
    elif kind == "checkbox":
        prop = {"type": "boolean"}
    elif kind in ("checklist", "taglist"):
        items = {"type": "string", **_options(component, form, key)}
        prop = {"type": "array", "items": items, "uniqueItems": True}
    else:
        prop = {"type": "string"}
        if kind in ("select", "radio"):
            prop.update(_options(component, form, key))
        if kind == "datetime":
            prop["format"] = "date" if component.get("subtype", "date") == "date" else "date-time"
    if kind not in _STRING | {"number", "checkbox", "checklist", "taglist"}:
        form.problems.append(f"{key}: component type {kind!r} became a text field")
    return prop


def _validation(component: dict[str, Any], prop: dict[str, Any], form: Form, key: str) -> bool:
    found = component.get("validate")
    rules: dict[str, Any] = found if isinstance(found, dict) else {}
    for rule, keyword in (
        ("minLength", "minLength"),
        ("maxLength", "maxLength"),
        ("min", "minimum"),
        ("max", "maximum"),
        ("pattern", "pattern"),
    ):
        value = rules.get(rule)
        if value is None or value == "":
            continue
        if isinstance(value, str) and value.startswith("="):
            form.problems.append(f"{key}: {rule} is an expression ({value})")
        else:
            prop[keyword] = value
    if rules.get("validationType") in ("email", "phone"):
        form.notes.append(f"{key}: {rules['validationType']} validation left to a pattern")
    return bool(rules.get("required"))


def read_form_js(data: dict[str, Any], title: str) -> Form:
    """The form of one Camunda Forms document."""
    form = Form({"title": title, "type": "object", "properties": {}}, {"ui:order": []})
    texts: list[str] = []
    required: list[str] = []
    for component in _components(data.get("components")):
        kind = component.get("type")
        if kind == "text":
            texts.append(str(component.get("text", "")))
            continue
        key = component.get("key")
        if kind in _IGNORED or not isinstance(key, str) or not key:
            continue
        prop = _field(component, form, key)
        ui: dict[str, Any] = {}
        label = component.get("label") or component.get("dateLabel")
        if label:
            prop["title"] = str(label)
        if component.get("description"):
            ui["ui:help"] = str(component["description"])
        if kind == "textarea":
            ui["ui:widget"] = "textarea"
        elif kind == "radio":
            ui["ui:widget"] = "radio"
        elif kind == "datetime":
            ui["ui:widget"] = "date"
        if component.get("readonly") is True or component.get("disabled") is True:
            prop["readOnly"] = True
            ui["ui:readonly"] = True
        if "defaultValue" in component:
            prop["default"] = component["defaultValue"]
        if _validation(component, prop, form, key):
            required.append(key)
        if component.get("conditional"):
            form.problems.append(f"{key}: shown only on a condition; the form always shows it")
        form.schema["properties"][key] = prop
        form.ui_schema["ui:order"].append(key)
        if ui:
            form.ui_schema[key] = ui
    if texts:
        form.schema["description"] = "\n\n".join(t for t in texts if t)
    if required:
        form.schema["required"] = required
    return form
