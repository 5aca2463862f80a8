"""The integration-function registry: edit, test and watch the functions service tasks call."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, jsonify

from editor_api.requests import FunctionTrial
from engine.functions import (
    current_spec,
    delete_function,
    get_function,
    list_functions,
    save_function,
)
from integrations import CallFailed, Invoker
from integrations.schema import FUNCTION_SCHEMA
from web.auth import roles
from web.bodies import json_object, parse_body
from web.context import actor, services
from web.described import an_object, described

bp = Blueprint("integrations", __name__, url_prefix="/api/v1/integrations")
EDITORS = ("methodologist",)


def _invoker() -> Invoker:
    return services().invoker


def _saved(name: str) -> None:
    services().catalog.forget(name)


@bp.get("")
@roles(*EDITORS)
@described(
    summary="The integration functions",
    responses={200: an_object("`functions`: each function's name, version, description.")},
)
def index() -> Any:
    with services().database.unit_of_work() as uow:
        return jsonify({"functions": list_functions(uow)})


@bp.post("")
@roles(*EDITORS)
@described(
    summary="Create an integration function",
    body=FUNCTION_SCHEMA,
    responses={201: an_object("The function as stored: its spec, version and who saved it.")},
    errors=(409,),
)
def create() -> Any:
    svc = services()
    with svc.database.unit_of_work() as uow:
        saved = save_function(
            uow, json_object(), actor=actor().name, now=svc.engine.clock(), create=True
        )
    _saved(saved["name"])
    return jsonify(saved), 201


@bp.get("/<name>")
@roles(*EDITORS)
@described(
    summary="One integration function",
    responses={200: an_object("The function as stored: its spec, version and who saved it.")},
)
def show(name: str) -> Any:
    with services().database.unit_of_work() as uow:
        return jsonify(get_function(uow, name))


@bp.put("/<name>")
@roles(*EDITORS)
@described(
    summary="Save a new version of an integration function",
    body=FUNCTION_SCHEMA,
    responses={200: an_object("The function as stored: its spec, version and who saved it.")},
    errors=(409,),
)
def replace(name: str) -> Any:
    svc = services()
    with svc.database.unit_of_work() as uow:
        saved = save_function(
            uow, json_object(), actor=actor().name, now=svc.engine.clock(), name=name
        )
    _saved(name)
    return jsonify(saved)


@bp.delete("/<name>")
@roles(*EDITORS)
@described(summary="Delete an integration function", responses={204: None})
def remove(name: str) -> Any:
    svc = services()
    with svc.database.unit_of_work() as uow:
        delete_function(uow, name, actor=actor().name, now=svc.engine.clock())
    _saved(name)
    return "", 204


@bp.post("/<name>/test")
@roles(*EDITORS)
@described(
    summary="Call a function once with sample parameters",
    body=FunctionTrial,
    responses={200: an_object("`ok`, the rendered request, status, timing, results or error.")},
)
def try_out(name: str) -> Any:
    """Call the function with sample parameters: the rendered request (secrets masked),
    status, timing, and the mapped results or the error."""
    params = parse_body(FunctionTrial).parameters
    with services().database.unit_of_work() as uow:
        spec = current_spec(uow, name)
    started = time.perf_counter()
    try:
        result = _invoker().call(spec, params)
    except CallFailed as exc:
        return jsonify(
            {
                "ok": False,
                "request": exc.request,
                "status": exc.status,
                "elapsed_ms": round((time.perf_counter() - started) * 1000, 2),
                "error": {"kind": exc.kind, "message": exc.message},
            }
        )
    return jsonify(
        {
            "ok": True,
            "request": result.request,
            "status": result.status,
            "elapsed_ms": round(result.elapsed_ms, 2),
            "cached": result.cached,
            "attempts": result.attempts,
            "results": result.results,
        }
    )


@bp.get("/<name>/stats")
@roles(*EDITORS)
@described(
    summary="A function's call statistics",
    responses={200: an_object("Calls, failures, cache hits and latency of this process.")},
)
def stats(name: str) -> Any:
    with services().database.unit_of_work() as uow:
        get_function(uow, name)
    return jsonify(_invoker().stats(name))
