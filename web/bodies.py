"""Requests read into typed models: JSON bodies and query strings, with errors that name the field.

A blueprint declares what it accepts as a pydantic model (``player/requests.py``,
``editor_api/requests.py``) and reads it with ``parse_body(Model)`` or
``parse_query(Model)``. Whatever does not fit becomes one ``ValidationFailed`` (422) with one
``Detail(path, message)`` per problem; paths are written as the integration specs write them
(``variables``, ``request.url``, ``parameters[0].type``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from flask import request
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from engine.errors import Detail, MalformedInput, ValidationFailed
from integrations.spec import format_path

TEXT_MAX = 10_000


def _without_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "holds a NUL character")
    return value


# Text in a request: at most TEXT_MAX characters, no NUL. A lower limit goes inside the
# annotation, ``Annotated[Text, Field(max_length=100)]``: a max_length given to the field's
# own ``Field(...)`` would lose to the one here.
Text = Annotated[str, StringConstraints(max_length=TEXT_MAX), AfterValidator(_without_nul)]


def only(*kinds: type, message: str) -> BeforeValidator:
    """Refuse, with one message, a value of none of ``kinds`` (a bool is no int here).

    Put before a union so that a wrong type gives one clear problem at the field's own
    path instead of one problem per member of the union."""

    def check(value: Any) -> Any:
        if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
            raise PydanticCustomError("wrong_type", message)
        return value

    return BeforeValidator(check)


class RequestBody(BaseModel):
    """A JSON request body: strict types (no "1" for 1, no true for 1), unknown fields
    refused (a model that tolerates them sets ``extra="ignore"``), and ``null`` the same
    as leaving a field out."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None or k not in cls.model_fields}
        return data


class RequestQuery(BaseModel):
    """Query-string arguments: text read into the declared types, an empty value the same
    as leaving the argument out, other arguments ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)


BodyT = TypeVar("BodyT", bound=RequestBody)
QueryT = TypeVar("QueryT", bound=RequestQuery)


_FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def json_object() -> dict[str, Any]:
    """The body as a JSON object (``{}`` when there is no body, or a form's)."""
    # A form's body is left to the form parser (an upload is not read into memory here);
    # any other body is read with get_data: request.data runs the form parser first.
    if request.mimetype in _FORM_TYPES or not request.get_data(cache=True):
        return {}
    if not request.is_json:
        raise MalformedInput("send JSON with Content-Type: application/json")
    body = request.get_json(silent=True)
    if body is None:
        raise MalformedInput("the body is not valid JSON")
    if not isinstance(body, dict):
        raise ValidationFailed("the body must be a JSON object", [Detail("", "must be an object")])
    return body


def parse_body(model: type[BodyT]) -> BodyT:
    """The JSON body read into ``model``."""
    return _validated(model, json_object(), "request body")


def parse_query(model: type[QueryT]) -> QueryT:
    """The query string read into ``model``."""
    args = {k: v for k, v in request.args.items() if v != ""}
    return _validated(model, args, "query")


ModelT = TypeVar("ModelT", bound=BaseModel)


def _validated(model: type[ModelT], data: dict[str, Any], what: str) -> ModelT:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = [_detail(error) for error in exc.errors(include_url=False)]
        first = details[0]
        where = f"{first.path}: " if first.path else ""
        more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
        raise ValidationFailed(f"invalid {what}: {where}{first.message}{more}", details) from None


def _length(words: str, key: str) -> Callable[[ErrorDetails], str]:
    def message(error: ErrorDetails) -> str:
        unit = "characters" if isinstance(error.get("input"), str) else "items"
        return f"{words} {(error.get('ctx') or {}).get(key)} {unit}"

    return message


def _bound(words: str, key: str) -> Callable[[ErrorDetails], str]:
    return lambda error: f"{words} {(error.get('ctx') or {}).get(key)}"


# Pydantic's error types in the words the rest of the API uses; others keep pydantic's text.
_MESSAGES: dict[str, Callable[[ErrorDetails], str]] = {
    "missing": lambda _: "required field is missing",
    "extra_forbidden": lambda _: "unknown field",
    "string_type": lambda _: "must be text",
    "int_type": lambda _: "must be a whole number",
    "int_parsing": lambda _: "must be a whole number",
    "int_from_float": lambda _: "must be a whole number",
    "float_type": lambda _: "must be a number",
    "float_parsing": lambda _: "must be a number",
    "bool_type": lambda _: "must be true or false",
    "bool_parsing": lambda _: "must be true or false",
    "dict_type": lambda _: "must be an object",
    "list_type": lambda _: "must be a list",
    "string_too_long": _length("at most", "max_length"),
    "too_long": _length("at most", "max_length"),
    "string_too_short": _length("at least", "min_length"),
    "too_short": _length("at least", "min_length"),
    "greater_than_equal": _bound("must be at least", "ge"),
    "less_than_equal": _bound("must be at most", "le"),
    "greater_than": _bound("must be more than", "gt"),
    "less_than": _bound("must be less than", "lt"),
}


def _detail(error: ErrorDetails) -> Detail:
    words = _MESSAGES.get(error["type"])
    return Detail(format_path(error["loc"]), words(error) if words else error["msg"])
