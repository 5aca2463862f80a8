"""``camunda:formData`` read into a JSON Schema and a UI schema (react-jsonschema-form keys).

Field types string, long, boolean, date and enum map one to one; the validation
constraints required, minlength, maxlength, min, max and readonly become JSON Schema
keywords; ``defaultValue`` becomes ``default`` and ``label`` the field's title. Custom
types, custom validators and expressions in defaults are reported, not guessed at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from importers.camunda.namespaces import CAMUNDA_NS

CAMUNDA_DATE_FORMAT = "%d/%m/%Y"


@dataclass
class Form:
    schema: dict[str, Any]
    ui_schema: dict[str, Any]
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    origin: str = "form"

    @property
    def fields(self) -> list[str]:
        return list(self.schema["properties"])


def _c(name: str) -> str:
    return f"{{{CAMUNDA_NS}}}{name}"


def _number(text: str) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return None


def _field_type(node: Any, form: Form, name: str) -> dict[str, Any]:
    kind = (node.get("type") or "string").strip()
    if kind == "string":
        return {"type": "string"}
    if kind == "long":
        return {"type": "integer"}
    if kind == "boolean":
        return {"type": "boolean"}
    if kind == "date":
        form.notes.append(
            f"{name}: dates are answered as YYYY-MM-DD (Camunda's default was dd/MM/yyyy)"
        )
        return {"type": "string", "format": "date"}
    if kind == "enum":
        options = [
            {"const": value.get("id", ""), "title": value.get("name") or value.get("id", "")}
            for value in node.iterfind(_c("value"))
        ]
        if not options:
            form.problems.append(f"{name}: an enum without camunda:value entries")
            return {"type": "string"}
        return {"type": "string", "oneOf": options}
    form.problems.append(f"{name}: custom form field type {kind!r} became a text field")
    return {"type": "string"}


def _default(text: str, prop: dict[str, Any], form: Form, name: str) -> None:
    if "${" in text or "#{" in text:
        form.problems.append(
            f"{name}: the default {text!r} is an expression; a form default is a value "
            "(set the variable in a script before the step: a variable's value fills the field)"
        )
        return
    kind = prop.get("type")
    value: Any = text
    if kind == "integer":
        value = _number(text)
    elif kind == "boolean":
        value = {"true": True, "false": False}.get(text.strip().lower())
    elif prop.get("format") == "date":
        try:
            value = datetime.strptime(text.strip(), CAMUNDA_DATE_FORMAT).date().isoformat()
        except ValueError:
            value = None
    if value is None or not isinstance(value, int | str | bool):
        form.problems.append(f"{name}: default {text!r} does not fit the field's type")
        return
    prop["default"] = value


def _constraints(
    node: Any, prop: dict[str, Any], ui: dict[str, Any], form: Form, name: str
) -> bool:
    """Apply the field's validation constraints; True when it is required."""
    required = False
    numeric = prop.get("type") == "integer"
    for constraint in node.iterfind(f"{_c('validation')}/{_c('constraint')}"):
        kind = (constraint.get("name") or "").strip()
        config = (constraint.get("config") or "").strip()
        if kind == "required":
            required = True
        elif kind == "readonly":
            prop["readOnly"] = True
            ui["ui:readonly"] = True
        elif kind in ("minlength", "maxlength") and config.isdigit():
            prop["minLength" if kind == "minlength" else "maxLength"] = int(config)
        elif kind in ("min", "max") and _number(config) is not None:
            key = "minimum" if kind == "min" else "maximum"
            if numeric:
                prop[key] = _number(config)
            else:
                form.problems.append(
                    f"{name}: {kind} ({config}) on a {prop.get('format') or prop.get('type')} "
                    "field is not checked by the form"
                )
        else:
            form.problems.append(
                f"{name}: validation constraint {kind!r}"
                + (f" ({config})" if config else "")
                + " has no JSON Schema counterpart"
            )
    return required


def read_form(form_data: Any, title: str) -> Form:
    """The form of one ``camunda:formData`` element."""
    form = Form({"title": title, "type": "object", "properties": {}}, {"ui:order": []})
    required: list[str] = []
    for node in form_data.iterfind(_c("formField")):
        name = (node.get("id") or "").strip()
        if not name:
            form.problems.append("a form field without an id was left out")
            continue
        prop = _field_type(node, form, name)
        label = node.get("label")
        if label:
            prop["title"] = label
        ui: dict[str, Any] = {}
        if prop.get("format") == "date":
            ui["ui:widget"] = "date"
        if _constraints(node, prop, ui, form, name):
            required.append(name)
        default = node.get("defaultValue")
        if default is not None:
            _default(default, prop, form, name)
        if node.find(f"{_c('properties')}/{_c('property')}") is not None:
            form.notes.append(f"{name}: camunda:properties of the field were left out")
        if node.get("businessKey") == "true" or form_data.get("businessKey") == name:
            form.notes.append(f"{name}: the business key is an ordinary variable in Cuebook")
        form.schema["properties"][name] = prop
        form.ui_schema["ui:order"].append(name)
        if ui:
            form.ui_schema[name] = ui
    if required:
        form.schema["required"] = required
    return form
