"""What each API route takes and answers, declared on the route for the OpenAPI document.

A route says ``@described(summary=..., body=Model, query=Model, responses={200: Model})``
with the same request models it reads with ``parse_body`` / ``parse_query``, so the document
(``web/openapi.py``) and the validation have one source. The errors every route of a kind
can answer (401 and 403 from its roles, 400/413/422 for a body, 422 for a query, 404 for a
path parameter) are added by the document; ``errors`` names the others a route answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

F = TypeVar("F", bound=Callable[..., Any])
DESCRIBED_ATTR = "cuebook_described"

JSON = "application/json"


@dataclass(frozen=True)
class Content:
    """A body that is not a pydantic model: a media type and a JSON Schema (or none)."""

    media: str = JSON
    schema: dict[str, Any] | None = None


# What a response (or a request body) is: a model, a JSON Schema, Content, or None (no body);
# a tuple of them: one answer in several media types (JSON, or CSV when asked for).
Shape = type[BaseModel] | dict[str, Any] | Content | tuple[Any, ...] | None


@dataclass(frozen=True)
class Description:
    summary: str
    body: Shape = None
    query: type[BaseModel] | None = None
    responses: dict[int, Shape] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    tag: str = ""


def described(
    *,
    summary: str,
    responses: dict[int, Shape],
    body: Shape = None,
    query: type[BaseModel] | None = None,
    errors: tuple[int, ...] = (),
    tag: str = "",
) -> Callable[[F], F]:
    """Declare what a view takes and answers (see the module's text)."""

    def mark(view: F) -> F:
        setattr(
            view,
            DESCRIBED_ATTR,
            Description(summary, body, query, dict(responses), tuple(errors), tag),
        )
        return view

    return mark


def description_of(view: Callable[..., Any]) -> Description | None:
    found = getattr(view, DESCRIBED_ATTR, None)
    return found if isinstance(found, Description) else None


class Answer(BaseModel):
    """Base of the response models: they document what a route returns (fields not named
    here may be present too)."""

    model_config = ConfigDict(extra="allow")


class ErrorDetail(BaseModel):
    path: str = Field(description="Where in the request: a field path, or '' for the whole.")
    message: str


class ErrorInfo(Answer):
    code: str = Field(description="A stable name of what went wrong (script_not_found, ...).")
    message: str = Field(description="What went wrong, for a person.")
    details: list[ErrorDetail] = Field(description="One entry per problem (field paths).")


class ErrorBody(BaseModel):
    """Every error response: ``{"error": {"code", "message", "details"}}``."""

    error: ErrorInfo


def an_object(description: str) -> dict[str, Any]:
    """A JSON object answer not modelled field by field."""
    return {"type": "object", "description": description}
