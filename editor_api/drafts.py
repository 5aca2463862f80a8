"""Drafts for the editor: create, read, save (with the revision it started from), validate,
try out on the hidden test script, publish. Methodologists and admins only."""

from __future__ import annotations

from typing import Annotated, Any

from flask import Blueprint, Response, jsonify, request
from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from engine.bpmn.bundle import MAX_BUNDLE_BYTES
from engine.drafts import (
    create_draft,
    delete_draft,
    deploy_for_trial,
    draft_summaries,
    get_draft,
    publish_draft,
    save_draft,
    trial_trace,
    validate_draft,
)
from engine.errors import Detail, ValidationFailed
from web.auth import roles
from web.bodies import RequestBody, RequestQuery, Text, parse_body, parse_query
from web.context import actor, services
from web.described import an_object, described

bp = Blueprint("drafts", __name__, url_prefix="/api/v1/drafts")
AUTHORS = ("methodologist",)
MAX_REVISION = 2**31 - 1


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("nul_character", "holds a NUL character")
    return value


FileText = Annotated[str, StringConstraints(max_length=MAX_BUNDLE_BYTES), AfterValidator(_no_nul)]
FileName = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_no_nul)]
Files = dict[FileName, FileText]
FILES_HELP = "The bundle's files, name -> text: the .bpmn, forms (.json), .dmn, cuebook.json."


class DraftsQuery(RequestQuery):
    """GET /api/v1/drafts: one script's drafts, or all."""

    script: Annotated[Text, Field(max_length=100)] | None = Field(
        None, description="Only the drafts of this script (by key)."
    )


class NewDraft(RequestBody):
    """POST /api/v1/drafts: a draft of a new script or of a version of an existing one."""

    script: Annotated[Text, Field(max_length=100)] = Field(
        description="The script's key (a-z, 0-9, '_', '-'). A key no script has yet starts a "
        "new script from a blank diagram."
    )
    title: Annotated[Text, Field(max_length=300)] = Field("", description="A new script's title.")
    version: int | None = Field(
        None,
        ge=1,
        le=MAX_REVISION,
        description="The version to start from (default: the published one, else the newest).",
    )


class DraftSave(RequestBody):
    """PUT /api/v1/drafts/{id}: the draft's files, saved over the revision they came from."""

    revision: int | None = Field(
        None,
        ge=1,
        le=MAX_REVISION,
        description='The revision the editor loaded (or send If-Match: "<revision>").',
    )
    files: Files = Field(description=FILES_HELP)


class DraftFiles(RequestBody):
    """POST /api/v1/drafts/{id}/validate: files the editor holds, unsaved (default: saved)."""

    files: Files | None = Field(None, description=FILES_HELP)


class DraftRevision(RequestBody):
    """POST .../test and .../publish: the revision the editor shows (publish needs it)."""

    revision: int | None = Field(
        None, ge=1, le=MAX_REVISION, description="Refused with 409 unless it is the current one."
    )


class DraftPublish(RequestBody):
    """POST /api/v1/drafts/{id}/publish."""

    revision: int = Field(ge=1, le=MAX_REVISION, description="The revision being published.")


def _with_etag(body: dict[str, Any], status: int = 200) -> Response:
    resp = jsonify(body)
    resp.status_code = status
    resp.headers["ETag"] = f'"{body["revision"]}"'
    return resp


def _if_match() -> int | None:
    """The revision an If-Match header names ("3" or 3), if any."""
    value = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')
    return int(value) if value.isdigit() and 0 < int(value) <= MAX_REVISION else None


@bp.get("")
@roles(*AUTHORS)
@described(
    summary="The editor's drafts",
    query=DraftsQuery,
    responses={200: an_object("`drafts`: id, script, revision, based_on_version, who, when.")},
)
def index() -> Any:
    script = parse_query(DraftsQuery).script
    with services().database.unit_of_work() as uow:
        return jsonify({"drafts": draft_summaries(uow, script)})


