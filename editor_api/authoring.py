"""What the editor's properties panel asks while a methodologist edits a draft: checks of
conditions and scripts, step previews per channel, the variables known at an element, and
what call activities and service tasks may call. Nothing here writes."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, jsonify

from editor_api.authoring_models import (
    CodeBody,
    CodeOut,
    FunctionsOut,
    PreviewBody,
    PreviewOut,
    ProcessesOut,
    VariablesBody,
    VariablesOut,
)
from engine.authoring.callables import callable_processes, service_functions
from engine.authoring.expressions import check_source
from engine.authoring.previews import StepDraft, preview_views
from engine.authoring.variables import variables_at
from web.auth import roles
from web.bodies import parse_body
from web.context import services
from web.described import described

bp = Blueprint("authoring", __name__, url_prefix="/api/v1/authoring")
AUTHORS = ("methodologist",)


@bp.post("/code")
@roles(*AUTHORS)
@described(
    summary="Check a condition or script by the sandbox's rules",
    body=CodeBody,
    responses={200: CodeOut},
)
def check_code() -> Any:
    """Problems with their line and column (a refused name, a syntax error), and the
    variables the code reads and writes. Code the sandbox refuses is still a 200: the
    answer says so."""
    body = parse_body(CodeBody)
    found = check_source(body.source, body.mode)
    return jsonify(
        {
            "ok": found.ok,
            "problems": [asdict(p) for p in found.problems],
            "reads": list(found.reads),
            "writes": list(found.writes),
        }
    )


@bp.post("/previews")
@roles(*AUTHORS)
@described(
    summary="A step as the operator, the chat and the IVR will see it",
    body=PreviewBody,
    responses={200: PreviewOut},
)
def preview() -> Any:
    """The step built from a form, its texts and settings, rendered by each channel's own
    renderer with sample variables. A bad schema or template is a 422 naming the field
    (``schema/properties/age/type``, ``text``)."""
    body = parse_body(PreviewBody)
    draft = StepDraft(
        element=body.element,
        title=body.title,
        text=body.text,
        hints=body.hints,
        voice=body.voice,
        schema=body.schema_,
        ui_schema=body.ui_schema,
        max_misses=body.max_misses,
        handoff_queue=body.handoff_queue,
        lane=body.lane,
        script=body.script,
        language=body.language,
        variables=dict(body.variables),
    )
    svc = services()
    views = preview_views(svc.engine.runner, draft, tuple(dict.fromkeys(body.channels)))
    any_view = next(iter(views.values()), None)
    step = any_view.step if any_view is not None else None
    answer: dict[str, Any] = {
        "kind": step.kind if step is not None else "message",
        "field": step.field if step is not None else None,
    }
    for channel in ("web", "chat", "ivr"):
        view = views.get(channel)
        answer[channel] = None if view is None else svc.renderers[channel](view)
    return jsonify(answer)


@bp.post("/variables")
@roles(*AUTHORS)
@described(
    summary="The variables known at an element of a draft",
    body=VariablesBody,
    responses={200: VariablesOut},
)
def variables() -> Any:
    """What is set before the element runs (form fields, service results, script
    assignments, decision outputs upstream; the manifest's defaults), nearest first."""
    body = parse_body(VariablesBody)
    found = variables_at(body.bpmn, body.files, body.element)
    return jsonify({"element": body.element, "variables": [asdict(v) for v in found]})


@bp.get("/processes")
@roles(*AUTHORS)
@described(
    summary="Processes of published scripts a call activity may call",
    responses={200: ProcessesOut},
)
def processes() -> Any:
    with services().database.unit_of_work() as uow:
        return jsonify({"processes": callable_processes(uow)})


@bp.get("/functions")
@roles(*AUTHORS)
@described(
    summary="Functions a service task may call, with their parameters in order",
    responses={200: FunctionsOut},
)
def functions() -> Any:
    svc = services()
    with svc.database.unit_of_work() as uow:
        return jsonify({"functions": service_functions(uow, svc.builtins)})
