"""Scripts and versions: deploy a bundle, list, publish, roll back."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from engine.bpmn.bundle import bundle_from_files
from engine.errors import Detail, MalformedInput, ValidationFailed
from engine.versions import (
    deploy,
    list_scripts,
    list_versions,
    publish_version,
    rollback,
    version_detail,
    version_diagram,
)
from web.auth import roles
from web.context import actor, services

bp = Blueprint("scripts", __name__, url_prefix="/api/v1/scripts")
AUTHORS = ("methodologist",)
READERS = ("methodologist", "operator", "bot")
DIAGRAM_READERS = ("methodologist", "operator")


@bp.get("")
@roles(*READERS)
def index() -> Any:
    with services().database.unit_of_work() as uow:
        return jsonify({"scripts": list_scripts(uow)})


@bp.get("/<key>/versions")
@roles(*READERS)
def versions(key: str) -> Any:
    with services().database.unit_of_work() as uow:
        return jsonify({"script": key, "versions": list_versions(uow, key)})


@bp.get("/<key>/versions/<int:number>")
@roles(*READERS)
def version(key: str, number: int) -> Any:
    """One version, with the versions of other scripts its call activities are pinned to."""
    with services().database.unit_of_work() as uow:
        return jsonify(version_detail(uow, key, number))


@bp.get("/<key>/versions/<int:number>/diagram")
@roles(*DIAGRAM_READERS)
def diagram(key: str, number: int) -> Response:
    """The BPMN XML of the version's primary process file (for bpmn-js)."""
    with services().database.unit_of_work() as uow:
        xml = version_diagram(uow, key, number)
    return Response(xml, content_type="application/xml")  # the XML declares its encoding


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


@bp.post("/<key>/versions")
@roles(*AUTHORS)
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
    publish = _truthy(request.args.get("publish") or request.form.get("publish"))
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
def publish(key: str, number: int) -> Any:
    svc = services()
    with svc.database.unit_of_work() as uow:
        publish_version(uow, key, number, actor=actor().name, now=svc.engine.clock())
    return jsonify({"script": key, "published_version": number})


@bp.post("/<key>/rollback")
@roles(*AUTHORS)
def roll_back(key: str) -> Any:
    svc = services()
    with svc.database.unit_of_work() as uow:
        number = rollback(uow, key, actor=actor().name, now=svc.engine.clock())
    return jsonify({"script": key, "published_version": number})
