"""The OpenAPI 3.1 document of the JSON API, built from the app's routes.

Paths and methods come from the Flask url map; path parameters from the rules' converters;
who may call from ``web.auth`` (``public`` / ``roles``); bodies, query strings and responses
from each route's ``@described`` (``web/described.py``), whose request models are the ones
the route validates with. Nothing here is written beside the code by hand.
"""

from __future__ import annotations

import inspect
import re
from http import HTTPStatus
from typing import Any

from flask import Flask
from pydantic import BaseModel
from werkzeug.routing import IntegerConverter, Rule

from engine.tokens import ROLES
from web.auth import PUBLIC_ATTR, ROLES_ATTR
from web.described import JSON, Content, Description, ErrorBody, Shape, description_of
from web.paths import SEGMENT_PATTERN

OPENAPI_VERSION = "3.1.0"
REF = "#/components/schemas/{model}"
DOCUMENTED_PREFIXES = ("/api/v1/",)
_ARGUMENT = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")
_SKIPPED_METHODS = {"HEAD", "OPTIONS"}
_ERROR = {JSON: {"schema": {"$ref": REF.format(model="ErrorBody")}}}


class _Components:
    """Schemas shared by reference; one name is one schema."""

    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {}

    def add(self, name: str, schema: dict[str, Any]) -> None:
        known = self.schemas.setdefault(name, schema)
        if known != schema:
            raise ValueError(f"two different schemas are named {name!r}")

    def inline(self, model: type[BaseModel], mode: str) -> dict[str, Any]:
        """The model's own schema, its nested models moved into the components."""
        schema = model.model_json_schema(ref_template=REF, mode=mode)  # type: ignore[arg-type]
        for name, nested in schema.pop("$defs", {}).items():
            self.add(name, nested)
        return schema

    def ref(self, model: type[BaseModel], mode: str) -> dict[str, Any]:
        self.add(model.__name__, self.inline(model, mode))
        return {"$ref": REF.format(model=model.__name__)}

    def content(self, shape: Shape, mode: str) -> dict[str, Any] | None:
        if shape is None:
            return None
        if isinstance(shape, tuple):
            merged: dict[str, Any] = {}
            for each in shape:
                merged.update(self.content(each, mode) or {})
            return merged
        if isinstance(shape, Content):
            return {shape.media: {"schema": shape.schema}} if shape.schema is not None else {}
        if isinstance(shape, dict):
            return {JSON: {"schema": shape}}
        return {JSON: {"schema": self.ref(shape, mode)}}


def openapi_document(app: Flask, *, title: str, version: str) -> dict[str, Any]:
    """The document of every route under ``/api/v1/``."""
    components = _Components()
    components.add("ErrorBody", components.inline(ErrorBody, "serialization"))
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(DOCUMENTED_PREFIXES):
            continue
        view = app.view_functions[rule.endpoint]
        path = _ARGUMENT.sub(r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - _SKIPPED_METHODS):
            paths.setdefault(path, {})[method.lower()] = _operation(rule, view, components)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": title,
            "version": version,
            "description": "The script API for bots, IVR and players, tickets and queues, "
            "and the editor API for authors. Send `Authorization: Bearer <token>`; "
            "each operation names the roles that may call it.",
        },
        "paths": paths,
        "components": {
            "schemas": dict(sorted(components.schemas.items())),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token (`cuebook token create ROLE`).",
                }
            },
        },
    }


