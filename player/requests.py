"""What clients send to the script API: request bodies and query strings as typed models."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from engine.sessions import Reply
from player.renderers import RENDERERS
from web.bodies import TEXT_MAX, RequestBody, RequestQuery, Text


def _digits_as_text(value: Any) -> Any:
    """Keyed digits arrive as text or as a number; the engine reads them as text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise PydanticCustomError("wrong_type", "must be text or a whole number")
    return value


Digits = Annotated[
    Text,
    BeforeValidator(_digits_as_text),
    WithJsonSchema({"anyOf": [{"type": "string", "maxLength": TEXT_MAX}, {"type": "integer"}]}),
]


class StartSession(RequestBody):
    """POST /api/v1/sessions: start a session of a script's published version."""

    script: Annotated[Text, Field(max_length=100)] = Field(
        description="Key of the script to start."
    )
    channel: Text = Field(
        "web", description="Channel the session runs on: web, chat or ivr (renders its steps)."
    )
    variables: dict[str, Any] = Field(
        default_factory=dict, description="Workflow variables the session starts with."
    )
    session_key: Annotated[Text, Field(max_length=200)] | None = Field(
        None,
        description="The client's own key for the conversation: starting again with the same "
        "key returns the running session instead of a new one.",
    )
    customer_key: Annotated[Text, Field(max_length=200)] | None = Field(
        None, description="The customer, for their history across channels and tickets."
    )


class TakeStep(RequestBody):
    """POST /api/v1/sessions/{id}/steps: one reply to the waiting step (one of answer, text,
    digits, speech)."""

    step_token: Text = Field(
        description="The step_token of the step answered; an earlier one returns the current "
        "step unchanged (safe retries)."
    )
    answer: dict[str, Any] | None = Field(
        None, description="Values of the step's form fields, checked against its JSON Schema."
    )
    text: Text | None = Field(None, description="A chat reply, read against the step's options.")
    digits: Digits | None = Field(None, description="DTMF digits keyed on an IVR.")
    speech: Text | None = Field(None, description="What the caller said (speech recognition).")

    def reply(self) -> Reply:
        return Reply(self.step_token, self.answer, self.text, self.digits, self.speech)


class GoBack(RequestBody):
    """POST /api/v1/sessions/{id}/back: return to the previous step."""

    step_token: Text = Field(description="The step_token of the step the client is on.")


class MessageToSession(RequestBody):
    """POST /api/v1/sessions/{id}/messages: a message to one session's waiting catch event."""

    name: Text = Field(description="Message name the session waits for.")
    payload: Any = Field(None, description="Data the message carries into the workflow.")


class CorrelatedMessage(RequestBody):
    """POST /api/v1/messages: a message to every open session waiting for it whose session key
    is the correlation key (or to the session ``session_id``), kept for a while when none
    waits yet; the inbound topic's contract (docs/events.md)."""

    name: Text = Field(description="Message name the session waits for.")
    correlation_key: Text | None = Field(
        None, description="The session_key of the sessions to deliver to."
    )
    session_id: Text | None = Field(
        None, description="The one session to deliver to (instead of correlation_key)."
    )
    message_id: Text | None = Field(
        None, description="Unique per message: one seen before is not delivered again."
    )
    payload: Any = Field(None, description="Data the message carries into the workflow.")


class SignalBody(RequestBody):
    """POST /api/v1/signals/{name}: a signal to every open session waiting for it."""

    payload: Any = Field(None, description="Data the signal carries into the workflow.")
    script: Text | None = Field(
        None, description="Only the sessions of this script (by key); all scripts if absent."
    )


class RenderChoice(RequestQuery):
    """``?render=``: the channel JSON to answer with (default: the session's channel).

    An unknown renderer is a 400 naming the choices (``player.renderers.renderer_for``)."""

    render: (
        Annotated[Text, Field(max_length=20, json_schema_extra={"enum": sorted(RENDERERS)})] | None
    ) = Field(None, description="web, chat or ivr.")


class QueuePage(RequestQuery):
    """GET /api/v1/queues/{group}: conversations and work items, most urgent first."""

    limit: int = Field(50, ge=1, le=200, description="At most this many items.")
    after: Annotated[Text, Field(max_length=500)] | None = Field(
        None, description="The 'next' cursor of the previous page."
    )
