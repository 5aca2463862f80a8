"""Scripts and versions: deploy a bundle, list, publish, release a split, roll back, compare
and diff versions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from editor_api.requests import (
    BUNDLE_UPLOAD,
    ComparePage,
    DeployOptions,
    ReleaseBody,
    VersionPair,
)
from engine.analytics import compare_versions
from engine.bpmn.bundle import bundle_from_files
from engine.errors import Detail, MalformedInput, ValidationFailed
from engine.versions import (
    deploy,
    list_scripts,
    list_versions,
    publish_version,
    release_history,
    release_versions,
    rollback,
    version_detail,
    version_diagram,
    version_diff,
)
from web.auth import roles
from web.bodies import parse_body, parse_query
from web.context import actor, services
from web.described import Content, an_object, described

bp = Blueprint("scripts", __name__, url_prefix="/api/v1/scripts")
AUTHORS = ("methodologist",)
READERS = ("methodologist", "operator", "bot")
DIAGRAM_READERS = ("methodologist", "operator")


@bp.get("")
@roles(*READERS)
@described(
    summary="The scripts", responses={200: an_object("`scripts`: key, title, published version.")}
)
def index() -> Any:
    with services().database.unit_of_work() as uow:
        return jsonify({"scripts": list_scripts(uow)})


@bp.get("/<key>/versions")
@roles(*READERS)
@described(
    summary="A script's versions",
    responses={200: an_object("`script` and its `versions`, newest first.")},
)
def versions(key: str) -> Any:
    with services().database.unit_of_work() as uow:
        return jsonify({"script": key, "versions": list_versions(uow, key)})


@bp.get("/<key>/versions/diff")
@roles(*DIAGRAM_READERS)
@described(
    summary="What changed between two versions",
    query=VersionPair,
    responses={200: an_object("Elements, flows, forms, decisions and calls changed.")},
)
def diff(key: str) -> Any:
    """What changed from version a to version b: elements, flows, forms, decisions, calls."""
    pair = parse_query(VersionPair)
    with services().database.unit_of_work() as uow:
        return jsonify(version_diff(uow, key, pair.a, pair.b))


@bp.get("/<key>/versions/compare")
@roles(*AUTHORS)
@described(
    summary="Two versions' sessions side by side",
    query=ComparePage,
    responses={200: an_object("Outcomes and time per step of each version.")},
)
def compare(key: str) -> Any:
    """Two versions' sessions side by side: outcomes and time per step."""
    query = parse_query(ComparePage)
    svc = services()
    abandoned_after = query.abandoned_after
    if abandoned_after is None:
        abandoned_after = svc.settings.abandoned_after
    with svc.database.unit_of_work() as uow:
        figures = compare_versions(
            uow,
            key,
            (query.a, query.b),
            now=svc.engine.clock(),
            abandoned_after=abandoned_after,
            since=query.since,
        )
    return jsonify(figures)


@bp.put("/<key>/release")
@roles(*AUTHORS)
@described(
    summary="Split new sessions between versions by weight",
    body=ReleaseBody,
    responses={200: an_object("The release now in force.")},
    errors=(409,),
)
def release(key: str) -> Any:
    """Split new sessions between versions by weight (one version at 100: a publish)."""
    body = parse_body(ReleaseBody)
    svc = services()
    with svc.database.unit_of_work() as uow:
        released = release_versions(
            uow, key, body.versions, actor=actor().name, now=svc.engine.clock()
        )
    return jsonify(released)


@bp.get("/<key>/releases")
@roles(*READERS)
@described(
    summary="A script's release history",
    responses={
        200: an_object("`releases`: action, versions with weights, actor, time; newest first.")
    },
)
def releases(key: str) -> Any:
    """Every publish, canary split and rollback of the script, newest first."""
    with services().database.unit_of_work() as uow:
        return jsonify({"script": key, "releases": release_history(uow, key)})


@bp.get("/<key>/versions/<int:number>")
@roles(*READERS)
@described(
    summary="One version",
    responses={200: an_object("The version, its files and its pinned callees.")},
)
def version(key: str, number: int) -> Any:
    """One version, with the versions of other scripts its call activities are pinned to."""
    with services().database.unit_of_work() as uow:
        return jsonify(version_detail(uow, key, number))


@bp.get("/<key>/versions/<int:number>/diagram")
@roles(*DIAGRAM_READERS)
@described(
    summary="The BPMN XML of a version",
    responses={200: Content("application/xml", {"type": "string"})},
)
def diagram(key: str, number: int) -> Response:
    """The BPMN XML of the version's primary process file (for bpmn-js)."""
    with services().database.unit_of_work() as uow:
        xml = version_diagram(uow, key, number)
    return Response(xml, content_type="application/xml")  # the XML declares its encoding


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


@bp.post("/<key>/versions")
@roles(*AUTHORS)
@described(
    summary="Deploy a bundle as a new version",
    body=Content("multipart/form-data", BUNDLE_UPLOAD),
    query=DeployOptions,
    responses={
        201: an_object("The version deployed (created: true)."),
        200: an_object("The same content was deployed before: that version."),
    },
    errors=(409,),
)
def create_version(key: str) -> Any:
    uploads = request.files.getlist("files")
    if not uploads:
        raise MalformedInput(
            "send the bundle as multipart form field 'files'", [Detail("files", "missing")]
        )
    files: dict[str, bytes] = {}
    for upload in uploads:
        name = upload.filename or ""
        if name in files:
            raise ValidationFailed(f"file {name} given twice", [Detail(name, "given twice")])
        files[name] = upload.read()
    bundle = bundle_from_files(files)
    publish = _truthy(parse_query(DeployOptions).publish or request.form.get("publish"))
    svc = services()
    with svc.database.unit_of_work() as uow:
        result = deploy(
            uow,
            svc.engine.specs,
            key,
            bundle,
            publish=publish,
            actor=actor().name,
            now=svc.engine.clock(),
        )
    return jsonify(result.as_dict()), (201 if result.created else 200)


@bp.post("/<key>/versions/<int:number>/publish")
@roles(*AUTHORS)
@described(
    summary="Publish a version",
    responses={200: an_object("`script` and its `published_version`.")},
    errors=(409,),
)
def publish(key: str, number: int) -> Any:
    svc = services()
    with svc.database.unit_of_work() as uow:
        publish_version(uow, key, number, actor=actor().name, now=svc.engine.clock())
    return jsonify({"script": key, "published_version": number})


@bp.post("/<key>/rollback")
@roles(*AUTHORS)
@described(
    summary="Publish the previous release again",
    responses={200: an_object("`script` and its `published_version`.")},
    errors=(409,),
)
def roll_back(key: str) -> Any:
    svc = services()
    with svc.database.unit_of_work() as uow:
        number = rollback(uow, key, actor=actor().name, now=svc.engine.clock())
    return jsonify({"script": key, "published_version": number})