def _operation(rule: Rule, view: Any, components: _Components) -> dict[str, Any]:
    found = description_of(view)
    described = found or Description(summary=_first_line(view), responses={200: {}})
    doc = inspect.getdoc(view) or ""
    public = bool(getattr(view, PUBLIC_ATTR, False))
    allowed: frozenset[str] | None = getattr(view, ROLES_ATTR, None)
    op: dict[str, Any] = {
        "operationId": rule.endpoint.replace(".", "_"),
        "summary": described.summary,
        "tags": [described.tag or rule.endpoint.split(".")[0]],
    }
    who = _who(public, allowed)
    op["description"] = "\n\n".join(part for part in (doc, who) if part)
    op["security"] = [] if public else [{"bearer": []}]
    if allowed is not None:
        op["x-roles"] = sorted(allowed)
    parameters = _path_parameters(rule)
    if described.query is not None:
        parameters += _query_parameters(described.query, components)
    if parameters:
        op["parameters"] = parameters
    body = components.content(described.body, "validation")
    if body is not None:
        op["requestBody"] = {"required": False, "content": body}
    op["responses"] = _responses(described, components, public, allowed, bool(rule.arguments))
    if found is None:  # not described yet: any error may come
        op["responses"]["default"] = {"description": "An error", "content": _ERROR}
    return op


def _first_line(view: Any) -> str:
    doc = inspect.getdoc(view) or view.__name__.replace("_", " ")
    return doc.splitlines()[0]


def _who(public: bool, allowed: frozenset[str] | None) -> str:
    if public:
        return "No token needed."
    if allowed is None or allowed >= set(ROLES):
        return "Any role's token."
    return "Roles: " + ", ".join(sorted(allowed)) + "."


def _responses(
    described: Description,
    components: _Components,
    public: bool,
    allowed: frozenset[str] | None,
    has_path_parameters: bool,
) -> dict[str, Any]:
    errors = set(described.errors)
    if not public:
        errors.add(401)
        if allowed is not None and not allowed >= set(ROLES):
            errors.add(403)
    if described.body is not None:
        errors |= {400, 413, 422}
    if described.query is not None:
        errors.add(422)
    if has_path_parameters:
        errors.add(404)
    answers: dict[str, Any] = {}
    for status, shape in sorted(described.responses.items()):
        answer: dict[str, Any] = {"description": HTTPStatus(status).phrase}
        content = components.content(shape, "serialization")
        if content:
            answer["content"] = content
        answers[str(status)] = answer
    for status in sorted(errors - set(described.responses)):
        answers[str(status)] = {"description": HTTPStatus(status).phrase, "content": _ERROR}
    if described.query is not None:
        answers["414"] = {"description": "The request line is over the server's limit (4 KB)."}
    answers["503"] = {
        "description": "The database is out of reach: nothing changed; retry after the "
        "Retry-After header's seconds.",
        "content": _ERROR,
    }
    return answers


def _path_parameters(rule: Rule) -> list[dict[str, Any]]:
    converters = rule._converters  # the rule's own record of its arguments' converters
    found = []
    for name in _ARGUMENT.findall(rule.rule):
        found.append(
            {"name": name, "in": "path", "required": True, "schema": _converted(converters[name])}
        )
    return found


def _converted(converter: Any) -> dict[str, Any]:
    if isinstance(converter, IntegerConverter):
        schema: dict[str, Any] = {"type": "integer", "minimum": converter.min or 0}
        if converter.max is not None:
            schema["maximum"] = converter.max
        return schema
    return {"type": "string", "minLength": 1, "pattern": SEGMENT_PATTERN}


def _query_parameters(model: type[BaseModel], components: _Components) -> list[dict[str, Any]]:
    schema = components.inline(model, "validation")
    required = set(schema.get("required", ()))
    found = []
    for name, prop in schema.get("properties", {}).items():
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": _not_null(prop),
        }
        if "description" in prop:
            parameter["description"] = prop["description"]
        found.append(parameter)
    return found


def _not_null(prop: dict[str, Any]) -> dict[str, Any]:
    """A query argument's schema without ``null`` (a query string has text or nothing)."""
    prop = {k: v for k, v in prop.items() if k not in ("title", "description")}
    if prop.get("default", 0) is None:
        del prop["default"]
    options = prop.get("anyOf")
    if options:
        kept = [o for o in options if o.get("type") != "null"]
        rest = {k: v for k, v in prop.items() if k != "anyOf"}
        prop = {**kept[0], **rest} if len(kept) == 1 else {**rest, "anyOf": kept}
    return prop
