"""What a call activity and a service task may call: published processes and functions.

A call activity names a process: one of its own bundle, or the entry process of a published
script (``engine/bpmn/callees.py``, served by the oldest script declaring it). A service
task names an integration function of the registry or a built-in (``cuebook.*``), and
passes its parameters in the function's declared order.
"""

from __future__ import annotations

import json
from typing import Any

from engine.builtin_functions import BuiltinFunctions
from engine.persistence.database import UnitOfWork


def callable_processes(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Each process a published script declares as its entry, with the script serving it
    (the oldest when several declare the same process, as the deploy resolves it)."""
    found: dict[str, dict[str, Any]] = {}
    for script in sorted(uow.scripts.all(), key=lambda s: s["id"]):
        number = script["published_version"]
        if number is None:
            continue
        version = next(
            (v for v in uow.scripts.versions(script["id"]) if v["number"] == number), None
        )
        if version is None or version["process_id"] in found:
            continue
        found[version["process_id"]] = {
            "process_id": version["process_id"],
            "script": script["key"],
            "title": script["title"],
            "version": number,
        }
    return sorted(found.values(), key=lambda p: (p["title"] or p["process_id"]).lower())


def _parameter(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": data["name"],
        "type": data.get("type", "any"),
        "required": bool(data.get("required", True)),
        "description": data.get("description", ""),
    }


def service_functions(uow: UnitOfWork, builtins: BuiltinFunctions) -> list[dict[str, Any]]:
    """The registry's functions and the built-ins, each with its parameters in order and
    the names of the results it gives back (``resultVariable`` holds them as a dict)."""
    listed = []
    for row in uow.functions.all_current():
        spec = json.loads(row["spec"])
        listed.append(
            {
                "name": spec["name"],
                "description": spec.get("description", ""),
                "parameters": [_parameter(p) for p in spec.get("parameters", [])],
                "results": sorted((spec.get("response") or {}).get("results", {})),
                "builtin": False,
            }
        )
    for name in builtins.names():
        info = builtins.info(name)
        if info is None:
            continue
        listed.append(
            {
                "name": name,
                "description": "",
                "parameters": [
                    {"name": p, "type": "any", "required": p in info.required, "description": ""}
                    for p in info.parameters
                ],
                "results": [],
                "builtin": True,
            }
        )
    return listed
