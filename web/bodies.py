"""Request bodies: JSON objects with errors that name the field."""

from __future__ import annotations

from typing import Any

from flask import request

from engine.errors import Detail, MalformedInput, ValidationFailed


def json_object() -> dict[str, Any]:
    if not request.data:
        return {}
    if not request.is_json:
        raise MalformedInput("send JSON with Content-Type: application/json")
    body = request.get_json(silent=True)
    if body is None:
        raise MalformedInput("the body is not valid JSON")
    if not isinstance(body, dict):
        raise ValidationFailed("the body must be a JSON object", [Detail("", "must be an object")])
    return body


def field(
    body: dict[str, Any],
    name: str,
    kind: type | tuple[type, ...],
    *,
    required: bool = False,
    default: Any = None,
    max_length: int = 10_000,
) -> Any:
    """A field of a JSON body, type-checked; text is length-checked and may not hold NUL."""
    if name not in body or body[name] is None:
        if required:
            raise ValidationFailed(f"{name} is required", [Detail(name, "is required")])
        return default
    value = body[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ValidationFailed(f"{name} must be {names}", [Detail(name, f"must be {names}")])
    if isinstance(value, str):
        if len(value) > max_length:
            raise ValidationFailed(
                f"{name} is too long ({len(value)} characters, at most {max_length})",
                [Detail(name, f"at most {max_length} characters")],
            )
        if "\x00" in value:
            raise ValidationFailed(f"{name} holds a NUL character", [Detail(name, "holds NUL")])
    return value
