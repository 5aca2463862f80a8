"""The JSON Schema an integration function spec must meet (checks beyond it live in spec.py)."""

from __future__ import annotations

from typing import Any

JSON_TYPES = ["string", "integer", "number", "boolean", "object", "array"]
HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
BODY_TYPES = ["json", "form", "text"]

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"
SECRET_NAME = r"^[A-Z][A-Z0-9_]*$"
HEADER_NAME = r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"

_TEMPLATE = {"type": "string", "maxLength": 8192}
_TEMPLATE_MAP = {
    "type": "object",
    "propertyNames": {"minLength": 1, "maxLength": 200},
    "additionalProperties": _TEMPLATE,
}

_PARAMETER: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "type"],
    "properties": {
        "name": {"type": "string", "pattern": IDENTIFIER, "maxLength": 64},
        "type": {"enum": JSON_TYPES},
        "required": {"type": "boolean"},
        "default": {},
        "description": {"type": "string", "maxLength": 2000},
    },
}

_RESULT: dict[str, Any] = {
    "oneOf": [
        {"type": "string", "minLength": 1, "maxLength": 500},
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["path"],
            "properties": {
                "path": {"type": "string", "minLength": 1, "maxLength": 500},
                "required": {"type": "boolean"},
                "default": {},
            },
        },
    ]
}

FUNCTION_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Cuebook integration function",
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "request"],
    "properties": {
        "name": {"type": "string", "pattern": IDENTIFIER, "maxLength": 100},
        "description": {"type": "string", "maxLength": 4000},
        "version": {"type": "integer", "minimum": 1},
        "parameters": {"type": "array", "items": _PARAMETER, "maxItems": 50},
        "request": {
            "type": "object",
            "additionalProperties": False,
            "required": ["url"],
            "properties": {
                "method": {"enum": HTTP_METHODS},
                "url": {"type": "string", "minLength": 1, "maxLength": 8192},
                "headers": {
                    "type": "object",
                    "propertyNames": {"pattern": HEADER_NAME, "maxLength": 200},
                    "additionalProperties": _TEMPLATE,
                },
                "query": _TEMPLATE_MAP,
                "body": {"type": ["string", "object", "array", "null"]},
                "body_type": {"enum": BODY_TYPES},
            },
        },
        "response": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "success_status": {
                    "type": "array",
                    "minItems": 1,
                    "uniqueItems": True,
                    "items": {"type": "integer", "minimum": 100, "maximum": 599},
                },
                "results": {
                    "type": "object",
                    "propertyNames": {"pattern": IDENTIFIER, "maxLength": 64},
                    "additionalProperties": _RESULT,
                },
            },
        },
        "timeout_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 120},
        "retries": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "count": {"type": "integer", "minimum": 0, "maximum": 10},
                "backoff_s": {"type": "number", "minimum": 0, "maximum": 60},
                "on_non_idempotent": {"type": "boolean"},
            },
        },
        "cache": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "required": ["ttl_s"],
            "properties": {
                "ttl_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 86400},
                "max_entries": {"type": "integer", "minimum": 1, "maximum": 1000000},
                "non_get": {"type": "boolean"},
            },
        },
        "circuit_breaker": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "failure_threshold": {"type": "integer", "minimum": 0, "maximum": 1000},
                "reset_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 3600},
            },
        },
        "secrets": {
            "type": "array",
            "uniqueItems": True,
            "items": {"type": "string", "pattern": SECRET_NAME, "maxLength": 100},
        },
    },
}
