"""A step as the channels will show it, built from a form and texts that are not deployed yet.

The editor sends what the panel holds for one user task (the form's JSON Schema and UI
schema, the text, the hints, the voice prompt, the step settings) and sample variables.
This module builds the :class:`StepSpec` the compiler would build from them (the same
rules: ``form_options`` decides choice or form) and asks the runner to describe it with the
sample variables, as it describes a waiting task: the Jinja text and voice rendered in the
sandbox, templates in the form's strings rendered, options taken from task data. A step
that needs a person is handed off on the bot channels, as ``sessions.transitions.arrive``
does, so the chat and IVR previews say what a customer will hear there.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, cast

from jsonschema.exceptions import SchemaError

from engine.bpmn.compiler import DEFAULT_MAX_MISSES, OPERATOR_LANES, StepSpec, form_validator
from engine.bpmn.runner import Position, Runner
from engine.errors import CuebookError, Detail, ValidationFailed
from engine.form_options import choice_field, form_options
from engine.model import Handoff, Option, Step, StepView, VersionRef
from engine.sessions.model import HandoffReason
from engine.sessions.runtime import DEFAULT_QUEUE
from engine.task_data_forms import is_templated, option_vars, template_problems
from engine.templates import check_template

PREVIEW_SESSION = "preview"


@dataclass(frozen=True)
class StepDraft:
    """What the panel holds for one step (see ``docs/bundles.md`` for each setting)."""

    element: str
    title: str = ""
    text: str = ""
    hints: str = ""
    voice: str = ""
    schema: dict[str, Any] | None = None
    ui_schema: dict[str, Any] | None = None
    max_misses: int = DEFAULT_MAX_MISSES
    handoff_queue: str = ""
    lane: str = ""
    script: str = "draft"
    language: str = "en"
    variables: dict[str, Any] = field(default_factory=dict)


def _form_problems(draft: StepDraft) -> list[Detail]:
    found: list[Detail] = []
    if draft.schema is not None:
        try:
            form_validator(draft.schema)
        except SchemaError as exc:
            path = "/".join(["schema", *(str(p) for p in exc.path)])
            found.append(Detail(path, f"invalid JSON Schema: {exc.message}"))
    for where, form in (("schema", draft.schema), ("ui_schema", draft.ui_schema)):
        found += [Detail(where, problem) for problem in template_problems(form)]
    for where, text in (("text", draft.text), ("voice", draft.voice)):
        found += [Detail(where, f"template: {problem}") for problem in check_template(text)]
    return found


def step_spec(draft: StepDraft) -> StepSpec:
    """The compiler's view of the step; bad forms and templates are refused with the field
    of the request at fault (``schema/properties/age/type``, ``text``)."""
    problems = _form_problems(draft)
    if problems:
        first = problems[0]
        raise ValidationFailed(f"{first.path}: {first.message}", problems)
    schema, ui = draft.schema, draft.ui_schema if draft.schema is not None else None
    choices = form_options(schema, ui)
    kind, field_name = "message", None
    options: tuple[Option, ...] = ()
    if schema is not None:
        choice = choice_field(schema, choices)
        kind = "form" if choice is None else "choice"
        if choice is not None:
            field_name, options = choice
    return StepSpec(
        id=draft.element,
        kind=kind,
        title=draft.title or draft.element,
        instructions=draft.text,
        hints=draft.hints.strip(),
        schema=schema,
        ui_schema=ui,
        validator=None,  # a preview takes no answer
        options=options,
        field_options=choices,
        field=field_name,
        voice=draft.voice or None,
        max_misses=draft.max_misses,
        handoff_queue=draft.handoff_queue or None,
        needs_person=bool(draft.handoff_queue) or draft.lane.strip().lower() in OPERATOR_LANES,
        can_go_back=True,
        lane=draft.lane or None,
        option_vars=option_vars(schema),
        templated=is_templated(schema, ui),
    )


# Runner.describe reads the compiled script only for end and wait steps, never for a task.
_NO_SCRIPT: Any = None


def preview_views(
    runner: Runner, draft: StepDraft, channels: tuple[str, ...]
) -> dict[str, StepView]:
    """The step's view on each channel, as a session waiting there would get it."""
    spec = step_spec(draft)
    try:
        step = runner.describe(
            _NO_SCRIPT, Position("waiting", step_spec=spec), dict(draft.variables)
        )
    except CuebookError as exc:  # a template or task-data option failing with these variables
        raise ValidationFailed(exc.message, [Detail("variables", exc.message)]) from exc
    step = replace(cast(Step, step), can_go_back=True)
    return {channel: _view(draft, spec, step, channel) for channel in channels}


def _view(draft: StepDraft, spec: StepSpec, step: Step, channel: str) -> StepView:
    handoff = None
    status = "waiting"
    if spec.needs_person and channel in ("chat", "ivr"):
        queue = spec.handoff_queue or DEFAULT_QUEUE
        handoff = Handoff(
            queue, f"step {spec.id} needs a person", HandoffReason.STEP_NEEDS_PERSON.value
        )
        status = "handed_off"
    return StepView(
        session_id=PREVIEW_SESSION,
        status=status,  # type: ignore[arg-type]
        step_token=None,
        version=VersionRef(draft.script, 0),
        step=step,
        channel=channel,
        handoff=handoff,
        for_person=channel == "web",
        language=draft.language,
    )
