"""What the properties panel sends to the authoring endpoints, and what they answer."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from engine.authoring.expressions import MAX_SOURCE
from web.bodies import RequestBody, Text
from web.described import Answer

DIAGRAM_MAX = 1_000_000  # the request body's own limit (CUEBOOK_MAX_BODY_BYTES) is lower
Name = Annotated[Text, Field(max_length=200)]
ChannelName = Literal["web", "chat", "ivr"]
CHANNEL_NAMES: tuple[ChannelName, ...] = ("web", "chat", "ivr")


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "holds a NUL character")
    return value


Document = Annotated[str, StringConstraints(max_length=DIAGRAM_MAX), AfterValidator(_no_nul)]
Source = Annotated[str, StringConstraints(max_length=MAX_SOURCE), AfterValidator(_no_nul)]


class CodeBody(RequestBody):
    """POST /api/v1/authoring/code: check a condition or script before it is saved."""

    source: Source = Field(description="A gateway condition (expression) or a script's code.")
    mode: Literal["expression", "script"] = Field(
        "expression",
        description="expression: a condition (one Python expression); script: a script "
        "task's or pre/post script's statements.",
    )


class CodeProblemOut(Answer):
    line: int
    column: int | None = Field(description="1-based; null when only the line is known.")
    message: str


class CodeOut(Answer):
    ok: bool = Field(description="Whether the sandbox runs the code (no problems).")
    problems: list[CodeProblemOut]
    reads: list[str] = Field(description="Session variables the code reads, first use first.")
    writes: list[str] = Field(description="Variables a script leaves in the session.")


class PreviewBody(RequestBody):
    """POST /api/v1/authoring/previews: a step as each channel will show it."""

    element: Name = Field("preview", description="The user task's id.")
    title: Text = Field("", description="The task's name.")
    text: Text = Field("", description="instructionsForEndUser: the Jinja2 text to say.")
    hints: Text = Field("", description="bpmn:documentation: hints for the operator.")
    voice: Text = Field("", description="cuebook:voice: what the IVR plays instead (optional).")
    schema_: dict[str, Any] | None = Field(
        None, alias="schema", description="The form's JSON Schema; none: a message step."
    )
    ui_schema: dict[str, Any] | None = Field(None, description="The form's UI schema.")
    max_misses: int = Field(3, ge=1, le=100, description="cuebook:max_misses.")
    handoff_queue: Annotated[Text, Field(max_length=60)] = Field(
        "", description="cuebook:handoff: the step needs a person (bots: that queue)."
    )
    lane: Name = Field("", description="The task's lane (an Operator lane needs a person).")
    language: Literal["ru", "en"] = Field("en", description="The script's language.")
    script: Name = Field("draft", description="The script key shown in the preview.")
    variables: dict[str, Any] = Field(
        default_factory=dict, description="Sample session variables the texts are rendered with."
    )
    channels: list[ChannelName] = Field(
        default_factory=lambda: list(CHANNEL_NAMES), description="The channels to render."
    )


class PreviewOut(Answer):
    kind: str = Field(description="form, choice or message: what the step is.")
    field: str | None = Field(description="The variable a choice step sets.")
    web: dict[str, Any] | None = Field(description="The web JSON (what <cuebook-player> shows).")
    chat: dict[str, Any] | None = Field(description="The chat JSON: messages, buttons, input.")
    ivr: dict[str, Any] | None = Field(description="The IVR JSON: SSML, DTMF map, hints.")


class VariablesBody(RequestBody):
    """POST /api/v1/authoring/variables: the variables known at an element of a draft."""

    bpmn: Document = Field(description="The draft's diagram as the modeler holds it.")
    files: dict[Name, Document] = Field(
        default_factory=dict,
        description="The draft's other files by name (forms, DMN, cuebook.json).",
    )
    element: Name = Field(description="A flow node's or sequence flow's id.")


class VariableOut(Answer):
    name: str
    source: str = Field(description="defaults, form, service, script, decision or message.")
    element: str = Field(description="The element that sets it; '' for the manifest's defaults.")
    title: str


class VariablesOut(Answer):
    element: str
    variables: list[VariableOut]


class ProcessOut(Answer):
    process_id: str = Field(description="What a call activity's calledElement names.")
    script: str
    title: str
    version: int = Field(description="The published version a deploy would pin.")


class ProcessesOut(Answer):
    processes: list[ProcessOut]


class ParameterOut(Answer):
    name: str
    type: str
    required: bool
    description: str


class FunctionOut(Answer):
    name: str
    description: str
    parameters: list[ParameterOut] = Field(description="In the function's declared order.")
    results: list[str] = Field(description="Keys of the result the resultVariable holds.")
    builtin: bool


class FunctionsOut(Answer):
    functions: list[FunctionOut]
