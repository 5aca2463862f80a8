"""What the script, tickets and customers API answer, as models for the OpenAPI document.

The renderers and the engine's views build these answers as plain dicts (the step is the hot
path); the models here describe them for clients and are checked against real answers by
the API's schemathesis run. Fields not named may be present too (``Answer``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, RootModel

from web.described import Answer

SessionStatus = Literal["waiting", "completed", "handed_off", "failed"]


class VersionOut(Answer):
    script: str = Field(description="The script's key.")
    number: int = Field(description="The version the session runs on.")


class ProgressOut(Answer):
    steps_taken: int


class OptionOut(Answer):
    value: Any
    label: str


class ItemOut(Answer):
    """Which instance of a multi-instance or looping task the step is."""

    index: int
    count: int | None


class WebStepDetail(Answer):
    id: str = Field(description="The BPMN element id of the waiting task.")
    kind: str = Field(
        description="form, choice, message (a text to confirm), wait (an event moves the "
        "session on: nothing to answer), handoff or end."
    )
    title: str
    text: str = Field(description="The step's text (Markdown).")
    text_html: str
    hints: str = Field(description="Hints for the operator (Markdown).")
    hints_html: str
    schema_: dict[str, Any] | None = Field(alias="schema", description="The form's JSON Schema.")
    ui_schema: dict[str, Any] | None
    options: list[OptionOut]
    field_options: dict[str, list[OptionOut]]
    can_go_back: bool
    field: str | None = Field(description="The answer key a choice step fills.")
    voice: str | None
    max_misses: int
    lane: str | None
    item: ItemOut | None


class WebHandoff(Answer):
    queue: str
    reason: str
    code: str


class WebStep(Answer):
    """A session's step as the web channel's JSON (``render=web``)."""

    session_id: str
    status: SessionStatus
    step_token: str | None = Field(description="Send it back with the answer to this step.")
    version: VersionOut
    step: WebStepDetail | None
    channel: str
    handoff: WebHandoff | None
    misses: int
    notice: str | None
    progress: ProgressOut | None
    language: str


class ChatMessage(Answer):
    type: str
    text: str


class ChatInput(Answer):
    type: str = Field(description="What the reply should be: choice, text, form, none, ...")
    required: bool
    field: str | None


class BotHandoff(Answer):
    queue: str
    reason: str


class ChatStep(Answer):
    """A session's step as chat JSON (``render=chat``): messages and quick-reply buttons."""

    session_id: str
    status: SessionStatus
    step_token: str | None
    version: VersionOut
    step_id: str | None
    kind: str | None
    messages: list[ChatMessage]
    buttons: list[OptionOut]
    input: ChatInput
    progress: ProgressOut | None
    handoff: BotHandoff | None
    notice: str | None
    misses: int


class IvrStep(Answer):
    """A session's step as IVR JSON (``render=ivr``): SSML to say and the keys accepted."""

    session_id: str
    status: SessionStatus
    step_token: str | None
    version: VersionOut
    step_id: str | None
    language: str
    ssml: str
    dtmf: dict[str, Any] = Field(description="Key -> the answer value it stands for.")
    speech_hints: list[str]
    expects: str
    timeout_s: int
    max_digits: int
    person_digit: str | None
    handoff: BotHandoff | None
    notice: str | None


class SessionStep(RootModel[WebStep | ChatStep | IvrStep]):
    """A session's step, rendered for the session's channel or the ``render`` asked for."""


class HistoryEntry(Answer):
    at: str
    event: str
    element: str | None
    name: str | None
    kind: str | None
    actor: str | None
    channel: str | None
    text: str | None
    answer: Any


class SessionHistory(Answer):
    session_id: str
    history: list[HistoryEntry]


class MessageReceived(Answer):
    name: str
    message_id: str | None
    outcome: str = Field(description="delivered, duplicate or kept (until kept_until).")
    delivered_to: list[str]


class SignalSent(Answer):
    signal: str
    delivered_to: list[Any]


class QueueItem(Answer):
    kind: Literal["conversation", "work_item"]
    due_at: str | None


class QueuePageOut(Answer):
    queue: str
    items: list[QueueItem] = Field(description="Most urgent first.")
    next: str | None = Field(description="The cursor of the next page (null: the last page).")


class WorkItemOut(Answer):
    id: str
    ticket_id: str
    element: str
    title: str
    group: str
    status: str
    assignee: str | None
    due_at: str | None
    created_at: str | None
    claimed_at: str | None
    closed_at: str | None
    closed_by: str | None


class TicketOut(Answer):
    id: str
    number: str
    status: str
    group: str | None
    group_title: str
    due_at: str | None
    script: str
    version: int
    instance_id: str
    customer_key: str | None
    channel: str
    type: str
    category: str
    subject: str
    body: str
    attributes: dict[str, Any]
    created_at: str | None
    updated_at: str | None
    closed_at: str | None
    work_items: list[WorkItemOut] = Field(description="Its open work items.")


class OpenedTicket(TicketOut):
    merged: bool = Field(description="True: the request joined an open ticket of the problem.")


class TicketPageOut(Answer):
    items: list[dict[str, Any]]
    next: str | None


class TicketRoute(Answer):
    ticket_id: str
    entries: list[dict[str, Any]]
    elements: list[dict[str, Any]]


class HeldWork(Answer):
    assignee: str
    items: list[dict[str, Any]]