@bp.post("")
@roles(*AUTHORS)
@described(
    summary="Start a draft",
    body=NewDraft,
    responses={201: an_object("The draft with its files and revision 1.")},
)
def create() -> Any:
    body = parse_body(NewDraft)
    svc = services()
    draft = create_draft(
        svc.database,
        script=body.script,
        title=body.title,
        from_version=body.version,
        actor=actor().name,
        now=svc.engine.clock(),
    )
    return _with_etag(draft, 201)


@bp.get("/<int:draft_id>")
@roles(*AUTHORS)
@described(summary="A draft", responses={200: an_object("The draft with its files.")})
def show(draft_id: int) -> Any:
    with services().database.unit_of_work() as uow:
        return _with_etag(get_draft(uow, draft_id))


@bp.put("/<int:draft_id>")
@roles(*AUTHORS)
@described(
    summary="Save a draft",
    body=DraftSave,
    responses={200: an_object("The draft saved, with its new revision.")},
    errors=(409,),
)
def save(draft_id: int) -> Any:
    """Saved only over the revision it was loaded at; otherwise 409 with what changed."""
    body = parse_body(DraftSave)
    revision = body.revision if body.revision is not None else _if_match()
    if revision is None:
        raise ValidationFailed(
            "say which revision the files come from: revision, or If-Match",
            [Detail("revision", "required (or an If-Match header)")],
        )
    svc = services()
    draft = save_draft(
        svc.database,
        draft_id,
        revision=revision,
        files=dict(body.files),
        actor=actor().name,
        now=svc.engine.clock(),
    )
    return _with_etag(draft)


@bp.delete("/<int:draft_id>")
@roles(*AUTHORS)
@described(summary="Delete a draft", responses={204: None})
def delete(draft_id: int) -> Any:
    delete_draft(services().database, draft_id)
    return "", 204


@bp.post("/<int:draft_id>/validate")
@roles(*AUTHORS)
@described(
    summary="Check a draft as `cuebook validate` does",
    body=DraftFiles,
    responses={200: an_object("`valid` and `problems`: file, element id, message.")},
)
def validate(draft_id: int) -> Any:
    files = parse_body(DraftFiles).files
    svc = services()
    found = validate_draft(
        svc.database, svc.engine.specs, draft_id, dict(files) if files is not None else None
    )
    return jsonify(found)


@bp.post("/<int:draft_id>/test")
@roles(*AUTHORS)
@described(
    summary="Deploy a draft on its hidden test script",
    body=DraftRevision,
    responses={200: an_object("`script` (<key>~draft) and the version sessions start on.")},
    errors=(409,),
)
def trial(draft_id: int) -> Any:
    """Start test sessions on `script` with POST /api/v1/sessions; they stay out of lists
    and analytics."""
    body = parse_body(DraftRevision)
    svc = services()
    result = deploy_for_trial(
        svc.database,
        svc.engine.specs,
        draft_id,
        revision=body.revision,
        actor=actor().name,
        now=svc.engine.clock(),
    )
    return jsonify(result)


@bp.get("/<int:draft_id>/test/<session_id>")
@roles(*AUTHORS)
@described(
    summary="Where a draft's test session went",
    responses={200: an_object("`path` (elements entered, in order) and `variables` now.")},
)
def trace(draft_id: int, session_id: str) -> Any:
    svc = services()
    return jsonify(trial_trace(svc.database, svc.engine, draft_id, session_id))


@bp.post("/<int:draft_id>/publish")
@roles(*AUTHORS)
@described(
    summary="Publish a draft as a new version",
    body=DraftPublish,
    responses={200: an_object("The version deployed and published.")},
    errors=(409,),
)
def publish(draft_id: int) -> Any:
    body = parse_body(DraftPublish)
    svc = services()
    result = publish_draft(
        svc.database,
        svc.engine.specs,
        draft_id,
        revision=body.revision,
        actor=actor().name,
        now=svc.engine.clock(),
    )
    return jsonify(result)
